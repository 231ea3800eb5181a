/**
 * Session controls: what they cost, next to a baseline in the same run. (1) The multipart upload
 * guard over a 64 MiB body of one large field (64 KiB chunks) ÷ an identity TransformStream over
 * the same chunks; (2) `checkResponse` for a download under three controls, per call; (3)
 * `selectSessionControls` with no session policies (the common case), per call. Run:
 * `npm run bench -- sessionControls`. Nothing here asserts a timing.
 */
import { performance } from 'node:perf_hooks';
import { validatePolicyConfiguration } from '../shared/policy/model.js';
import type { AccessRequest } from '../shared/policy/conditions/index.js';
import { checkResponse, createUploadGuard, selectSessionControls } from '../shared/session/index.js';

function configuration(sessionPolicies: unknown[]) {
  const validated = validatePolicyConfiguration({ schemaVersion: 1, policies: [], sessionPolicies });
  if (!validated.ok) throw new Error(JSON.stringify(validated.issues));
  return validated.value;
}

const request = { app: { id: 'files' }, deviceTags: new Set() } as unknown as AccessRequest;
const controls = selectSessionControls(
  configuration([
    {
      id: 'p',
      name: 'P',
      state: 'enabled',
      priority: 1,
      conditions: {},
      controls: [
        {
          type: 'block-download',
          files: { attachment: true, extensions: ['xlsx', 'pdf'], contentTypes: ['application/pdf'] },
        },
        { type: 'block-upload' },
        { type: 'monitor' },
      ],
    },
  ]),
  request,
);

const BOUNDARY = 'benchBoundary0123456789';
const CHUNK = 64 * 1024;
const TOTAL = 64 * 1024 * 1024;

function chunks(): Uint8Array[] {
  const head = new TextEncoder().encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="notes"\r\n\r\n`);
  const tail = new TextEncoder().encode(`\r\n--${BOUNDARY}--\r\n`);
  const filler = new Uint8Array(CHUNK).fill(0x61);
  for (let index = 0; index < CHUNK; index += 80) filler[index] = 0x0a; // lines, so LF scanning does work
  const out: Uint8Array[] = [head];
  for (let sent = 0; sent < TOTAL; sent += CHUNK) out.push(filler);
  out.push(tail);
  return out;
}

async function drain(stream: TransformStream<Uint8Array, Uint8Array>, body: Uint8Array[]): Promise<number> {
  const started = performance.now();
  const writer = stream.writable.getWriter();
  const reading = (async () => {
    let bytes = 0;
    for await (const chunk of stream.readable) bytes += chunk.length;
    return bytes;
  })();
  for (const chunk of body) await writer.write(chunk);
  await writer.close();
  await reading;
  return performance.now() - started;
}

const body = chunks();
const upload = {
  method: 'POST',
  url: '/upload',
  headers: new Headers({ 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }),
};
const rounds = 3;
let guardMs = Infinity;
let identityMs = Infinity;
for (let round = 0; round < rounds; round++) {
  identityMs = Math.min(identityMs, await drain(new TransformStream(), body));
  const guard = createUploadGuard(controls, upload);
  if (!guard) throw new Error('no guard');
  guardMs = Math.min(guardMs, await drain(guard, body));
}
const mib = TOTAL / 1024 / 1024;
console.log(
  `upload guard, ${mib} MiB multipart (best of ${rounds}): ${(mib / (guardMs / 1000)).toFixed(0)} MiB/s; identity TransformStream ${(mib / (identityMs / 1000)).toFixed(0)} MiB/s; ratio ${(identityMs / guardMs).toFixed(2)}`,
);

const get = { method: 'GET', url: '/files/q3.xlsx?download=1', headers: new Headers() };
const response = {
  status: 200,
  headers: new Headers({ 'content-type': 'text/html; charset=utf-8', 'content-length': '5120' }),
};
const calls = 200_000;
let sink = 0;
let started = performance.now();
for (let index = 0; index < calls; index++) sink += checkResponse(controls, get, response).action.length;
const checkNs = ((performance.now() - started) * 1e6) / calls;
const none = configuration([]);
started = performance.now();
for (let index = 0; index < calls; index++) sink += selectSessionControls(none, request) === undefined ? 1 : 0;
const noneNs = ((performance.now() - started) * 1e6) / calls;
console.log(
  `checkResponse (3 criteria, path extension match): ${checkNs.toFixed(0)} ns/call; selectSessionControls with none configured: ${noneNs.toFixed(0)} ns/call (${sink > 0 ? 'ok' : ''})`,
);
