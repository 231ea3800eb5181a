/**
 * Certificate ↔ Entra device: where a device certificate carries the Entra device id (as SCEP /
 * PKCS profiles write it: `CN={{AAD_Device_ID}}` in the subject, or a SAN URI such as
 * `AzureADDeviceId://{{AAD_Device_ID}}`), and which device tags an Entra device earns:
 *   compliant       accountEnabled and isCompliant (Intune's verdict)
 *   hybrid-joined   accountEnabled and trustType ServerAd (joined to on-premises AD and Entra)
 * A disabled device earns nothing. Only a GUID counts as a device id (anything else in the CN is a
 * user or host name, not a device). Pure.
 * May import: ./distinguishedNameText.js, policy model types.
 */
import type { DeviceTag } from '../policy/model.js';
import { parseDistinguishedNameText } from './distinguishedNameText.js';

/** One place a device certificate may carry the Entra device id. */
export type DeviceIdSource = { readonly kind: 'subject-cn' } | { readonly kind: 'san-uri'; readonly prefix: string };

/** The certificate fields the lookup reads (a validated certificate's summary). */
export interface DeviceCertificateFields {
  readonly subject: string;
  /** SANs as `uri:…`, `dns:…`, … */
  readonly subjectAltNames: readonly string[];
}

/** An Entra device id found in a certificate, and where. */
export interface CertificateDeviceId {
  readonly deviceId: string;
  /** `subject-cn` or `san-uri:<prefix>`. */
  readonly source: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COMMON_NAME_OID = '2.5.4.3';

function commonNames(subject: string): string[] {
  const parsed = parseDistinguishedNameText(subject);
  if (!parsed.ok) return [];
  return parsed.attributes
    .filter((attribute) => attribute.type === COMMON_NAME_OID || attribute.type.toLowerCase() === 'cn')
    .map((attribute) => attribute.comparable);
}

/**
 * Answers per certificate object (a validated leaf's summary is reused while its verdict is cached) and sources list.
 */
const answers = new WeakMap<
  DeviceCertificateFields,
  { readonly sources: readonly DeviceIdSource[]; readonly answer: CertificateDeviceId | undefined }
>();

/** The Entra device id of a certificate: the first source, in order, that holds a GUID. */
export function deviceIdOf(
  certificate: DeviceCertificateFields,
  sources: readonly DeviceIdSource[],
): CertificateDeviceId | undefined {
  const known = answers.get(certificate);
  if (known?.sources === sources) return known.answer;
  const answer = findDeviceId(certificate, sources);
  answers.set(certificate, { sources, answer });
  return answer;
}

function findDeviceId(
  certificate: DeviceCertificateFields,
  sources: readonly DeviceIdSource[],
): CertificateDeviceId | undefined {
  for (const source of sources) {
    if (source.kind === 'subject-cn') {
      const id = commonNames(certificate.subject)
        .map((name) => name.trim().toLowerCase())
        .find((name) => GUID.test(name));
      if (id) return { deviceId: id, source: 'subject-cn' };
    } else {
      const prefix = `uri:${source.prefix}`.toLowerCase();
      for (const name of certificate.subjectAltNames) {
        if (!name.toLowerCase().startsWith(prefix)) continue;
        const id = name.slice(prefix.length).trim().toLowerCase().replace(/\/$/, '');
        if (GUID.test(id)) return { deviceId: id, source: `san-uri:${source.prefix}` };
      }
    }
  }
  return undefined;
}

/** The device state certgate reads (the directory port's device). */
export interface DeviceState {
  readonly accountEnabled: boolean;
  readonly isCompliant: boolean | null;
  readonly trustType: string | null;
}

const tagsByDevice = new WeakMap<DeviceState, { readonly tags: DeviceTag[]; readonly detail: string }>();

/**
 * The device tags an Entra device earns, with a line for the trace (memoised per device object: a cached answer is
 * one).
 */
export function deviceTagsOf(device: DeviceState): { readonly tags: DeviceTag[]; readonly detail: string } {
  let known = tagsByDevice.get(device);
  if (!known) tagsByDevice.set(device, (known = Object.freeze(tagsFor(device))));
  return known;
}

function tagsFor(device: DeviceState): { readonly tags: DeviceTag[]; readonly detail: string } {
  if (!device.accountEnabled) return { tags: [], detail: 'the device is disabled in Entra ID' };
  const tags: DeviceTag[] = [];
  if (device.isCompliant === true) tags.push('compliant');
  if (device.trustType === 'ServerAd') tags.push('hybrid-joined');
  const compliance =
    device.isCompliant === true
      ? 'compliant'
      : device.isCompliant === false
        ? 'not compliant'
        : 'compliance not reported';
  return { tags, detail: `${compliance}, trust type ${device.trustType ?? 'unknown'}` };
}
