/**
 * `/api/manage/cas`: list the trusted CAs (GET) and add CA certificates (POST; PEM or DER, one
 * certificate or a bundle). Function-key protected. ("manage", not "admin": the Functions host
 * reserves routes starting with "admin".)
 *
 * POST bodies: PEM text (`application/x-pem-file`, `text/plain`), DER (`application/pkix-cert`,
 * `application/octet-stream`), or JSON `{ "pem": "...", "label": "..." }` / `{ "der": "<base64>" }`.
 * All certificates of a bundle must be acceptable, or nothing is added (201 / 4xx).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices } from '../shared/composition.js';
import { managementError } from '../shared/http/responses.js';
import { caView, principalOf, storeFailure } from '../shared/http/management.js';
import { admitCaCertificates, decodeCertificateUpload, type CaAdmission } from '../shared/trust/caAdmission.js';

const JsonUpload = z.object({ pem: z.string().optional(), der: z.string().optional(), label: z.string().max(200).optional() })
  .strict()
  .refine((v) => (v.pem === undefined) !== (v.der === undefined), { message: 'give exactly one of "pem" and "der"' });

async function uploadOf(request: HttpRequest): Promise<{ body: Uint8Array; label?: string } | { error: HttpResponseInit }> {
  const contentType = (request.headers.get('content-type') ?? '').toLowerCase();
  const raw = new Uint8Array(await request.arrayBuffer());
  if (!contentType.includes('json')) return { body: raw };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    return { error: managementError('request-body-invalid', 'the body is not valid JSON') };
  }
  const parsed = JsonUpload.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: managementError('request-body-invalid', `${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`) };
  }
  const body = parsed.data.pem !== undefined ? new Uint8Array(Buffer.from(parsed.data.pem, 'utf8')) : new Uint8Array(Buffer.from(parsed.data.der ?? '', 'base64'));
  return { body, ...(parsed.data.label ? { label: parsed.data.label } : {}) };
}

export async function manageCas(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const services = getServices();
  try {
    if (request.method === 'GET') {
      const cas = await services.trustedCas.list();
      return { status: 200, jsonBody: { cas: cas.map(caView) }, headers: { 'cache-control': 'no-store' } };
    }
    const upload = await uploadOf(request);
    if ('error' in upload) return upload.error;
    const ders = decodeCertificateUpload(upload.body);
    if (!Array.isArray(ders)) return managementError(ders.reason);
    const existing = new Set((await services.trustedCas.list()).map((ca) => ca.thumbprint));
    const verdicts = admitCaCertificates(ders, {
      existingThumbprints: existing,
      now: services.clock.now(),
      addedBy: principalOf(request),
      ...(upload.label ? { label: upload.label } : {}),
    });
    const first = verdicts.find((v): v is Extract<CaAdmission, { ok: false }> => !v.ok);
    if (first) {
      return managementError(first.reason, first.detail, {
        certificates: verdicts.map((v) => (v.ok ? { thumbprint: v.ca.thumbprint, subject: v.ca.subject, ok: true } : { thumbprint: v.thumbprint, subject: v.subject, ok: false, code: v.reason, detail: v.detail })),
      });
    }
    const added = [];
    for (const verdict of verdicts) if (verdict.ok) added.push(await services.trustedCas.add(verdict.ca));
    services.trustAnchors.invalidate();
    context.log(JSON.stringify({ event: 'certgate.audit.ca-added', by: principalOf(request), thumbprints: added.map((ca) => ca.thumbprint) }));
    return { status: 201, jsonBody: { code: 'ca-added', cas: added.map(caView) }, headers: { 'cache-control': 'no-store' } };
  } catch (error) {
    return storeFailure(error, context);
  }
}

app.http('manage-cas', { methods: ['GET', 'POST'], authLevel: 'function', route: 'manage/cas', handler: manageCas });
