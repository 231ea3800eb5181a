/**
 * `/api/manage/cas`: list the trusted CAs (GET) and add CA certificates (POST; PEM or DER, one
 * certificate or a bundle). Function-key protected. ("manage", not "admin": the Functions host
 * reserves routes starting with "admin".)
 *
 * POST bodies: PEM text (`application/x-pem-file`, `text/plain`), DER (`application/pkix-cert`,
 * `application/octet-stream`), or JSON `{ "pem" | "der": …, "label"?, "revocation"?: { "mode", "unknown" },
 * "crlUrls"?: [...] }`.
 * All certificates of a bundle must be acceptable, or nothing is added (201 / 4xx). An upload
 * that carries a private key (PEM key, DER key, PKCS#12 / PFX; also inside JSON) is refused whole
 * with `ca-upload-contains-private-key`, and the key is never echoed or logged. A CRL URL that is
 * not http(s) (AD CS lists `ldap://` first) gets `crl-url-unsupported`.
 *
 * The added CAs' CRLs (configured, and named in the CA certificates) are fetched before the
 * answer, bounded by a deadline: each CA's `revocation.crls` says per URL whether its CRL loaded,
 * so the first request with a certificate from the new CA does not meet an empty CRL cache.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { RevocationPolicy } from '../shared/ports.js';
import type { CaAdmission } from '../shared/trust/caAdmission.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/http/management.js'),
  () => import('../shared/http/caCrlView.js'),
  () => import('../shared/trust/caAdmission.js'),
  () => import('../shared/trust/revocationPolicy.js'),
);

interface Upload {
  body: Uint8Array;
  label?: string;
  revocation?: RevocationPolicy;
  crlUrls?: string[];
  bindingRules?: string[];
}

async function uploadOf(request: HttpRequest): Promise<Upload | { error: HttpResponseInit }> {
  const {
    CaJsonUploadSchema,
    privateKeyRefusal,
    managementError,
    firstUnsupportedCrlUrl,
    unsupportedCrlUrlDetail,
    firstIssue,
  } = modules.loaded ?? (await modules());
  const contentType = (request.headers.get('content-type') ?? '').toLowerCase();
  const raw = new Uint8Array(await request.arrayBuffer());
  // Before any parsing, so no later error (bad JSON, unknown field) can say anything about a key.
  const keyInBody = privateKeyRefusal(raw);
  if (keyInBody)
    return { error: managementError(keyInBody.reason, 'detail' in keyInBody ? keyInBody.detail : undefined) };
  if (!contentType.includes('json')) return { body: raw };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch {
    return { error: managementError('request-body-invalid', 'the body is not valid JSON') };
  }
  const unsupported = firstUnsupportedCrlUrl(
    typeof json === 'object' && json !== null ? (json as { crlUrls?: unknown }).crlUrls : undefined,
  );
  if (unsupported) return { error: managementError('crl-url-unsupported', unsupportedCrlUrlDetail(unsupported.url)) };
  const parsed = CaJsonUploadSchema.safeParse(json);
  if (!parsed.success) {
    return { error: managementError('request-body-invalid', firstIssue(parsed.error)) };
  }
  const { pem, der, label, revocation, crlUrls, bindingRules } = parsed.data;
  const body =
    pem !== undefined ? new Uint8Array(Buffer.from(pem, 'utf8')) : new Uint8Array(Buffer.from(der ?? '', 'base64'));
  return {
    body,
    ...(label ? { label } : {}),
    ...(revocation ? { revocation } : {}),
    ...(crlUrls ? { crlUrls } : {}),
    ...(bindingRules ? { bindingRules } : {}),
  };
}

export async function manageCas(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const {
    authorizeManagement,
    roleFor,
    getServices,
    managementError,
    caView,
    storeFailure,
    caWithCrls,
    admitCaCertificates,
    crlUrlsToLoad,
    decodeCertificateUpload,
  } = modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const services = getServices();
  try {
    if (request.method === 'GET') {
      const cas = await services.trustedCas.list();
      return { status: 200, jsonBody: { cas: cas.map(caView) }, headers: { 'cache-control': 'no-store' } };
    }
    const upload = await uploadOf(request);
    if ('error' in upload) return upload.error;
    const ders = decodeCertificateUpload(upload.body);
    if (!Array.isArray(ders)) return managementError(ders.reason, 'detail' in ders ? ders.detail : undefined);
    const existing = new Set((await services.trustedCas.list()).map((ca) => ca.thumbprint));
    const verdicts = admitCaCertificates(ders, {
      existingThumbprints: existing,
      now: services.clock.now(),
      addedBy: access.actor,
      ...(upload.label ? { label: upload.label } : {}),
      ...(upload.revocation ? { revocation: upload.revocation } : {}),
      ...(upload.crlUrls ? { crlUrls: upload.crlUrls } : {}),
      ...(upload.bindingRules ? { bindingRules: upload.bindingRules } : {}),
    });
    const first = verdicts.find((v): v is Extract<CaAdmission, { ok: false }> => !v.ok);
    if (first) {
      return managementError(first.reason, first.detail, {
        certificates: verdicts.map((v) =>
          v.ok
            ? { thumbprint: v.ca.thumbprint, subject: v.ca.subject, ok: true }
            : { thumbprint: v.thumbprint, subject: v.subject, ok: false, code: v.reason, detail: v.detail },
        ),
      });
    }
    const added = [];
    for (const verdict of verdicts) if (verdict.ok) added.push(await services.trustedCas.add(verdict.ca));
    services.trustAnchors.invalidate();
    const withCrls = await Promise.all(
      added.map(async (ca) => ({ ca, crls: await services.crls.loadNow(crlUrlsToLoad(ca)) })),
    );
    context.log(
      JSON.stringify({
        event: 'certgate.audit.ca-added',
        by: access.actor,
        thumbprints: added.map((ca) => ca.thumbprint),
        crls: withCrls.flatMap(({ crls }) => crls.map((crl) => ({ url: crl.url, loaded: crl.loaded }))),
      }),
    );
    return {
      status: 201,
      jsonBody: { code: 'ca-added', cas: withCrls.map(({ ca, crls }) => caWithCrls(ca, crls)) },
      headers: { 'cache-control': 'no-store' },
    };
  } catch (error) {
    return storeFailure(error, context);
  }
}

app.http('manage-cas', {
  methods: ['GET', 'POST'],
  authLevel: 'function',
  route: 'api/manage/cas',
  handler: manageCas,
});
