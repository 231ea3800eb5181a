/**
 * The field schemas the policy model and the condition files share: a string check that reports
 * its own issue code, and the checked strings built on it (slugs, principals, group ids, globs,
 * thumbprints, OIDs, host names, path prefixes), plus the device tags. Kept apart from the model
 * so that a condition file can use them without importing the model (which imports the
 * conditions' registry).
 * May import: zod, the policy issue codes.
 */
import { z } from 'zod';
import type { PolicyIssueCode } from './policyReasons.js';

/**
 * The device tags a policy can test; `valid-client-certificate` comes from validation, the others from the directory.
 */
export const DEVICE_TAGS = ['valid-client-certificate', 'compliant', 'hybrid-joined'] as const;

/** A tag a device earns. */
export type DeviceTag = (typeof DEVICE_TAGS)[number];

/** Kebab-case: lower-case letters, digits, single hyphens. */
export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** An Entra object id. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const OID = /^[0-2](?:\.(?:0|[1-9]\d{0,19}))+$/;
const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST = new RegExp(`^(?:\\*\\.)?${HOST_LABEL}(?:\\.${HOST_LABEL})*$`, 'i');
/** A registered app's id as a policy names it. */
export const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
export const CONTROL = /[\u0000-\u001f\u007f]/;

function decodes(value: string): boolean {
  try {
    decodeURIComponent(value);
    return true;
  } catch {
    return false;
  }
}

/** A string check that reports its own issue code. */
export function checked(
  schema: z.ZodString,
  test: (value: string) => boolean,
  code: PolicyIssueCode,
  message: string,
): z.ZodString {
  return schema.refine(test, { message, params: { code } });
}

/** An id: a kebab-case slug of at most 64 characters. */
export const slug = checked(
  z.string(),
  (value) => value.length <= 64 && SLUG.test(value),
  'invalid-slug',
  'expected a kebab-case slug (a-z, 0-9, single hyphens, at most 64 characters)',
);
/** A UPN or an object id. */
export const principal = checked(
  z.string().min(1).max(256),
  (value) => !CONTROL.test(value) && value.trim() === value,
  'invalid-value',
  'expected a UPN or an object id without surrounding spaces',
);
/** An Entra group object id. */
export const groupId = checked(
  z.string(),
  (value) => GUID.test(value),
  'invalid-group-id',
  'expected an Entra group object id (GUID)',
);
/** A glob: plain text with `*` as the only wildcard. */
export const pattern = checked(
  z.string().min(1).max(256),
  (value) => !CONTROL.test(value),
  'invalid-pattern',
  'patterns are plain text with * as the only wildcard, no control characters',
);
/** A CA's SHA-256 thumbprint. */
export const thumbprint = checked(
  z.string(),
  (value) => /^[0-9a-f]{64}$/i.test(value.replaceAll(':', '')),
  'invalid-thumbprint',
  'expected a SHA-256 thumbprint (64 hexadecimal characters, colons allowed)',
);
/** A dotted object identifier. */
export const oid = checked(
  z.string().max(128),
  (value) => OID.test(value),
  'invalid-oid',
  'expected a dotted object identifier',
);
/** A host name, or `*.suffix` for its subdomains. */
export const hostName = checked(
  z.string().max(253),
  (value) => HOST.test(value),
  'invalid-host',
  'expected a host name or *.suffix',
);
/** A path prefix: starts with `/`, no query or fragment, valid percent-encoding. */
export const pathPrefix = checked(
  z.string().max(1024),
  (value) => value.startsWith('/') && !CONTROL.test(value) && !/[?#]/.test(value) && decodes(value),
  'invalid-path-prefix',
  'expected a path starting with / (no query or fragment, valid percent-encoding)',
);
