#!/bin/sh
echo "Prisma's native schema engine is not used by Driftwatch: run 'npx driftwatch migrate' (it drives the Wasm engine)." >&2
exit 1
