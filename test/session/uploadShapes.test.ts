/**
 * checkRequest over upload shapes (multipart with and without a file part, content types,
 * methods, forward auth's uninspectable bodies, monitor, report-only) and the streaming multipart
 * guard: bodies split at every byte offset (and byte by byte) must give the same verdict, a
 * blocked body must never pass a byte of the file part (nor its header) downstream, and bodies
 * without a file part pass through byte for byte.
 */
import { describe, expect, it } from 'vitest';
import {
  checkRequest,
  createUploadGuard,
  judgePartHeaders,
  SESSION_ALLOWED,
  SessionUploadBlockedError,
  type SessionFinding,
  type SessionRule,
} from '../../shared/session/index.js';
import { controlsOf, configurationWith, sessionPolicy, accessRequest } from './sessionFixtures.js';
import { selectSessionControls } from '../../shared/session/index.js';

const MULTIPART = controlsOf([{ type: 'block-upload', message: 'No uploads.', alert: { severity: 'medium' } }]);
const BY_TYPE_AND_METHOD = controlsOf([
  { type: 'block-upload', files: { contentTypes: ['application/octet-stream', 'image/*'], methods: ['put', 'PATCH'] } },
]);
const BOUNDARY = '----certgateBoundary7MA4YWxk';
const FORM = `multipart/form-data; boundary=${BOUNDARY}`;

function request(method: string, headers: Record<string, string>) {
  return { method, url: '/upload', headers: new Headers(headers) };
}

describe('checkRequest: upload shapes', () => {
  const cases: {
    label: string;
    controls: typeof MULTIPART;
    method?: string;
    headers: Record<string, string>;
    inspection?: 'stream' | 'none';
    expected: { action: 'allow' | 'block'; rule?: SessionRule; inspectBody?: boolean };
  }[] = [
    {
      label: 'multipart: the body is inspected',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': FORM },
      expected: { action: 'allow', inspectBody: true },
    },
    {
      label: 'multipart in upper case with a quoted boundary',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'Content-Type': `MULTIPART/Form-Data; BOUNDARY="${BOUNDARY}"` },
      expected: { action: 'allow', inspectBody: true },
    },
    {
      label: 'multipart/mixed is inspected too',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': `multipart/mixed; boundary=${BOUNDARY}` },
      expected: { action: 'allow', inspectBody: true },
    },
    {
      label: 'multipart without a boundary: uninspectable',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      expected: { action: 'block', rule: 'multipart-uninspectable' },
    },
    {
      label: 'multipart with an empty boundary: uninspectable',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=""' },
      expected: { action: 'block', rule: 'multipart-uninspectable' },
    },
    {
      label: 'multipart gzip-encoded: uninspectable',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': FORM, 'content-encoding': 'gzip' },
      expected: { action: 'block', rule: 'multipart-uninspectable' },
    },
    {
      label: 'two Content-Types, one multipart: uninspectable',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': `text/plain, ${FORM}` },
      expected: { action: 'block', rule: 'multipart-uninspectable' },
    },
    {
      label: 'forward auth never sees the body: multipart counts',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': FORM },
      inspection: 'none',
      expected: { action: 'block', rule: 'multipart-uninspectable' },
    },
    {
      label: 'forward auth: a urlencoded form is no upload',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      inspection: 'none',
      expected: { action: 'allow' },
    },
    {
      label: 'a JSON post is no upload',
      controls: MULTIPART,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      expected: { action: 'allow' },
    },
    { label: 'a GET is no upload', controls: MULTIPART, method: 'GET', headers: {}, expected: { action: 'allow' } },
    {
      label: 'listed content type',
      controls: BY_TYPE_AND_METHOD,
      method: 'POST',
      headers: { 'content-type': 'Application/Octet-Stream; x=1' },
      expected: { action: 'block', rule: 'content-type' },
    },
    {
      label: 'listed type/*',
      controls: BY_TYPE_AND_METHOD,
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      expected: { action: 'block', rule: 'content-type' },
    },
    {
      label: 'listed method (any case)',
      controls: BY_TYPE_AND_METHOD,
      method: 'put',
      headers: { 'content-type': 'text/plain' },
      expected: { action: 'block', rule: 'method' },
    },
    {
      label: 'listed method PATCH',
      controls: BY_TYPE_AND_METHOD,
      method: 'PATCH',
      headers: {},
      expected: { action: 'block', rule: 'method' },
    },
    {
      label: 'multipart is not inspected when the control does not ask',
      controls: BY_TYPE_AND_METHOD,
      method: 'POST',
      headers: { 'content-type': FORM },
      expected: { action: 'allow' },
    },
  ];
  it.each(cases)('$label', ({ controls, method, headers, inspection, expected }) => {
    const verdict = checkRequest(controls, request(method ?? 'POST', headers), {
      bodyInspection: inspection ?? 'stream',
    });
    expect({ action: verdict.action, rule: verdict.rule, inspectBody: verdict.inspectBody }).toEqual(expected);
    if (expected.action === 'block') expect(verdict).toMatchObject({ code: 'session-upload-blocked', policyId: 'p' });
  });

  it('no session controls: the shared allow', () => {
    expect(checkRequest(undefined, request('POST', { 'content-type': FORM }))).toBe(SESSION_ALLOWED);
  });

  it('monitor records every request, and alerts only when asked', () => {
    const controls = controlsOf([{ type: 'monitor', alert: { severity: 'low' } }]);
    const verdict = checkRequest(controls, request('GET', {}));
    expect(verdict.action).toBe('allow');
    expect(verdict.monitor).toEqual([
      expect.objectContaining({ policyId: 'p', control: 'monitor', action: 'record', code: 'session-monitored' }),
    ]);
    expect(verdict.alerts).toHaveLength(1);
    const quiet = checkRequest(controlsOf([{ type: 'monitor' }]), request('GET', {}));
    expect(quiet.monitor).toHaveLength(1);
    expect(quiet.alerts).toHaveLength(0);
  });

  it('report-only: what it would have blocked is listed, nothing is blocked or alerted', () => {
    const controls = controlsOf(
      [{ type: 'block-upload', files: { methods: ['PUT'] }, alert: { severity: 'high' } }],
      'report-only',
    );
    const verdict = checkRequest(controls, request('PUT', {}));
    expect(verdict.action).toBe('allow');
    expect(verdict.code).toBe('session-allowed');
    expect(verdict.reportOnly).toEqual([
      expect.objectContaining({ policyId: 'p', control: 'block-upload', action: 'block', rule: 'method' }),
    ]);
    expect(verdict.reportOnly[0]?.alert).toBeUndefined();
    expect(verdict.alerts).toHaveLength(0);
  });

  it('enforced and report-only together: the enforced one decides, the other is reported', () => {
    const configuration = configurationWith([
      sessionPolicy('would', [{ type: 'block-upload', files: { methods: ['PUT'] } }], {
        state: 'report-only',
        priority: 1,
      }),
      sessionPolicy('does', [{ type: 'block-upload', files: { methods: ['PUT'] } }], { priority: 2 }),
    ]);
    const verdict = checkRequest(selectSessionControls(configuration, accessRequest()), request('PUT', {}));
    expect(verdict).toMatchObject({ action: 'block', policyId: 'does' });
    expect(verdict.reportOnly.map((finding) => finding.policyId)).toEqual(['would']);
  });
});

// ---- the streaming guard -------------------------------------------------------------------------

const encoder = new TextEncoder();

function part(headers: string[], content: string): string {
  return `--${BOUNDARY}\r\n${headers.join('\r\n')}\r\n\r\n${content}\r\n`;
}
const close = `--${BOUNDARY}--\r\n`;
const FIELD = part(['Content-Disposition: form-data; name="title"'], 'Quarterly numbers');
const FILE_CONTENT = 'FILEBYTES-Q3-SECRET';
const FILE = part(
  ['Content-Disposition: form-data; name="file"; filename="q3.xlsx"', 'Content-Type: application/vnd.ms-excel'],
  FILE_CONTENT,
);

interface GuardRun {
  output: string;
  error?: unknown;
  reported: SessionFinding[][];
}

/** Runs a body through the guard in the given chunks; collects what came out and how it ended. */
async function runGuard(controls: typeof MULTIPART, chunks: Uint8Array[], contentType = FORM): Promise<GuardRun> {
  const reported: SessionFinding[][] = [];
  const guard = createUploadGuard(controls, request('POST', { 'content-type': contentType }), {
    onReportOnly: (findings) => reported.push([...findings]),
  });
  if (!guard) throw new Error('no guard');
  const writer = guard.writable.getWriter();
  const reader = guard.readable.getReader();
  const out: Uint8Array[] = [];
  let error: unknown;
  const reading = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        out.push(value);
      }
    } catch (caught) {
      error = caught;
    }
  })();
  try {
    for (const chunk of chunks) await writer.write(chunk);
    await writer.close();
  } catch (caught) {
    error ??= caught;
  }
  await reading;
  return { output: Buffer.concat(out).toString('latin1'), error, reported };
}

function splitAt(body: string, offset: number): Uint8Array[] {
  const bytes = encoder.encode(body);
  return [bytes.slice(0, offset), bytes.slice(offset)];
}

describe('createUploadGuard: the streaming multipart guard', () => {
  it('a body without a file part passes byte for byte, split at every offset', async () => {
    const body = `preamble\r\n${FIELD}${part(['Content-Disposition: form-data; name="b"'], 'x\r\n--not-the-boundary')}${close}epilogue`;
    for (let offset = 0; offset <= body.length; offset++) {
      const run = await runGuard(MULTIPART, splitAt(body, offset));
      expect(run.error, `offset ${offset}`).toBeUndefined();
      expect(run.output, `offset ${offset}`).toBe(body);
    }
  });

  it('a file part errors the stream with the verdict, split at every offset, and no byte of it passes', async () => {
    const body = `${FIELD}${FILE}${close}`;
    const fileStart = body.indexOf(FILE) + `--${BOUNDARY}\r\n`.length;
    for (let offset = 0; offset <= body.length; offset++) {
      const run = await runGuard(MULTIPART, splitAt(body, offset));
      expect(run.error, `offset ${offset}`).toBeInstanceOf(SessionUploadBlockedError);
      const verdict = (run.error as SessionUploadBlockedError).verdict;
      expect(verdict).toMatchObject({
        action: 'block',
        code: 'session-upload-blocked',
        rule: 'multipart-file',
        policyId: 'p',
        message: 'No uploads.',
      });
      expect(run.output.length, `offset ${offset}`).toBeLessThanOrEqual(fileStart);
      expect(run.output).not.toContain('filename');
      expect(run.output).not.toContain(FILE_CONTENT);
    }
  });

  it('byte by byte: the same verdict', async () => {
    const body = `${FIELD}${FILE}${close}`;
    const bytes = encoder.encode(body);
    const run = await runGuard(
      MULTIPART,
      [...bytes].map((byte) => Uint8Array.of(byte)),
    );
    expect(run.error).toBeInstanceOf(SessionUploadBlockedError);
    expect(run.output).not.toContain(FILE_CONTENT);
    const clean = encoder.encode(`${FIELD}${close}`);
    const passed = await runGuard(
      MULTIPART,
      [...clean].map((byte) => Uint8Array.of(byte)),
    );
    expect(passed.error).toBeUndefined();
    expect(passed.output).toBe(`${FIELD}${close}`);
  });

  const fileParts: { label: string; body: string; rule?: SessionRule }[] = [
    {
      label: 'FILENAME in upper case',
      body: part(['CONTENT-DISPOSITION: FORM-DATA; NAME="f"; FILENAME="a.txt"'], 'x'),
    },
    {
      label: 'filename* only (RFC 5987)',
      body: part([`Content-Disposition: form-data; name="f"; filename*=UTF-8''q3%2Exlsx`], 'x'),
    },
    {
      label: 'an empty filename still carries content',
      body: part(['Content-Disposition: form-data; name="f"; filename=""'], 'x'),
    },
    { label: 'an unquoted filename', body: part(['Content-Disposition: form-data; name=f; filename=a.txt'], 'x') },
    {
      label: 'a folded Content-Disposition',
      body: part(['Content-Disposition: form-data; name="f";', '\tfilename="a.txt"'], 'x'),
    },
    {
      label: 'a part declaring a binary Content-Type without a name',
      body: part(['Content-Disposition: form-data; name="f"', 'Content-Type: application/octet-stream'], 'x'),
    },
    {
      label: 'a nested multipart/mixed part',
      body: part(
        ['Content-Disposition: form-data; name="files"', 'Content-Type: multipart/mixed; boundary=inner'],
        '--inner\r\n\r\nx\r\n--inner--',
      ),
    },
    {
      label: 'LF-only line endings',
      body: `--${BOUNDARY}\nContent-Disposition: form-data; name="f"; filename="a.txt"\n\nx\n`,
    },
    {
      label: 'whitespace after the delimiter',
      body: `--${BOUNDARY}  \t\r\nContent-Disposition: form-data; filename="a"\r\n\r\nx\r\n`,
    },
    {
      label: 'a part after the close delimiter (lenient parsers)',
      body: `${close}\r\n${part(['Content-Disposition: form-data; filename="a"'], 'x')}`,
    },
    {
      label: 'a delimiter line with junk after the boundary',
      body: `--${BOUNDARY}junk\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n`,
      rule: 'multipart-uninspectable',
    },
    {
      label: 'a header line without a colon',
      body: `--${BOUNDARY}\r\nContent-Disposition form-data\r\n\r\nx\r\n`,
      rule: 'multipart-uninspectable',
    },
    {
      label: 'a header section past the limit',
      body: `--${BOUNDARY}\r\nX-Pad: ${'a'.repeat(20_000)}\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n`,
      rule: 'multipart-uninspectable',
    },
  ];
  it.each(fileParts)('blocks: $label', async ({ body, rule }) => {
    const full = `${FIELD}${body}${close}`;
    const run = await runGuard(MULTIPART, [encoder.encode(full)]);
    expect(run.error).toBeInstanceOf(SessionUploadBlockedError);
    expect((run.error as SessionUploadBlockedError).verdict.rule).toBe(rule ?? 'multipart-file');
    expect(run.output).not.toContain('filename');
  });

  it('a file as the very first part (no preamble) is found', async () => {
    const run = await runGuard(MULTIPART, [encoder.encode(`${FILE}${close}`)]);
    expect(run.error).toBeInstanceOf(SessionUploadBlockedError);
    expect(run.output).not.toContain(FILE_CONTENT);
  });

  it('a text/plain part is a field', () => {
    expect(
      judgePartHeaders('Content-Disposition: form-data; name="a"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'),
    ).toBe('field');
  });

  it('a body that ends inside a part header with a filename is blocked', async () => {
    const run = await runGuard(MULTIPART, [
      encoder.encode(`${FIELD}--${BOUNDARY}\r\nContent-Disposition: form-data; filename="a"`),
    ]);
    expect(run.error).toBeInstanceOf(SessionUploadBlockedError);
  });

  it('report-only: the file part passes, the finding is reported once', async () => {
    const controls = controlsOf([{ type: 'block-upload' }], 'report-only');
    const body = `${FIELD}${FILE}${FILE}${close}`;
    const run = await runGuard(controls, [encoder.encode(body)]);
    expect(run.error).toBeUndefined();
    expect(run.output).toBe(body);
    expect(run.reported).toEqual([
      [expect.objectContaining({ policyId: 'p', rule: 'multipart-file', action: 'block' })],
    ]);
  });

  it('no guard when no control asks for multipart inspection or the request is not multipart', () => {
    expect(
      createUploadGuard(
        controlsOf([{ type: 'block-upload', files: { methods: ['PUT'] } }]),
        request('POST', { 'content-type': FORM }),
      ),
    ).toBeUndefined();
    expect(createUploadGuard(MULTIPART, request('POST', { 'content-type': 'application/json' }))).toBeUndefined();
    expect(createUploadGuard(undefined, request('POST', { 'content-type': FORM }))).toBeUndefined();
  });
});
