/**
 * The tour's gate steps: Contoso Files (dev/sampleApp) reached as https://files.contoso.example
 * through the local gateway, certgate's gate and the demo session policies. alice, signed in, on a
 * device without a certificate: the file list opens, a download is blocked (JSON for curl, the block
 * page for a browser), an upload is stored; with the `device` certificate (dev-laptop-01: compliant,
 * hybrid-joined in the Graph stand-in) the download goes through; erin (Vendors, read from Graph)
 * may not upload. Each step has the curl command a user can type.
 *
 * Why signed in: the demo's pilot policy (all apps, the pilot user only) cannot tell whether an
 * anonymous request is the pilot user's, so with the fail mode closed it blocks anonymous requests
 * without a certificate on every app; a signed-in user outside the pilot is not its concern.
 * Dev and test only.
 * May import: node built-ins, the stack type, the demo policies' constants.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { relative } from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { CONTOSO_FILES_HOST } from './demoPolicies.js';
import { DEV_APP_AUDIENCE, type Stack } from './stack.js';

/** A request through the local gateway to a host behind the gate. */
export interface GateTourRequest {
  readonly method?: string;
  /** Path and query, e.g. `/files/q3.xlsx?download=1`. */
  readonly path: string;
  /** The Host header (default files.contoso.example). */
  readonly host?: string;
  readonly client?: { readonly certPath: string; readonly keyPath: string };
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array;
}

/** What came back: status, headers and the whole body. */
export interface GateTourAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Sends one request through the stack's TLS gateway (the dev CA trusted, the Host header the app's). */
export async function throughGateway(stack: Stack, request: GateTourRequest): Promise<GateTourAnswer> {
  const url = new URL(request.path, stack.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: request.method ?? 'GET',
        ca: stack.pki.root.certPem,
        headers: { host: request.host ?? CONTOSO_FILES_HOST, ...request.headers },
        // The Host header names the app; the TLS server name stays the gateway's, as with curl -H "Host: …".
        servername: '',
        checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
          checkServerIdentity(url.hostname, certificate),
        agent: false,
        ...(request.client
          ? { cert: readFileSync(request.client.certPath), key: readFileSync(request.client.keyPath) }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** One gate step: the same shape as the tour's steps (dev/tour.ts). */
export interface GateTourStep {
  readonly title: string;
  readonly curl: string;
  readonly expected: { readonly status: number; readonly reasons: readonly string[] };
  run(): Promise<{ status: number; reasons: readonly string[]; body: unknown }>;
}

/**
 * What an answer shows, as the tour's "reasons": a block's reasons (JSON), `block-page` (a browser's
 * 403 page with the control's message), `file-list`, `attachment <name> <bytes>` (a whole file),
 * `stored <name>` (an upload the app kept).
 */
export function observedOf(answer: GateTourAnswer): { reasons: string[]; body: unknown } {
  const type = String(answer.headers['content-type'] ?? '');
  const text = type.startsWith('text/') || type.includes('json') ? answer.body.toString('utf8') : '';
  if (type.includes('json')) {
    const json = JSON.parse(text) as { reasons?: unknown; stored?: { name: string }[]; error?: { code?: string } };
    const reasons = Array.isArray(json.reasons) ? json.reasons.map(String) : [];
    if (typeof json.error?.code === 'string') reasons.push(json.error.code);
    for (const stored of json.stored ?? []) reasons.push(`stored ${stored.name}`);
    return { reasons, body: json };
  }
  const disposition = /^attachment; filename="([^"]+)"/.exec(String(answer.headers['content-disposition'] ?? ''));
  if (disposition && Number(answer.headers['content-length']) === answer.body.length) {
    return {
      reasons: [`attachment ${disposition[1]} ${answer.body.length}`],
      body: { file: disposition[1], bytes: answer.body.length },
    };
  }
  const reasons: string[] = [];
  if (answer.status === 403 && text.includes('Downloads need a Contoso-managed device')) reasons.push('block-page');
  if (text.includes('id="files"')) reasons.push('file-list');
  return { reasons, body: text };
}

/**
 * The Authorization header of a user signed in to the demo apps. The token carries no groups claim: memberships
 * (erin in Vendors) come from the Graph stand-in, as on a groups overage.
 */
export async function signedIn(stack: Stack, upn: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await stack.tokens.mint(upn, [], DEV_APP_AUDIENCE)}` };
}

/** The gate steps for a stack with the demo policies loaded; paths in curl commands relative to `cwd`. */
export function gateTourSteps(stack: Stack, cwd: string): GateTourStep[] {
  const rel = (p: string) => relative(cwd, p) || p;
  const base = `curl -s --cacert ${rel(stack.pki.root.certPath)} -H "Host: ${CONTOSO_FILES_HOST}"`;
  const device = stack.pki.users.device;
  if (!device) throw new Error('dev PKI has no device certificate');
  const deviceCurl = ` --cert ${rel(device.certPath)} --key ${rel(device.keyPath)}`;
  const alice = 'alice@contoso.example';
  const tokenCurl = (upn: string) =>
    `-H "Authorization: Bearer $(npx tsx dev/tokens/mint.ts --upn ${upn} --audience ${DEV_APP_AUDIENCE})"`;
  const step = (
    title: string,
    curl: string,
    expected: GateTourStep['expected'],
    send: () => Promise<GateTourAnswer>,
  ): GateTourStep => ({
    title,
    curl,
    expected,
    run: async () => {
      const answer = await send();
      return { status: answer.status, ...observedOf(answer) };
    },
  });
  const asAlice = async (path: string, accept: string, client?: GateTourRequest['client']) =>
    throughGateway(stack, {
      path,
      headers: { accept, ...(await signedIn(stack, alice)) },
      ...(client ? { client } : {}),
    });
  const upload = async (upn: string): Promise<GateTourAnswer> => {
    const form = new FormData();
    form.append('file', new Blob(['Contoso Files tour upload\n'], { type: 'text/plain' }), 'README.md');
    const encoded = new Response(form);
    return throughGateway(stack, {
      method: 'POST',
      path: '/upload?format=json',
      headers: {
        ...(await signedIn(stack, upn)),
        'content-type': encoded.headers.get('content-type') ?? '',
        accept: 'application/json',
      },
      body: new Uint8Array(await encoded.arrayBuffer()),
    });
  };
  const q3 = '/files/q3.xlsx?download=1';
  const q3Size = stack.contosoFiles.files.find((file) => file.name === 'q3.xlsx')?.size ?? 0;
  return [
    step(
      'gate: Contoso Files (files.contoso.example, behind certgate): alice, signed in, no certificate: the file list opens',
      `${base} ${tokenCurl(alice)} ${stack.gatewayUrl}/`,
      { status: 200, reasons: ['file-list'] },
      () => asAlice('/', 'text/html'),
    ),
    step(
      'gate: the same device downloads q3.xlsx: blocked by the session policy files-unmanaged-no-downloads',
      `${base} ${tokenCurl(alice)} -H "Accept: application/json" "${stack.gatewayUrl}${q3}"`,
      { status: 403, reasons: ['session-download-blocked'] },
      () => asAlice(q3, 'application/json'),
    ),
    step(
      'gate: a browser asking for it gets the block page with the policy message, not a truncated file',
      `${base} ${tokenCurl(alice)} -H "Accept: text/html" "${stack.gatewayUrl}${q3}"`,
      { status: 403, reasons: ['block-page'] },
      () => asAlice(q3, 'text/html'),
    ),
    step(
      'gate: alice with the device certificate (dev-laptop-01: compliant, hybrid-joined): the download goes through',
      `${base}${deviceCurl} ${tokenCurl(alice)} -OJ "${stack.gatewayUrl}${q3}"`,
      { status: 200, reasons: [`attachment q3.xlsx ${q3Size}`] },
      () => asAlice(q3, '*/*', device),
    ),
    step(
      'gate: alice, no certificate, uploads a file: the app stores it',
      `${base} ${tokenCurl(alice)} -F "file=@README.md" "${stack.gatewayUrl}/upload?format=json"`,
      { status: 201, reasons: ['stored README.md'] },
      () => upload(alice),
    ),
    step(
      'gate: erin (Vendors, read from Graph) uploads the same: blocked by files-vendors-no-uploads',
      `${base} ${tokenCurl('vendor.erin@contoso.example')} -F "file=@README.md" "${stack.gatewayUrl}/upload?format=json"`,
      { status: 403, reasons: ['session-upload-blocked'] },
      () => upload('vendor.erin@contoso.example'),
    ),
  ];
}
