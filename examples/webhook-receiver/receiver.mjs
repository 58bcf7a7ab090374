// A Driftwatch webhook receiver with no dependencies (Node 20+): verifies X-Driftwatch-Signature, refuses
// timestamps older than 5 minutes, and drops deliveries it has already seen (X-Driftwatch-Delivery).
//
//   WEBHOOK_SECRET=whsec_... PORT=9000 node examples/webhook-receiver/receiver.mjs
//
// `verifySignature` and `createReceiver` are importable, so you can reuse them (Driftwatch's tests do).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** Signatures older (or further in the future) than this are refused, so a captured request cannot be replayed later. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Checks a `X-Driftwatch-Signature` header (`t=<unix seconds>,v1=<hex>[,v1=<hex>]`) against the raw body.
 * Any one `v1` matching HMAC-SHA256(secret, "<t>.<body>") is enough: during a secret rotation Driftwatch sends one
 * per secret. Returns `{ ok: true, timestamp }` or `{ ok: false, reason }`; never throws.
 * @param {{ header: string | undefined, body: string | Buffer, secret: string, toleranceSeconds?: number, now?: number }} input
 *   `now` in unix seconds (default: the clock).
 * @returns {{ ok: true, timestamp: number } | { ok: false, reason: string }}
 */
export function verifySignature({ header, body, secret, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, now = Date.now() / 1000 }) {
  if (!header) return { ok: false, reason: 'missing signature header' };
  let timestamp;
  const signatures = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && /^\d+$/.test(value ?? '')) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? '')) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined) return { ok: false, reason: 'no timestamp in the signature header' };
  if (signatures.length === 0) return { ok: false, reason: 'no v1 signature in the signature header' };
  if (Math.abs(now - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp outside the tolerance (replayed or clock skew)' };
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
  if (!signatures.some((s) => timingSafeEqual(s, expected))) return { ok: false, reason: 'signature does not match' };
  return { ok: true, timestamp };
}

/**
 * An HTTP server that accepts signed deliveries: 401 for a bad signature, 200 for a delivery id already seen
 * (without calling `onEvent` again), else calls `onEvent(event, deliveryId)` and answers 200 (or 500 when it throws,
 * so Driftwatch retries). Remembers the last `remember` delivery ids.
 * @param {{ secret: string, onEvent: (event: any, deliveryId: string) => void | Promise<void>, remember?: number, toleranceSeconds?: number }} options
 * @returns {import('node:http').Server}
 */
export function createReceiver({ secret, onEvent, remember = 10_000, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS }) {
  const seen = new Set();
  return createServer((request, response) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > 1024 * 1024) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', async () => {
      const body = Buffer.concat(chunks);
      const verdict = verifySignature({ header: request.headers['x-driftwatch-signature'], body, secret, toleranceSeconds });
      if (!verdict.ok) {
        response.writeHead(401, { 'content-type': 'text/plain' }).end(`${verdict.reason}\n`);
        return;
      }
      const deliveryId = String(request.headers['x-driftwatch-delivery'] ?? '');
      if (seen.has(deliveryId)) {
        response.writeHead(200).end('duplicate\n');
        return;
      }
      try {
        await onEvent(JSON.parse(body.toString('utf8')), deliveryId);
      } catch {
        response.writeHead(500).end('handler failed\n');
        return;
      }
      seen.add(deliveryId);
      if (seen.size > remember) seen.delete(seen.values().next().value);
      response.writeHead(200).end('ok\n');
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) {
    process.stderr.write('set WEBHOOK_SECRET to the secret Driftwatch showed when the webhook was created\n');
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 9000);
  const server = createReceiver({
    secret,
    onEvent: (event, deliveryId) => {
      process.stdout.write(`${JSON.stringify({ deliveryId, id: event.id, type: event.type, createdAt: event.createdAt })}\n`);
    },
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${port}/\n`));
}
