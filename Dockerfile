# Driftwatch: one image for every command; `driftwatch serve` by default.
#   docker build -t driftwatch:0.1.0 .
#   docker run --rm -p 8080:8080 -v driftwatch-data:/var/lib/driftwatch driftwatch:0.1.0
# Without DATABASE_URL it starts the embedded PostgreSQL as the image's user (uid 1000), with its data in the
# volume /var/lib/driftwatch. Run with `--user` only as a uid that has an /etc/passwd entry (initdb needs one), or
# set DATABASE_URL.
# Node 24 (the current LTS); pin a digest for reproducible builds: --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:…
ARG NODE_IMAGE=node:24-bookworm-slim

# --- production dependencies, and the Prisma client generated from the schema (npm ci's postinstall) ---
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
# npm ci's postinstall also runs tools/build.mjs, which finds no sources here yet and compiles nothing.
COPY tools/prisma-generate.mjs tools/schema-engine-stub.sh tools/build.mjs ./tools/
COPY prisma ./prisma
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: the TypeScript sources, compiled to JavaScript beside them (tools/build.mjs, <project>/dist) ---
FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    EMBEDDED_POSTGRES_DIR=/var/lib/driftwatch/postgres
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.base.json ./
COPY tools/build.mjs ./tools/
COPY prisma ./prisma
COPY libs ./libs
COPY apps ./apps
COPY examples ./examples
COPY --from=deps /app/libs/persistence/src/generated ./libs/persistence/src/generated
# The only folder the app writes to (the embedded PostgreSQL's data), owned by the user it runs as. Everything
# else stays root's and read-only to it.
RUN mkdir -p /var/lib/driftwatch && chown 1000:1000 /var/lib/driftwatch && chmod 0750 /var/lib/driftwatch
# npm ci ran before the sources were here: compile them now, so the CLI starts from JavaScript (read-only to the
# user; the executable falls back to the sources through SWC hooks if they ever stop matching).
RUN node tools/build.mjs
VOLUME ["/var/lib/driftwatch"]
# Numeric, so that Kubernetes' runAsNonRoot can check it (uid 1000 is the image's `node` user).
USER 1000:1000
# 8080: REST API and socket.io (PORT). The push servers listen only where configured; by convention
# 7443 for Felix (FELIX_LISTEN, Goldmane's own port) and 9443 for agents (INGEST_LISTEN).
EXPOSE 8080 7443 9443
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "apps/driftwatch/bin/driftwatch.js"]
CMD ["serve"]
