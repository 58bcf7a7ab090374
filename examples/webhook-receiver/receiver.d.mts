import type { Server } from 'node:http';

export declare const DEFAULT_TOLERANCE_SECONDS: number;

export declare function verifySignature(input: {
  header: string | undefined;
  body: string | Buffer;
  secret: string;
  toleranceSeconds?: number;
  now?: number;
}): { ok: true; timestamp: number } | { ok: false; reason: string };

export declare function createReceiver(options: {
  secret: string;
  onEvent: (event: { id: string; type: string; createdAt: string; alert: unknown }, deliveryId: string) => void | Promise<void>;
  remember?: number;
  toleranceSeconds?: number;
}): Server;
