import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', 'fixtures', 'tls');

/** Paths of the test CA, the fake relay's server certificate (SAN `relay.driftwatch.test`) and a client certificate. */
export const TLS_FIXTURES = Object.freeze({
  ca: join(dir, 'ca.crt'),
  relayCert: join(dir, 'relay.crt'),
  relayKey: join(dir, 'relay.key'),
  clientCert: join(dir, 'client.crt'),
  clientKey: join(dir, 'client.key'),
  relayName: 'relay.driftwatch.test',
});

/** Reads one of the TLS fixtures. */
export function readTlsFixture(path: string): Buffer {
  return readFileSync(path);
}
