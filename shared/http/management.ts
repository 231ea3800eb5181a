/**
 * Shared shaping for the management API: the public view of a CA, the caller's identity for the
 * audit trail, and store failures → responses.
 * May import: @azure/functions types, ports, responses, the identity core's binding rule names.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { BINDING_RULE_KINDS } from '../identity/certificateUserIds.js';
import { StoreError, type TrustedCa } from '../ports.js';
import { managementError } from './responses.js';

/** A CA's revocation policy as the API takes it. */
export const RevocationPolicySchema = z
  .object({
    mode: z.enum(['off', 'preferred', 'required']),
    unknown: z.enum(['block', 'allow-and-alert']).default('block'),
  })
  .strict();

/** CRL distribution point URLs as the API takes them (http/https, at most 10). */
export const CrlUrlsSchema = z.array(z.url({ protocol: /^https?$/ })).max(10);

/** Username binding rules as the API takes them (Entra CBA's names, in order, no repeats). */
export const BindingRulesSchema = z
  .array(z.enum(BINDING_RULE_KINDS))
  .max(BINDING_RULE_KINDS.length)
  .refine((rules) => new Set(rules).size === rules.length, { message: 'a rule is listed twice' });

/** A CA's changes as `PATCH /api/manage/cas/{thumbprint}` takes them. */
export const CaChangesSchema = z
  .object({
    label: z.string().min(1).max(200).optional(),
    enabled: z.boolean().optional(),
    revocation: RevocationPolicySchema.optional(),
    crlUrls: CrlUrlsSchema.optional(),
    bindingRules: BindingRulesSchema.optional(),
  })
  .strict();

/** A CA upload as JSON (`POST /api/manage/cas`): exactly one of PEM text and base64 DER, and the CA's settings. */
export const CaJsonUploadSchema = z
  .object({
    pem: z.string().optional(),
    der: z.string().optional(),
    label: z.string().max(200).optional(),
    revocation: RevocationPolicySchema.optional(),
    crlUrls: CrlUrlsSchema.optional(),
    bindingRules: BindingRulesSchema.optional(),
  })
  .strict()
  .refine((v) => (v.pem === undefined) !== (v.der === undefined), {
    message: 'give exactly one of "pem" and "der"',
  });

/** The first schema issue as `path: message`, for the `detail` of a 400. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`;
}

/** A CA as the API shows it (DER as PEM, ETag included). */
export function caView(ca: TrustedCa): Record<string, unknown> {
  const base64 = Buffer.from(ca.der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  const { der: _der, ...rest } = ca;
  return { ...rest, pem: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n` };
}

/** Who made the call, for the audit trail (the App Service auth principal when present). */
export function principalOf(request: HttpRequest): string {
  return request.headers.get('x-ms-client-principal-name') ?? 'function-key';
}

/** A store error as a response; anything else is a malfunction and is rethrown. */
export function storeFailure(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof StoreError) {
    if (error.code === 'not-found') return managementError('ca-not-found');
    if (error.code === 'conflict') return managementError('ca-already-present');
    if (error.code === 'precondition-failed') return managementError('etag-mismatch');
    context.error(`store unavailable: ${error.message}: ${String(error.cause)}`);
    return managementError('store-unavailable');
  }
  throw error;
}
