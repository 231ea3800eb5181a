/**
 * A local webhook receiver for certgate's alert events, as an operator's endpoint would be: it checks the
 * signature (shared/alerts/webhookSignature.ts: a tampered or unsigned delivery gets 401), deduplicates by
 * `webhook-id` (the CloudEvent id: a redelivery after a lost acknowledgement is answered 200 and not counted
 * twice), logs one line per new event, and shows what it received at its URL (`/` an HTML page, `/alerts.json`
 * the events as JSON). `setAvailable(false)` makes it answer 503, to watch retries. The local stack starts it and
 * configures it as certgate's webhook. Dev and test only.
 * May import: the webhook signature module, node built-ins.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook, WEBHOOK_HEADERS } from '../shared/alerts/webhookSignature.js';

/** One event as received. */
export interface ReceivedAlert {
  readonly id: string;
  readonly receivedAt: string;
  readonly event: { readonly type?: string; readonly subject?: string; readonly data?: Record<string, unknown> };
}

/** Options of {@link startWebhookSink}. */
export interface WebhookSinkOptions {
  readonly secret: string;
  readonly host?: string;
  readonly port?: number;
  readonly log?: (line: string) => void;
  /** The receiver's clock (signature timestamp tolerance). */
  readonly now?: () => Date;
  /** Most events kept for the page (oldest dropped); the delivered-id set is kept whole. */
  readonly keep?: number;
}

/** A running webhook sink. */
export interface WebhookSink {
  readonly url: string;
  /** Unique events, oldest first. */
  readonly received: readonly ReceivedAlert[];
  /** Every id delivered at least once (the idempotency record). */
  readonly deliveredIds: ReadonlySet<string>;
  /** Deliveries of an id already delivered (answered 200, not counted again). */
  readonly duplicates: number;
  /** Deliveries refused for their signature. */
  readonly rejected: number;
  /** Deliveries answered 503 while unavailable. */
  readonly refused: number;
  setAvailable(available: boolean): void;
  close(): Promise<void>;
}

/** A field shown as text (objects as JSON). */
function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Starts the sink on loopback. */
export async function startWebhookSink(options: WebhookSinkOptions): Promise<WebhookSink> {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  const keep = options.keep ?? 500;
  const received: ReceivedAlert[] = [];
  const deliveredIds = new Set<string>();
  const counts = { duplicates: 0, rejected: 0, refused: 0 };
  let available = true;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://sink').pathname;
      if (req.method === 'GET' && path === '/alerts.json') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ received, duplicates: counts.duplicates, rejected: counts.rejected }, null, 2));
        return;
      }
      if (req.method === 'GET' && path === '/') {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        const rows = received
          .slice()
          .reverse()
          .map(
            (r) =>
              `<tr><td>${escapeHtml(r.receivedAt)}</td><td>${escapeHtml(r.event.type ?? '')}</td><td>${escapeHtml(
                text(r.event.data?.severity),
              )}</td><td>${escapeHtml(text(r.event.data?.message))}</td><td><code>${escapeHtml(r.id)}</code></td></tr>`,
          )
          .join('');
        res.end(
          `<!doctype html><title>certgate alerts</title><h1>certgate alerts received (${received.length})</h1>` +
            `<p>duplicates ignored: ${counts.duplicates}, signatures refused: ${counts.rejected}. JSON: <a href="/alerts.json">/alerts.json</a></p>` +
            `<table border="1" cellpadding="4"><tr><th>received</th><th>type</th><th>severity</th><th>message</th><th>id</th></tr>${rows}</table>`,
        );
        return;
      }
      if (req.method !== 'POST') {
        res.statusCode = 405;
        res.end();
        return;
      }
      if (!available) {
        counts.refused++;
        res.statusCode = 503;
        res.end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => {
        const value = req.headers[name];
        return typeof value === 'string' ? value : null;
      };
      const verdict = verifyWebhook(
        options.secret,
        {
          id: header(WEBHOOK_HEADERS.id),
          timestamp: header(WEBHOOK_HEADERS.timestamp),
          signature: header(WEBHOOK_HEADERS.signature),
        },
        body,
        now(),
      );
      if (!verdict.ok) {
        counts.rejected++;
        log(`webhook sink: refused a delivery (${verdict.reason})`);
        res.statusCode = 401;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: { code: verdict.reason, message: 'signature not accepted' } }));
        return;
      }
      const id = header(WEBHOOK_HEADERS.id)!;
      if (deliveredIds.has(id)) {
        counts.duplicates++;
        res.statusCode = 200;
        res.end();
        return;
      }
      let event: ReceivedAlert['event'];
      try {
        event = JSON.parse(body) as ReceivedAlert['event'];
      } catch {
        res.statusCode = 400;
        res.end();
        return;
      }
      deliveredIds.add(id);
      received.push({ id, receivedAt: now().toISOString(), event });
      if (received.length > keep) received.shift();
      log(`webhook sink: ${event.type ?? '?'} ${text(event.data?.message)} (id ${id})`);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    received,
    deliveredIds,
    get duplicates() {
      return counts.duplicates;
    },
    get rejected() {
      return counts.rejected;
    },
    get refused() {
      return counts.refused;
    },
    setAvailable: (value) => {
      available = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
