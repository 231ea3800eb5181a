/**
 * Contoso Files: the small app the local stack puts behind certgate's gate, a plain node:http
 * server. Pages: `/` (the file list and the uploads), `/files/<name>` (a file's page),
 * `/files/<name>?download=1` and `/download/<name>` (the file as an attachment with its content
 * type and length; dataset.csv is generated as it streams), `/upload` (a multipart form; POST
 * stores the file in memory, capped), `/whoami` (the identity headers the gate sent and whether the
 * signed assertion verified; `?format=json` for machines), `/healthz`.
 *
 * With `certgate` set it accepts only the gate: every request but `/healthz` needs an
 * `X-Certgate-Assertion` that verifies against certgate's published keys (./gateAssertion.ts),
 * otherwise 401, whatever plain `X-Certgate-*` headers it carries. Dev and test only.
 * May import: node built-ins, jose (through ./gateAssertion.ts), the modules of this folder,
 * ../listen.ts.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Busboy } from '@fastify/busboy';
import { pipeline } from 'node:stream/promises';
import { listenOn } from '../listen.js';
import { fileCatalogue, type CatalogueFile, type CatalogueSizes } from './fileCatalogue.js';
import {
  ASSERTION_HEADER,
  gateAssertionVerifier,
  type AssertionCheck,
  type AssertionVerifier,
  type GateTrust,
} from './gateAssertion.js';

/** Options of {@link startContosoFiles}. */
export interface ContosoFilesOptions {
  /** Address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port, 0 (default) for any free one. */
  readonly port?: number;
  /** When set, only requests carrying a verified certgate assertion are served. */
  readonly certgate?: GateTrust;
  /** File sizes (tests shrink them). */
  readonly sizes?: CatalogueSizes;
  /** Largest upload body accepted, default 10 MiB; more is refused with 413. */
  readonly uploadLimitBytes?: number;
}

/** A stored upload (the bytes are kept in memory; the newest {@link UPLOADS_KEPT}). */
export interface StoredUpload {
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  /** The gate's `X-Certgate-User`, if any. */
  readonly uploadedBy: string | undefined;
  readonly bytes: Buffer;
}

/** A running Contoso Files. */
export interface ContosoFiles {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  readonly url: string;
  readonly files: readonly CatalogueFile[];
  /** Uploads stored so far, oldest first. */
  readonly uploads: () => readonly StoredUpload[];
  readonly close: () => Promise<void>;
}

/** How many uploads are kept in memory. */
export const UPLOADS_KEPT = 20;
/** The identity headers certgate's gate sends upstream, as shown by `/whoami`. */
export const IDENTITY_HEADERS = [
  'x-certgate-user',
  'x-certgate-device-tags',
  'x-certgate-decision-id',
  ASSERTION_HEADER,
] as const;

const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

/** Starts Contoso Files on `host:port`. */
export async function startContosoFiles(options: ContosoFilesOptions = {}): Promise<ContosoFiles> {
  const files = fileCatalogue(options.sizes);
  const byName = new Map(files.map((file) => [file.name, file]));
  const uploadLimit = options.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT;
  const verify: AssertionVerifier | undefined =
    options.certgate === undefined ? undefined : gateAssertionVerifier(options.certgate);
  const uploads: StoredUpload[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://contoso-files.invalid');
    const path = url.pathname;
    if (path === '/healthz') {
      send(response, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    }

    const assertion = verify === undefined ? undefined : await verify(headerOf(request, ASSERTION_HEADER));
    if (assertion !== undefined && !assertion.verified) {
      request.resume();
      if (wantsJson(request, url)) {
        {
          sendJson(response, 401, { error: { code: assertion.code, message: assertion.detail } });
          return;
        }
      }
      {
        sendHtml(
          response,
          401,
          'Only through certgate',
          `<p>Contoso Files accepts only requests that come through certgate's gate.</p>
<p>The signed assertion did not verify: <code>${escapeHtml(assertion.code)}</code>.</p>`,
        );
        return;
      }
    }

    const method = request.method ?? 'GET';
    const reading = method === 'GET' || method === 'HEAD';
    if (path === '/' && reading) {
      sendHtml(response, 200, 'Contoso Files', listPage(files, uploads));
      return;
    }
    if (path === '/whoami' && reading) {
      const seen = identityHeaders(request);
      if (wantsJson(request, url)) {
        sendJson(response, 200, { headers: seen, assertion: assertion ?? null });
        return;
      }
      {
        sendHtml(response, 200, 'Who am I', whoamiPage(seen, assertion));
        return;
      }
    }
    if (path === '/upload' && reading) {
      sendHtml(response, 200, 'Upload a file', uploadPage(uploadLimit));
      return;
    }
    if (path === '/upload' && method === 'POST') {
      return receiveUpload(request, response, uploadLimit, uploads, url);
    }
    const fileMatch = /^\/(files|download)\/([^/]+)$/.exec(path);
    if (fileMatch !== null && reading) {
      const file = byName.get(safeDecode(fileMatch[2]!));
      if (file === undefined) {
        sendHtml(response, 404, 'Not found', '<p>No such file.</p>');
        return;
      }
      if (fileMatch[1] === 'files' && url.searchParams.get('download') !== '1') {
        {
          sendHtml(response, 200, file.name, filePage(file));
          return;
        }
      }
      return sendFile(request, response, file);
    }
    request.resume();
    sendHtml(response, reading ? 404 : 405, 'Not found', '<p>Nothing here.</p>');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { error: { code: 'sample-app-error', message: String(error) } });
      else response.destroy();
    });
  });
  const authority = await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: `http://${authority}`,
    files,
    uploads: () => [...uploads],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
      }),
  };
}

async function sendFile(request: IncomingMessage, response: ServerResponse, file: CatalogueFile): Promise<void> {
  response.writeHead(200, {
    'content-type': file.contentType,
    'content-length': file.size,
    'content-disposition': `attachment; filename="${file.name}"`,
    'cache-control': 'no-store',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  await pipeline(file.open(), response);
}

async function receiveUpload(
  request: IncomingMessage,
  response: ServerResponse,
  limit: number,
  uploads: StoredUpload[],
  url: URL,
): Promise<void> {
  const contentType = headerOf(request, 'content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    request.resume();
    sendHtml(response, 415, 'Upload refused', '<p>Send the file as multipart/form-data.</p>');
    return;
  }
  if (Number(headerOf(request, 'content-length') ?? '0') > limit) {
    refuseTooLarge(request, response, limit, url);
    return;
  }
  const uploadedBy = headerOf(request, 'x-certgate-user');
  const received: Promise<StoredUpload>[] = [];
  const limitHit = { file: false };
  try {
    const parser = Busboy({
      headers: { ...request.headers, 'content-type': contentType },
      limits: { fileSize: limit, files: 5 },
    });
    parser.on('file', (_field, stream, filename, _encoding, mimeType) => {
      stream.on('limit', () => {
        limitHit.file = true;
      });
      received.push(
        (async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          const bytes = Buffer.concat(chunks);
          const sha256 = createHash('sha256').update(bytes).digest('hex');
          return { name: filename, contentType: mimeType, size: bytes.length, sha256, uploadedBy, bytes };
        })(),
      );
    });
    await pipeline(request, parser);
  } catch (error) {
    request.resume();
    sendHtml(response, 400, 'Upload refused', `<p>Unreadable form: ${escapeHtml(String(error))}</p>`);
    return;
  }
  const stored = await Promise.all(received);
  if (limitHit.file) {
    refuseTooLarge(request, response, limit, url);
    return;
  }
  if (stored.length === 0) {
    sendHtml(response, 400, 'Upload refused', '<p>The form carried no file.</p>');
    return;
  }
  uploads.push(...stored);
  uploads.splice(0, Math.max(0, uploads.length - UPLOADS_KEPT));
  const summary = stored.map(({ name, size, sha256 }) => ({ name, size, sha256 }));
  if (wantsJson(request, url)) {
    sendJson(response, 201, { stored: summary });
    return;
  }
  const items = summary.map((s) => `<li>${escapeHtml(s.name)}: ${s.size} bytes</li>`).join('');
  sendHtml(response, 201, 'Uploaded', `<ul>${items}</ul><p><a href="/">Back to the files</a></p>`);
}

function refuseTooLarge(request: IncomingMessage, response: ServerResponse, limit: number, url: URL): void {
  request.unpipe();
  request.resume();
  response.setHeader('connection', 'close');
  const message = `Uploads are limited to ${limit} bytes.`;
  if (wantsJson(request, url)) {
    sendJson(response, 413, { error: { code: 'upload-too-large', message } });
    return;
  }
  sendHtml(response, 413, 'Upload too large', `<p>${message}</p>`);
}

function identityHeaders(request: IncomingMessage): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name.startsWith('x-certgate-') || name.startsWith('x-forwarded-') || name === 'forwarded') {
      seen[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return seen;
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function wantsJson(request: IncomingMessage, url: URL): boolean {
  return url.searchParams.get('format') === 'json' || (headerOf(request, 'accept') ?? '').includes('application/json');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Escapes text for HTML bodies and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} bytes`;
}

function listPage(files: readonly CatalogueFile[], uploads: readonly StoredUpload[]): string {
  const rows = files
    .map((file) => {
      const href = `/files/${encodeURIComponent(file.name)}`;
      return `<tr><td><a href="${href}">${escapeHtml(file.name)}</a></td><td>${escapeHtml(file.description)}</td>
<td>${formatSize(file.size)}</td><td><a class="download" id="download-${escapeHtml(file.name)}" href="${href}?download=1">Download</a></td></tr>`;
    })
    .join('\n');
  const uploaded =
    uploads.length === 0
      ? '<p>No uploads yet.</p>'
      : `<ul>${uploads.map((u) => `<li>${escapeHtml(u.name)} (${formatSize(u.size)})${u.uploadedBy === undefined ? '' : ` by ${escapeHtml(u.uploadedBy)}`}</li>`).join('')}</ul>`;
  return `<table id="files"><thead><tr><th>Name</th><th>What</th><th>Size</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Uploads</h2>${uploaded}
<p><a href="/upload">Upload a file</a> · <a href="/whoami">Who am I?</a></p>`;
}

function filePage(file: CatalogueFile): string {
  const href = `/files/${encodeURIComponent(file.name)}?download=1`;
  return `<p>${escapeHtml(file.description)}, ${formatSize(file.size)}, ${escapeHtml(file.contentType)}.</p>
<p><a class="download" id="download" href="${href}">Download ${escapeHtml(file.name)}</a></p>
<p><a href="/">Back to the files</a></p>`;
}

function uploadPage(limit: number): string {
  return `<form id="upload" method="post" action="/upload" enctype="multipart/form-data">
<input type="file" name="file" id="file"> <button type="submit">Upload</button>
</form><p>Up to ${formatSize(limit)}.</p><p><a href="/">Back to the files</a></p>`;
}

function whoamiPage(seen: Record<string, string>, assertion: AssertionCheck | undefined): string {
  const rows = IDENTITY_HEADERS.map(
    (name) =>
      `<tr><th>${name}</th><td id="${name}">${seen[name] === undefined ? '<em>not sent</em>' : escapeHtml(seen[name])}</td></tr>`,
  ).join('\n');
  const verdict =
    assertion === undefined
      ? '<p id="assertion">Not checked: this instance was started without certgate\'s URL.</p>'
      : assertion.verified
        ? `<p id="assertion">Assertion verified (key ${escapeHtml(assertion.keyId ?? 'without id')}).</p><pre>${escapeHtml(JSON.stringify(assertion.claims, null, 2))}</pre>`
        : `<p id="assertion">Assertion not verified: ${escapeHtml(assertion.code)}</p>`;
  return `<table id="identity">${rows}</table>${verdict}<p><a href="/">Back to the files</a></p>`;
}

function sendHtml(response: ServerResponse, status: number, title: string, body: string): void {
  send(
    response,
    status,
    'text/html; charset=utf-8',
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Contoso Files</title></head>
<body><header><strong>Contoso Files</strong></header><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`,
  );
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  const bytes = Buffer.from(body);
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': bytes.length,
    'cache-control': 'no-store',
  });
  response.end(bytes);
}
