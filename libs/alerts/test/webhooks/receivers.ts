import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The example receiver (examples/webhook-receiver/receiver.mjs), loaded by path: the tests check deliveries with its own code. */
export interface ExampleReceiver {
  verifySignature(input: { header: string | undefined; body: string | Buffer; secret: string; toleranceSeconds?: number; now?: number }):
    | { ok: true; timestamp: number }
    | { ok: false; reason: string };
  createReceiver(options: {
    secret: string;
    onEvent: (event: { id: string; type: string; createdAt: string; alert: unknown }, deliveryId: string) => void | Promise<void>;
  }): Server;
}

export async function loadExampleReceiver(): Promise<ExampleReceiver> {
  const file = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'webhook-receiver', 'receiver.mjs');
  return (await import(pathToFileURL(file).href)) as ExampleReceiver;
}

export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A loopback HTTP receiver that records every request and answers what `answer` says (or never, for `'hang'`). */
export interface TestReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Resolves when `n` requests have arrived in all. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(answer: (request: ReceivedRequest, index: number) => number | 'hang' = () => 200, server?: Server): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const http =
    server ??
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        requests.push(request);
        for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
        const status = answer(request, requests.length - 1);
        if (status !== 'hang') res.writeHead(status).end();
      });
    });
  if (server) {
    server.prependListener('request', (req) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
      });
    });
  }
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    received: (n) => (requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** Resolves once `check` returns a value other than undefined (polled every 20 ms), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
