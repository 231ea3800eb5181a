/**
 * The dev servers never die on input: the local Functions host (plain HTTP) and the local mTLS
 * gateway in front of it get a few hundred malformed requests over raw sockets (node:net /
 * node:tls, so broken request lines are possible): bad percent-encodings, broken and hostile
 * Host headers, absurd methods and versions, header names that are Object.prototype members,
 * oversized heads, broken bodies. Every answer must be a 4xx (a 400 with a JSON
 * `{ error: { code, message } }`), never a 5xx, never silence; after every batch a normal request
 * still gets its normal answer, and no unhandled rejection or uncaught exception happened. Part
 * of the cases come from fast-check with a fixed seed. A last test runs both servers in a child
 * process with Node's default error handling, where an unhandled rejection ends the process, as
 * it ends `npm start`.
 */
import fc from 'fast-check';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, type DevPki } from '../../dev/pki/index.js';
import {
  probeBytes,
  rawExchange,
  startDevServers,
  type DevServers,
  type RawAnswer,
  type RawTarget,
} from './devServersUnderTest.js';

/**
 * One malformed request. `mayReset`: the server may reset the connection before the client reads
 * its 4xx (oversized heads). `abandonAfterMs`: the client resets the connection after that long, so
 * no answer is expected; only that the servers keep serving.
 */
interface FuzzCase {
  readonly label: string;
  readonly bytes: Buffer;
  readonly halfClose?: boolean;
  readonly mayReset?: boolean;
  readonly abandonAfterMs?: number;
}

const CRLF = '\r\n';

/** Bytes from parts: strings are taken byte for byte (latin1), so `\xff` is one byte; use {@link utf8} for text. */
function bytesOf(...parts: (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part)));
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/**
 * A request head: the request line, the headers given (Host first unless `headers` says otherwise), `Connection:
 * close`.
 */
function head(line: string | Buffer, headers: readonly (string | Buffer)[] = ['Host: 127.0.0.1']): Buffer {
  return bytesOf(line, CRLF, ...headers.flatMap((header) => [header, CRLF]), 'Connection: close', CRLF, CRLF);
}

function onHost(label: string, host: string | Buffer, path = '/api/authorize/x'): FuzzCase {
  return { label: `Host ${label}`, bytes: head(`GET ${path} HTTP/1.1`, [bytesOf('Host: ', host)]) };
}

const PERCENT = [
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%C0%AF',
  '%ED%A0%80',
  '%F8%88%80%80%80',
  '%00',
  '%2F',
  '%25',
  '%%',
  '%u0041',
  '%E2%82',
  'a%2',
  '%FF%FE',
];

const EXPLICIT: FuzzCase[] = [
  // Percent-encodings in every parameter kind (catch-all, required, optional), the query and unknown routes.
  ...PERCENT.map((p) => ({ label: `catch-all ${p}`, bytes: head(`GET /api/authorize/${p} HTTP/1.1`) })),
  ...PERCENT.map((p) => ({ label: `required param ${p}`, bytes: head(`GET /api/items/${p} HTTP/1.1`) })),
  ...PERCENT.map((p) => ({ label: `optional param ${p}`, bytes: head(`DELETE /api/items/1/${p} HTTP/1.1`) })),
  { label: 'keyed route %ZZ', bytes: head('GET /api/keyed/%ZZ HTTP/1.1') },
  { label: 'keyed route %ZZ with a key', bytes: head('GET /api/keyed/%ZZ?code=fuzz-function-key HTTP/1.1') },
  { label: 'query %ZZ', bytes: head('GET /api/authorize/x?%ZZ=%&code=%E0%A4%A HTTP/1.1') },
  { label: 'unknown route %ZZ', bytes: head('GET /api/nothing/%ZZ HTTP/1.1') },
  { label: 'root %ZZ', bytes: head('GET /%ZZ HTTP/1.1') },
  { label: 'HEAD %ZZ', bytes: head('HEAD /api/authorize/%ZZ HTTP/1.1') },
  {
    label: 'POST %ZZ with a body',
    bytes: bytesOf(head('POST /api/upload/%ZZ HTTP/1.1', ['Host: 127.0.0.1', 'Content-Length: 3']), 'abc'),
  },
  { label: 'raw bytes 0xff in the path', bytes: head('GET /api/authorize/\xff\xfe HTTP/1.1') },
  { label: 'raw UTF-8 in the path', bytes: head(bytesOf('GET /api/items/', utf8('ä€𝄞'), ' HTTP/1.1')) },
  { label: 'very long path', bytes: head(`GET /api/authorize/${'a'.repeat(20_000)} HTTP/1.1`) },
  {
    label: 'path over the head limit',
    bytes: head(`GET /api/authorize/${'%41'.repeat(15_000)} HTTP/1.1`),
    mayReset: true,
  },
  // Hosts.
  onHost('a b', 'a b'),
  onHost('empty', ''),
  onHost('very long', 'h'.repeat(10_000)),
  onHost('[::1', '[::1'),
  onHost('[::1]:99999', '[::1]:99999'),
  onHost('::1 unbracketed', '::1'),
  onHost('[zz]', '[zz]'),
  onHost('non-ASCII UTF-8', utf8('bücher.example')),
  onHost('latin1 bytes', '\xff\xfe'),
  onHost('control char', 'a\x01b'),
  onHost('DEL', 'a\x7fb'),
  onHost('with a path', 'a/b'),
  onHost('with a query', 'a?b'),
  onHost('with a fragment', 'a#b'),
  onHost('with userinfo', 'user:pass@a'),
  onHost('with two colons', 'a:b:c'),
  onHost('negative port', 'a:-1'),
  onHost('port out of range', 'a:65536'),
  onHost('percent-encoded', '%41'),
  onHost('percent-encoded space', 'a%20b'),
  onHost('five-part IPv4', '1.2.3.4.5'),
  onHost('IPv4 out of range', '999.1.1.1'),
  onHost('comma list', '127.0.0.1, evil.example'),
  onHost('backslash', 'a\\b'),
  onHost('a b on a keyed route', 'a b', '/api/keyed/1'),
  onHost('a b on an unknown route', 'a b', '/api/nothing'),
  { label: 'no Host (HTTP/1.1)', bytes: head('GET /api/authorize/x HTTP/1.1', []) },
  { label: 'duplicate Host', bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'Host: evil.example']) },
  { label: 'duplicate Host, one empty', bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: ', 'Host: 127.0.0.1']) },
  // Request targets and request lines.
  { label: 'asterisk GET', bytes: head('GET * HTTP/1.1') },
  { label: 'asterisk OPTIONS', bytes: head('OPTIONS * HTTP/1.1') },
  { label: 'no leading slash', bytes: head('GET api/authorize/x HTTP/1.1') },
  { label: 'network-path reference', bytes: head('GET //evil.example/api/authorize/x HTTP/1.1') },
  { label: 'absolute form, other authority', bytes: head('GET http://evil.example/api/authorize/x HTTP/1.1') },
  { label: 'absolute form, broken authority', bytes: head('GET http://[::1/api/authorize/x HTTP/1.1') },
  { label: 'absolute form, ftp', bytes: head('GET ftp://127.0.0.1/api/authorize/x HTTP/1.1') },
  { label: 'absolute form, no slashes', bytes: head('GET http:/api/authorize/x HTTP/1.1') },
  { label: 'absolute form, %ZZ', bytes: head('GET http://127.0.0.1/api/authorize/%ZZ HTTP/1.1') },
  { label: 'absolute form, empty Host', bytes: head('GET http://127.0.0.1/api/authorize/x HTTP/1.1', ['Host: ']) },
  { label: 'absolute form, userinfo', bytes: head('GET http://u:p@127.0.0.1/api/authorize/x HTTP/1.1') },
  { label: 'absolute form, HTTP/1.0 without Host', bytes: head('GET http://127.0.0.1/api/authorize/%ZZ HTTP/1.0', []) },
  { label: 'HTTP/1.0 without Host', bytes: head('GET /api/authorize/%E0%A4%A HTTP/1.0', []) },
  { label: 'space in the target', bytes: head('GET http://a b/ HTTP/1.1') },
  { label: 'NUL in the target', bytes: head('GET /api/authorize/a\x00b HTTP/1.1') },
  { label: 'HTTP/9.9', bytes: head('GET /api/authorize/x HTTP/9.9') },
  { label: 'HTTP/2.0', bytes: head('GET /api/authorize/x HTTP/2.0') },
  { label: 'no version', bytes: head('GET /api/authorize/x') },
  { label: 'double space', bytes: head('GET  /api/authorize/x HTTP/1.1') },
  { label: 'tab separator', bytes: head('GET /api/authorize/x\tHTTP/1.1') },
  { label: 'lower-case method', bytes: head('get /api/authorize/x HTTP/1.1') },
  { label: 'unknown method', bytes: head('FOO /api/authorize/x HTTP/1.1') },
  { label: 'TRACE on a route that lists it', bytes: head('TRACE /api/authorize/x HTTP/1.1') },
  { label: 'TRACE %ZZ', bytes: head('TRACE /api/authorize/%ZZ HTTP/1.1') },
  { label: 'PROPFIND', bytes: head('PROPFIND /api/authorize/x HTTP/1.1') },
  { label: 'M-SEARCH *', bytes: head('M-SEARCH * HTTP/1.1') },
  { label: 'CONNECT authority', bytes: head('CONNECT 127.0.0.1:443 HTTP/1.1', ['Host: 127.0.0.1:443']) },
  { label: 'CONNECT path', bytes: head('CONNECT /api/authorize/x HTTP/1.1') },
  { label: 'HTTP/2 preface', bytes: bytesOf('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n') },
  { label: 'TLS hello on plain HTTP', bytes: bytesOf('\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03', CRLF, CRLF) },
  { label: 'garbage line', bytes: bytesOf('\x00\x01\x02 hello', CRLF, CRLF) },
  // Headers.
  ...['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'].map((name) => ({
    label: `header ${name}`,
    bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', `${name}: x`, `${name}: y`]),
  })),
  {
    label: 'obs-text header value',
    bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'x-a: \xff\xfe\x80']),
  },
  {
    label: 'control char in a header value',
    bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'x-a: a\x01b']),
  },
  { label: 'space in a header name', bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'x a: b']) },
  { label: 'header without a colon', bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'garbage']) },
  { label: 'obs-fold', bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'x-a: b', ' folded']) },
  {
    label: 'non-ASCII function key',
    bytes: head('GET /api/keyed/1 HTTP/1.1', ['Host: 127.0.0.1', 'x-functions-key: \xff']),
  },
  {
    label: 'a 20 KiB header',
    bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', `x-big: ${'b'.repeat(20_000)}`]),
  },
  {
    label: 'a 64 KiB header',
    bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', `x-big: ${'b'.repeat(64 * 1024)}`]),
    mayReset: true,
  },
  {
    label: '3000 headers',
    bytes: head('GET /api/authorize/x HTTP/1.1', [
      'Host: 127.0.0.1',
      ...Array.from({ length: 3000 }, (_, i) => `x-h${i % 10}: ${i}`),
    ]),
  },
  { label: 'Content-Length abc', bytes: head('POST /api/upload HTTP/1.1', ['Host: 127.0.0.1', 'Content-Length: abc']) },
  {
    label: 'two Content-Lengths',
    bytes: bytesOf(
      head('POST /api/upload HTTP/1.1', ['Host: 127.0.0.1', 'Content-Length: 3', 'Content-Length: 4']),
      'abcd',
    ),
  },
  {
    label: 'Content-Length and chunked',
    bytes: bytesOf(
      head('POST /api/upload HTTP/1.1', ['Host: 127.0.0.1', 'Content-Length: 3', 'Transfer-Encoding: chunked']),
      '0\r\n\r\n',
    ),
  },
  {
    label: 'Transfer-Encoding gzip',
    bytes: head('POST /api/upload HTTP/1.1', ['Host: 127.0.0.1', 'Transfer-Encoding: gzip']),
  },
  {
    label: 'bad chunk size',
    bytes: bytesOf(
      head('POST /api/upload HTTP/1.1', ['Host: 127.0.0.1', 'Transfer-Encoding: chunked']),
      'zz\r\nabc\r\n0\r\n\r\n',
    ),
  },
  {
    label: 'bad chunk size, catch-all route',
    bytes: bytesOf(
      head('POST /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'Transfer-Encoding: chunked']),
      '3\r\nabc\r\nzz\r\n\r\n',
    ),
  },
  {
    label: 'truncated body, then EOF',
    bytes: bytesOf(head('POST /api/upload HTTP/1.1', ['Host: 127.0.0.1', 'Content-Length: 100']), 'abc'),
    halfClose: true,
  },
  {
    label: 'truncated chunked body, then EOF',
    bytes: bytesOf(
      head('PUT /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'Transfer-Encoding: chunked']),
      '10\r\nabc',
    ),
    halfClose: true,
  },
  {
    label: 'Expect: 100-continue',
    bytes: bytesOf(
      head('POST /api/upload/%ZZ HTTP/1.1', ['Host: 127.0.0.1', 'Expect: 100-continue', 'Content-Length: 3']),
      'abc',
    ),
  },
  { label: 'Expect: bogus', bytes: head('GET /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'Expect: bogus']) },
  {
    label: 'Upgrade: websocket',
    bytes: head('GET /api/authorize/%ZZ HTTP/1.1', ['Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade']),
  },
  // Clients that go away: before the answer, mid-body, while the function runs, mid-response.
  { label: 'reset right after the head', bytes: head('GET /api/authorize/x HTTP/1.1'), abandonAfterMs: 0 },
  {
    label: 'reset mid-head',
    bytes: bytesOf('GET /api/authorize/x HTTP/1.1\r\nHost: 127.0.0.1\r\nx-a: '),
    abandonAfterMs: 5,
  },
  {
    label: 'reset mid-body',
    bytes: bytesOf(head('POST /api/upload HTTP/1.1', ['Host: 127.0.0.1', 'Content-Length: 100000']), 'a'.repeat(5000)),
    abandonAfterMs: 5,
  },
  {
    label: 'reset mid-chunked-body',
    bytes: bytesOf(
      head('POST /api/authorize/x HTTP/1.1', ['Host: 127.0.0.1', 'Transfer-Encoding: chunked']),
      '100\r\nabc',
    ),
    abandonAfterMs: 5,
  },
  {
    label: 'reset after a 100-continue',
    bytes: head('POST /api/upload HTTP/1.1', ['Host: 127.0.0.1', 'Expect: 100-continue', 'Content-Length: 10']),
    abandonAfterMs: 20,
  },
  {
    label: 'reset mid-pipeline',
    bytes: bytesOf('GET /api/authorize/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', head('GET /api/authorize/%ZZ HTTP/1.1')),
    abandonAfterMs: 1,
  },
  {
    label: 'Upgrade: h2c',
    bytes: head('GET /api/authorize/x HTTP/1.1', [
      'Host: a b',
      'Upgrade: h2c',
      'Connection: Upgrade, HTTP2-Settings',
      'HTTP2-Settings: AAMAAABkAAQAAP__',
    ]),
  },
];

// Generated cases: fast-check, fixed seed. A plausible request (method, path, version, Host,
// headers) with one to three parts broken, so that cases get past Node's parser and reach the
// target checks, the routing and the functions, not only the parser.
const plausibleSegment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/),
  fc.constantFrom('1', 'a', '%41', '%C3%A4', '%2F', '..', '.'),
);
const brokenSegment = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...PERCENT, '?code=%ZZ', '#', ';', '@', ':', '%2e%2e', '\\', '') },
  // Raw controls and non-ASCII: Node's parser refuses these, so they are fewer.
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }) },
);
const plausible = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD', 'DELETE', 'PUT', 'OPTIONS'),
    prefix: fc.constantFrom('/api/authorize/', '/api/items/', '/api/items/1/', '/api/keyed/', '/api/upload/', '/api/'),
    segments: fc.array(plausibleSegment, { maxLength: 3 }),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0'),
    hosts: fc.constantFrom(['127.0.0.1'], ['localhost:7071'], ['[::1]'], ['contoso.example']),
    headers: fc.uniqueArray(
      fc.constantFrom('x-a: 1', 'Content-Length: 0', 'x-functions-key: fuzz', 'Accept: */*', 'Cookie: a=b'),
      { maxLength: 2 },
    ),
  })
  .map((r): Plausible => ({ ...r, hosts: [...r.hosts] }));
type Plausible = {
  method: string;
  prefix: string;
  segments: string[];
  version: string;
  hosts: string[];
  headers: string[];
};
type Breakage = (request: Plausible) => Plausible;
const breakage: fc.Arbitrary<Breakage> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('TRACE', 'PROPFIND', 'M-SEARCH', 'PURGE', 'get', 'GETT', 'FOO', '', 'G\x00T', 'CONNECT')
      .map((method): Breakage => (r) => ({ ...r, method })),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(brokenSegment, fc.nat()).map(([segment, at]): Breakage => (r) => ({
      ...r,
      segments: r.segments.toSpliced(at % (r.segments.length + 1), 0, segment),
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        '',
        '*',
        '//',
        'http://a b/',
        'https://[::1/',
        'api/authorize/',
        'http://evil.example/api/authorize/',
        'ftp://x/',
      )
      .map((prefix): Breakage => (r) => ({ ...r, prefix })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('HTTP/1.2', 'HTTP/2.0', 'HTTP/0.9', 'http/1.1', 'HTTP/1.1 x', '')
      .map((version): Breakage => (r) => ({ ...r, version })),
  },
  {
    weight: 4,
    arbitrary: fc
      .oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom(
            'a b',
            '',
            '[::1',
            '::1',
            'a:b:c',
            'a/b',
            '%41',
            '1.2.3.4.5',
            'x'.repeat(3000),
            'a\tb',
            'a:99999',
            'user@a',
            'a,b',
            '[::1]:x',
            'a\\b',
          ),
        },
        { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }) },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }) },
      )
      .chain((host) =>
        fc.constantFrom<Breakage>(
          (r) => ({ ...r, hosts: [host] }),
          (r) => ({ ...r, hosts: [...r.hosts, host] }),
          (r) => ({ ...r, hosts: [] }),
        ),
      ),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'x-a',
          '__proto__',
          'constructor',
          'toString',
          'x-client-certificate',
          'x-forwarded-for',
          'x-functions-key',
          'x a',
          '',
          'Content-Length',
          'Transfer-Encoding',
          'Expect',
          'Upgrade',
        ),
        fc.oneof(
          fc.constantFrom('abc', '-1', 'gzip', 'chunked, gzip', '100-continue', 'nope', 'websocket'),
          fc.stringMatching(/^[ -~]{0,12}$/),
          fc.string({ unit: 'binary', maxLength: 8 }),
        ),
      )
      .map(([name, value]): Breakage => (r) => ({ ...r, headers: [...r.headers, `${name}: ${value}`] })),
  },
);
/** CR and LF are left to the explicit cases: here they would only change where the head ends. */
const line = (text: string) => utf8(text.replace(/[\r\n]/g, ' '));
const generatedRequest = fc
  .tuple(plausible, fc.array(breakage, { minLength: 1, maxLength: 3 }))
  .map(([base, breaks]) => {
    const r = breaks.reduce((request, apply) => apply(request), base);
    const requestLine = `${r.method} ${r.prefix}${r.segments.join('/')}${r.version === '' ? '' : ` ${r.version}`}`;
    const headerLines = [...r.hosts.map((h) => `Host: ${h}`), ...r.headers];
    return {
      label: `generated ${JSON.stringify([requestLine, ...headerLines].join(' | ')).slice(0, 240)}`,
      bytes: head(line(requestLine), headerLines.map(line)),
    };
  });
const GENERATED: FuzzCase[] = fc.sample(generatedRequest, { seed: 20_240_610, numRuns: 160 });

/**
 * The final response (interim 1xx answers such as 100 Continue skipped): its status, the text from its status line, its
 * body.
 */
function finalResponse(answer: RawAnswer): { status: number; text: string; body: string } {
  let text = `${answer.head}\r\n\r\n${answer.body}`;
  while (/^HTTP\/1\.[01] 1\d\d /.test(text)) text = text.slice(text.indexOf('\r\n\r\n') + 4);
  const split = text.indexOf('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? NaN),
    text,
    body: split >= 0 ? text.slice(split + 4) : '',
  };
}

/** What is wrong with an answer, or undefined when it is an acceptable refusal. */
function problemWith(fuzz: FuzzCase, answer: RawAnswer): string | undefined {
  if (fuzz.abandonAfterMs !== undefined) return undefined;
  const { status, text, body } = finalResponse(answer);
  if (Number.isNaN(status)) {
    if (fuzz.mayReset && answer.ending === 'reset') return undefined;
    return `no answer (${answer.ending})`;
  }
  if (status < 400 || status > 499) return `status ${status}: ${text.slice(0, 300)}`;
  if (status === 400 && !fuzz.bytes.subarray(0, 5).equals(Buffer.from('HEAD '))) {
    try {
      const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
      if (typeof parsed.error?.code !== 'string' || typeof parsed.error.message !== 'string')
        return `400 without { error: { code, message } }: ${body.slice(0, 200)}`;
    } catch {
      return `400 without a JSON body: ${text.slice(0, 300)}`;
    }
  }
  return undefined;
}

let base: string;
let pki: DevPki;
let pkiArgs: [string, string, string];
let servers: DevServers;
const processFailures: string[] = [];
const recordRejection = (reason: unknown) => {
  processFailures.push(
    `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
  );
};
const recordException = (error: Error) => {
  processFailures.push(`uncaught exception: ${error.stack ?? error.message}`);
};

beforeAll(async () => {
  process.on('unhandledRejection', recordRejection);
  process.on('uncaughtException', recordException);
  base = await mkdtemp(join(tmpdir(), 'certgate-devfuzz-'));
  const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  pkiArgs = [join(base, 'pki'), 'http://127.0.0.1:9/crl', today.toISOString()];
  pki = await ensureDevPki({ dir: pkiArgs[0], crlBaseUrl: pkiArgs[1], now: today });
  servers = await startDevServers(pki);
});

afterAll(async () => {
  await servers.close();
  await rm(base, { recursive: true, force: true });
  process.off('unhandledRejection', recordRejection);
  process.off('uncaughtException', recordException);
});

function targetsOf(hostPort: number, gatewayPort: number): RawTarget[] {
  return [
    { name: 'host', port: hostPort, tls: false },
    { name: 'gateway', port: gatewayPort, tls: true, ca: pki.root.certPem },
  ];
}

/** What keeps the stack from answering a normal request normally (none: both servers still serve). */
async function stillServing(targets: readonly RawTarget[], after: string): Promise<string[]> {
  const problems: string[] = [];
  for (const t of targets) {
    const answer = await rawExchange(t, probeBytes());
    let body: { ok?: boolean; verification?: string | null } = {};
    try {
      body = JSON.parse(answer.body) as typeof body;
    } catch {
      // reported below
    }
    const expected = t.name === 'gateway' ? { ok: true, verification: 'NONE' } : { ok: true, verification: null };
    if (answer.status !== 200 || body.ok !== expected.ok || body.verification !== expected.verification) {
      problems.push(
        `after ${after}: the ${t.name} answered a normal request with ${String(answer.status)} (${answer.ending}) ${answer.body.slice(0, 200)}`,
      );
    }
  }
  return problems;
}

async function expectStillServing(targets: readonly RawTarget[], after: string): Promise<void> {
  expect(await stillServing(targets, after)).toEqual([]);
}

/** Sends every case to every target, `concurrency` at a time; a probe follows every batch. */
async function fuzz(
  cases: readonly FuzzCase[],
  targets: readonly RawTarget[],
  concurrency = 12,
): Promise<{ failures: string[]; statuses: Record<string, Record<string, number>> }> {
  const failures: string[] = [];
  const statuses: Record<string, Record<string, number>> = {};
  for (let start = 0; start < cases.length; start += concurrency) {
    const batch = cases.slice(start, start + concurrency);
    await Promise.all(
      batch.flatMap((fuzzCase) =>
        targets.map(async (t) => {
          const answer = await rawExchange(t, fuzzCase.bytes, {
            halfClose: fuzzCase.halfClose ?? false,
            ...(fuzzCase.abandonAfterMs === undefined ? {} : { abandonAfterMs: fuzzCase.abandonAfterMs }),
          });
          const problem = problemWith(fuzzCase, answer);
          if (problem !== undefined) failures.push(`${t.name} ← ${fuzzCase.label}: ${problem}`);
          const seen = (statuses[t.name] ??= {});
          const final = finalResponse(answer);
          const code = final.status === 400 ? /"code":"([a-z-]+)"/.exec(final.body)?.[1] : undefined;
          const key = `${Number.isNaN(final.status) ? answer.ending : final.status}${code ? ` ${code}` : ''}`;
          seen[key] = (seen[key] ?? 0) + 1;
        }),
      ),
    );
    failures.push(...(await stillServing(targets, `batch ${start / concurrency + 1} (${batch[0]?.label ?? ''} …)`)));
    failures.push(
      ...processFailures.splice(0).map((failure) => `batch ${start / concurrency + 1}: ${failure.slice(0, 400)}`),
    );
  }
  return { failures, statuses };
}

describe('dev servers under malformed requests', () => {
  it('a normal request gets its normal answer on both servers', async () => {
    await expectStillServing(targetsOf(servers.host.port, servers.gateway.port), 'start');
  });

  it(`${EXPLICIT.length} hand-written malformed requests: each a 4xx, the stack keeps serving`, async () => {
    const { failures, statuses } = await fuzz(EXPLICIT, targetsOf(servers.host.port, servers.gateway.port));
    expect(failures).toEqual([]);
    // The cases reach every layer: the parser (400, 431), the target checks (400), routing (404), the functions (403),
    // TRACE (405).
    for (const name of ['host', 'gateway'])
      expect(
        Object.keys(statuses[name] ?? {}).map((key) => key.slice(0, 3)),
        name,
      ).toEqual(expect.arrayContaining(['400', '403', '404', '405', '431']));
  }, 180_000);

  it(`${GENERATED.length} generated malformed requests (fast-check, fixed seed): each a 4xx, the stack keeps serving`, async () => {
    const { failures, statuses } = await fuzz(GENERATED, targetsOf(servers.host.port, servers.gateway.port));
    expect(failures).toEqual([]);
    // Most cases get past Node's parser: to the target checks, the routing and the functions.
    for (const name of ['host', 'gateway']) {
      expect(Object.keys(statuses[name] ?? {}), name).toEqual(
        expect.arrayContaining([
          '403',
          '404',
          '400 malformed-request',
          '400 invalid-host-header',
          '400 duplicate-host-header',
          '400 invalid-percent-encoding',
        ]),
      );
    }
  }, 180_000);

  it('the hand-written cases are refused with the host\'s JSON body; %ZZ and Host "a b" are told apart', async () => {
    const [host, gateway] = targetsOf(servers.host.port, servers.gateway.port) as [RawTarget, RawTarget];
    for (const t of [host, gateway]) {
      const percent = await rawExchange(t, head('GET /api/authorize/%ZZ HTTP/1.1'));
      expect(percent.status).toBe(400);
      expect(JSON.parse(percent.body)).toMatchObject({ error: { code: 'invalid-percent-encoding' } });
      const badHost = await rawExchange(t, head('GET /api/authorize/x HTTP/1.1', ['Host: a b']));
      expect(badHost.status).toBe(400);
      expect(JSON.parse(badHost.body)).toMatchObject({ error: { code: 'invalid-host-header' } });
    }
  });
});

describe("dev servers in their own process (Node's default: an unhandled rejection ends it)", () => {
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('survives the requests that used to end it and keeps serving', async () => {
    const entry = fileURLToPath(new URL('./devServersProcess.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', entry, ...pkiArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const ports = await new Promise<{ host: number; gateway: number }>((resolve, reject) => {
      child?.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const ready = /READY (\{.*\})/.exec(stdout);
        if (ready) resolve(JSON.parse(ready[1]!) as { host: number; gateway: number });
      });
      child?.once('exit', (code) => {
        reject(new Error(`child exited with ${String(code)} before it was ready: ${stderr}`));
      });
    });
    const targets = targetsOf(ports.host, ports.gateway);
    const killers = EXPLICIT.filter((c) =>
      /%ZZ|Host a b|TRACE|__proto__|constructor|truncated|bad chunk/.test(c.label),
    );
    const failures: string[] = [];
    for (const killer of killers) {
      for (const t of targets) {
        const answer = await rawExchange(t, killer.bytes, { halfClose: killer.halfClose ?? false, timeoutMs: 3000 });
        const problem = problemWith(killer, answer);
        if (problem !== undefined) failures.push(`${t.name} ← ${killer.label}: ${problem}`);
        if (child.exitCode !== null)
          failures.push(`the process ended (${String(child.exitCode)}) after ${t.name} ← ${killer.label}`);
        if (child.exitCode !== null) break;
      }
      if (child.exitCode !== null) break;
    }
    expect({ failures, stderr: stderr.slice(0, 2000) }).toEqual({ failures: [], stderr: '' });
    await expectStillServing(targets, 'the killers');
  }, 120_000);
});
