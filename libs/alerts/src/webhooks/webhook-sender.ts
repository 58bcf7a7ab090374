import http from 'node:http';
import https from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

/** What one POST came to: the HTTP status, or null and an error when no answer came. */
export interface SendResult {
  readonly status: number | null;
  readonly error: string | null;
  readonly latencyMs: number;
}

export interface SenderOptions {
  /** Allow loopback, link-local, private and unique-local destinations (WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
  readonly allowPrivateNetworks: boolean;
  /** Whole-request timeout: connect, send and the answer's headers and body. */
  readonly timeoutMs: number;
}

/** At most this much of an answer's body is read (and then discarded): receivers are not trusted. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs webhook bodies with node:http(s) through request-filtering-agent, which checks the address each
 * connection actually resolves to (so DNS rebinding cannot reach a refused range), refuses non-http(s) URLs,
 * follows no redirect, and bounds every request by a timeout. Never throws: failures are results.
 */
export class WebhookSender {
  private readonly httpAgent: RequestFilteringHttpAgent;
  private readonly httpsAgent: RequestFilteringHttpsAgent;

  constructor(private readonly options: SenderOptions) {
    const filter = { allowPrivateIPAddress: options.allowPrivateNetworks, allowMetaIPAddress: false, keepAlive: true, maxFreeSockets: 4 };
    this.httpAgent = new RequestFilteringHttpAgent(filter);
    this.httpsAgent = new RequestFilteringHttpsAgent(filter);
  }

  post(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<SendResult> {
    const started = performance.now();
    const done = (status: number | null, error: string | null): SendResult => ({ status, error, latencyMs: performance.now() - started });
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve(done(null, 'invalid URL'));
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return Promise.resolve(done(null, `unsupported protocol ${target.protocol}`));
    const transport = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (status: number | null, error: string | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(done(status, error));
      };
      const request = transport.request(
        target,
        { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } },
        (response) => {
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_ANSWER_BYTES) response.destroy();
          });
          response.on('end', () => finish(response.statusCode ?? null, null));
          response.on('close', () => finish(response.statusCode ?? null, null));
          response.on('error', () => finish(response.statusCode ?? null, null));
        },
      );
      const timer = setTimeout(() => {
        request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => finish(null, describeError(error)));
      request.end(body);
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function describeError(error: NodeJS.ErrnoException): string {
  const refused = /^DNS lookup ([^(\s]+)\(.*is not allowed/.exec(error.message);
  if (refused) return `refused destination ${refused[1]}: a loopback, private, link-local or reserved address (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true allows them)`;
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
