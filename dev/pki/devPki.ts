/**
 * The dev PKI of the local stack: a root (RSA-2048), an intermediate (ECDSA P-384) and named
 * ECDSA P-256 leaves for every scenario the tour and the end-to-end tests show (valid users,
 * revoked, expired, not yet valid, no Client Authentication EKU, issued by an untrusted root, an
 * Intune-style device certificate, the gateway's TLS server certificate), with CRLs for both CAs.
 * Written once into a directory and reused while complete and not within 7 days of an expiry;
 * the CRLs are re-signed on every call (their nextUpdate is only 7 days out). `now` is a
 * parameter, never read from the clock. Dev and test only; no real keys.
 * May import: the issuing module, @peculiar/x509, node built-ins.
 */
import 'reflect-metadata';
import { createPrivateKey } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import {
  crlNumberOf,
  importPrivateKey,
  issueCertificate,
  issueCrl,
  type IssuedCertificate,
  type IssueCertificateOptions,
  type IssuerCredentials,
  type KeyAlgorithmName,
} from './issue.js';

/** Options of {@link ensureDevPki}. */
export interface DevPkiOptions {
  /** Where the files live (the stack uses `.certgate/dev/pki/`). */
  readonly dir: string;
  /** Base URL the CRLs are served from, without a trailing slash; written into the certificates' CDP. */
  readonly crlBaseUrl: string;
  readonly now: Date;
}

/** One certificate of the dev PKI with its private key, as files and in memory. */
export interface DevPkiCertificate {
  readonly name: string;
  readonly certPath: string;
  /** PKCS#8 PEM private key file (curl `--key`, node:tls `key`). */
  readonly keyPath: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly certDer: Uint8Array;
  /** Hexadecimal serial number, lower-case. */
  readonly serialNumber: string;
  readonly keyAlgorithm: KeyAlgorithmName;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A CRL of the dev PKI (DER file). */
export interface DevPkiCrl {
  readonly path: string;
  readonly url: string;
  readonly der: Uint8Array;
  readonly crlNumber: number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/** The names of the client certificates in {@link DevPki.users}. */
export const DEV_PKI_CLIENT_NAMES = [
  'alice',
  'bob',
  'revoked',
  'expired',
  'not-yet-valid',
  'no-client-auth',
  'untrusted',
  'device',
] as const;

/** A client certificate name of the dev PKI. */
export type DevPkiClientName = (typeof DEV_PKI_CLIENT_NAMES)[number];

/**
 * The dev device's identifiers. Its certificate is written as an Intune SCEP/PKCS profile with
 * subject name format `CN={{AAD_Device_ID}}` and the SAN URI `IntuneDeviceId://{{DeviceId}}`
 * writes it: the Entra device id (Graph `device.deviceId`) is the subject CN, the Intune managed
 * device id (Graph `managedDevice.id`) is in the SAN URI.
 */
export const DEV_DEVICE = Object.freeze({
  entraDeviceId: '5b2f8c1e-7d4a-4e3b-9c6f-1a2b3c4d5e6f',
  intuneDeviceId: 'c0ffee00-1234-4abc-8def-0123456789ab',
  dnsName: 'dev-laptop-01.contoso.example',
});

/** Everything the dev PKI wrote, with paths and PEMs. */
export interface DevPki {
  readonly dir: string;
  readonly crlBaseUrl: string;
  /** True when this call generated the certificates, false when it reused the files. */
  readonly generated: boolean;
  readonly root: DevPkiCertificate;
  readonly intermediate: DevPkiCertificate;
  /** A root nobody registers as trusted; issues `untrusted`. */
  readonly untrustedRoot: DevPkiCertificate;
  /** Root + intermediate, PEM (`ca-bundle.crt`): what an admin uploads as trusted CAs. */
  readonly bundle: { readonly path: string; readonly pem: string };
  /** The gateway's TLS server certificate (127.0.0.1, ::1, localhost) and its chain leaf + intermediate. */
  readonly gateway: DevPkiCertificate & { readonly chainPath: string; readonly chainPem: string };
  /** Client certificates by name (see {@link DEV_PKI_CLIENT_NAMES}). */
  readonly users: Readonly<Record<string, DevPkiCertificate>>;
  readonly device: typeof DEV_DEVICE;
  readonly crls: { readonly intermediate: DevPkiCrl; readonly root: DevPkiCrl };
  readonly readmePath: string;
}

const DAY = 86_400_000;
/** Certificates closer than this to their notAfter (or, for `not-yet-valid`, to their notBefore) are regenerated. */
const RENEW_BEFORE = 7 * DAY;
const CRL_LIFETIME = 7 * DAY;
const MANIFEST = 'dev-pki.json';
const MANIFEST_FORMAT = 1;
const ORGANISATION = 'O=Contoso Dev';
const EMAIL_DOMAIN = 'contoso.example';

type Role = 'root' | 'intermediate' | 'untrusted-root' | 'gateway' | DevPkiClientName;

/** How a certificate's validity relates to `now`: current, expired on purpose, or not valid yet on purpose. */
type Timing = 'current' | 'expired' | 'not-yet-valid';

const TIMING: Readonly<Record<Role, Timing>> = {
  root: 'current',
  intermediate: 'current',
  'untrusted-root': 'current',
  gateway: 'current',
  alice: 'current',
  bob: 'current',
  revoked: 'current',
  expired: 'expired',
  'not-yet-valid': 'not-yet-valid',
  'no-client-auth': 'current',
  untrusted: 'current',
  device: 'current',
};

const KEY_ALGORITHM: Readonly<Record<Role, KeyAlgorithmName>> = {
  root: 'rsa-2048',
  intermediate: 'ecdsa-p384',
  'untrusted-root': 'ecdsa-p256',
  gateway: 'ecdsa-p256',
  alice: 'ecdsa-p256',
  bob: 'ecdsa-p256',
  revoked: 'ecdsa-p256',
  expired: 'ecdsa-p256',
  'not-yet-valid': 'ecdsa-p256',
  'no-client-auth': 'ecdsa-p256',
  untrusted: 'ecdsa-p256',
  device: 'ecdsa-p256',
};

const ROLES = Object.keys(TIMING) as Role[];

const at = (now: Date, days: number): Date => new Date(now.getTime() + days * DAY);

function validityFor(role: Role, now: Date): { notBefore: Date; notAfter: Date } {
  // Backdated by a day so a slightly slow clock elsewhere still accepts them.
  switch (role) {
    case 'root':
    case 'untrusted-root':
      return { notBefore: at(now, -1), notAfter: at(now, 3650) };
    case 'intermediate':
      return { notBefore: at(now, -1), notAfter: at(now, 1825) };
    case 'expired':
      return { notBefore: at(now, -395), notAfter: at(now, -30) };
    case 'not-yet-valid':
      return { notBefore: at(now, 30), notAfter: at(now, 395) };
    default:
      return { notBefore: at(now, -1), notAfter: at(now, 365) };
  }
}

function userOptions(
  name: string,
  crlBaseUrl: string,
): Pick<IssueCertificateOptions, 'subject' | 'san' | 'extKeyUsage' | 'keyUsage' | 'crlDistributionUrl'> {
  const address = `${name}@${EMAIL_DOMAIN}`;
  return {
    subject: `CN=${name}, ${ORGANISATION}`,
    san: { email: [address], upn: [address] },
    extKeyUsage: ['clientAuth'],
    keyUsage: ['digitalSignature'],
    crlDistributionUrl: `${crlBaseUrl}/ca-intermediate.crl`,
  };
}

function pathsOf(dir: string, role: Role): { certPath: string; keyPath: string } {
  const file = role === 'root' || role === 'intermediate' ? `ca-${role}` : role;
  return { certPath: join(dir, `${file}.crt`), keyPath: join(dir, `${file}.key`) };
}

function describe(role: Role, issued: { certPem: string; keyPem: string }, dir: string): DevPkiCertificate {
  const parsed = new x509.X509Certificate(issued.certPem);
  return {
    name: role,
    ...pathsOf(dir, role),
    certPem: issued.certPem,
    keyPem: issued.keyPem,
    certDer: new Uint8Array(parsed.rawData),
    serialNumber: parsed.serialNumber.toLowerCase(),
    keyAlgorithm: KEY_ALGORITHM[role],
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
  };
}

/** Generates every certificate; returns them by role with the issuers' credentials for the CRLs. */
async function generateCertificates(options: DevPkiOptions): Promise<Record<Role, IssuedCertificate>> {
  const { now, crlBaseUrl } = options;
  const root = await issueCertificate({
    subject: `CN=Contoso Dev Root CA, ${ORGANISATION}`,
    keyAlgorithm: KEY_ALGORITHM.root,
    ...validityFor('root', now),
    ca: { pathLength: 1 },
  });
  const intermediate = await issueCertificate({
    subject: `CN=Contoso Dev Issuing CA, ${ORGANISATION}`,
    issuer: root.credentials,
    keyAlgorithm: KEY_ALGORITHM.intermediate,
    ...validityFor('intermediate', now),
    ca: { pathLength: 0 },
    crlDistributionUrl: `${crlBaseUrl}/ca-root.crl`,
  });
  const untrustedRoot = await issueCertificate({
    subject: 'CN=Untrusted Dev Root CA, O=Not Contoso',
    keyAlgorithm: KEY_ALGORITHM['untrusted-root'],
    ...validityFor('untrusted-root', now),
    ca: { pathLength: 0 },
  });
  const leaf = (
    role: Role,
    issuer: IssuerCredentials,
    shape: Omit<IssueCertificateOptions, 'issuer' | 'keyAlgorithm' | 'notBefore' | 'notAfter'>,
  ) => issueCertificate({ ...shape, issuer, keyAlgorithm: KEY_ALGORITHM[role], ...validityFor(role, now) });
  const issuing = intermediate.credentials;
  const user = (name: Role) => leaf(name, issuing, userOptions(name, crlBaseUrl));
  return {
    root,
    intermediate,
    'untrusted-root': untrustedRoot,
    gateway: await leaf('gateway', issuing, {
      subject: `CN=localhost, ${ORGANISATION}`,
      san: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
      extKeyUsage: ['serverAuth'],
      keyUsage: ['digitalSignature'],
    }),
    alice: await user('alice'),
    bob: await user('bob'),
    revoked: await user('revoked'),
    expired: await user('expired'),
    'not-yet-valid': await user('not-yet-valid'),
    'no-client-auth': await leaf('no-client-auth', issuing, {
      ...userOptions('no-client-auth', crlBaseUrl),
      extKeyUsage: ['serverAuth'],
    }),
    untrusted: await leaf('untrusted', untrustedRoot.credentials, {
      ...userOptions('untrusted', crlBaseUrl),
      crlDistributionUrl: undefined,
    }),
    device: await leaf('device', issuing, {
      subject: `CN=${DEV_DEVICE.entraDeviceId}, ${ORGANISATION}`,
      san: { uri: [`IntuneDeviceId://${DEV_DEVICE.intuneDeviceId}`], dns: [DEV_DEVICE.dnsName] },
      extKeyUsage: ['clientAuth'],
      keyUsage: ['digitalSignature'],
      crlDistributionUrl: `${crlBaseUrl}/ca-intermediate.crl`,
    }),
  };
}

interface Manifest {
  readonly format: number;
  readonly crlBaseUrl: string;
  readonly generatedAt: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether a certificate's validity still fits its purpose at `now`, with the 7-day margin. */
function timingHolds(timing: Timing, certificate: DevPkiCertificate, now: Date): boolean {
  const time = now.getTime();
  switch (timing) {
    case 'current':
      return certificate.notBefore.getTime() <= time && certificate.notAfter.getTime() - time > RENEW_BEFORE;
    case 'expired':
      return certificate.notAfter.getTime() < time;
    case 'not-yet-valid':
      return certificate.notBefore.getTime() - time > RENEW_BEFORE;
  }
}

/**
 * The existing certificates when all are present, parse, have usable keys and still fit their purpose; otherwise
 * undefined.
 */
async function reusableCertificates(options: DevPkiOptions): Promise<Record<Role, DevPkiCertificate> | undefined> {
  const manifestText = await readText(join(options.dir, MANIFEST));
  if (manifestText === undefined) return undefined;
  try {
    const manifest = JSON.parse(manifestText) as Partial<Manifest>;
    if (manifest.format !== MANIFEST_FORMAT || manifest.crlBaseUrl !== options.crlBaseUrl) return undefined;
    const found: Partial<Record<Role, DevPkiCertificate>> = {};
    for (const role of ROLES) {
      const { certPath, keyPath } = pathsOf(options.dir, role);
      const [certPem, keyPem] = await Promise.all([readText(certPath), readText(keyPath)]);
      if (certPem === undefined || keyPem === undefined) return undefined;
      createPrivateKey(keyPem);
      const certificate = describe(role, { certPem, keyPem }, options.dir);
      if (!timingHolds(TIMING[role], certificate, options.now)) return undefined;
      found[role] = certificate;
    }
    for (const name of ['ca-bundle.crt', 'gateway-chain.crt', 'README.txt']) {
      if ((await readText(join(options.dir, name))) === undefined) return undefined;
    }
    return found as Record<Role, DevPkiCertificate>;
  } catch {
    // Unparseable files count as incomplete: regenerate.
    return undefined;
  }
}

async function previousCrlNumber(path: string): Promise<number> {
  try {
    return crlNumberOf(new x509.X509Crl(await readFile(path))) ?? 0;
  } catch {
    return 0;
  }
}

async function writeCrl(
  options: DevPkiOptions,
  file: string,
  issuer: IssuerCredentials,
  revoked: readonly { serial: string; date: Date }[],
): Promise<DevPkiCrl> {
  const path = join(options.dir, file);
  const crlNumber = (await previousCrlNumber(path)) + 1;
  const thisUpdate = options.now;
  const nextUpdate = new Date(options.now.getTime() + CRL_LIFETIME);
  const crl = await issueCrl({
    issuer,
    revoked: revoked.map((entry) => ({ ...entry, reason: x509.X509CrlReason.keyCompromise })),
    thisUpdate,
    nextUpdate,
    crlNumber,
  });
  await writeFile(path, crl.der);
  return { path, url: `${options.crlBaseUrl}/${file}`, der: crl.der, crlNumber, thisUpdate, nextUpdate };
}

/** Loads a dev PKI CA (root or intermediate) as issuer credentials, to issue further certificates or CRLs from it. */
export async function issuerCredentialsOf(certificate: DevPkiCertificate): Promise<IssuerCredentials> {
  return {
    cert: new x509.X509Certificate(certificate.certPem),
    key: await importPrivateKey(certificate.keyPem, certificate.keyAlgorithm),
  };
}

function readme(options: DevPkiOptions): string {
  const lines = [
    'certgate dev PKI: generated test certificates, no real keys. Do not trust these anywhere else.',
    `Generated for ${options.now.toISOString()}; CRLs served from ${options.crlBaseUrl}/.`,
    'Regenerated automatically when a file is missing or a certificate is within 7 days of expiry.',
    '',
    'ca-root.crt / .key            Contoso Dev Root CA, RSA-2048, sha256WithRSAEncryption, self-signed, 10 years',
    'ca-intermediate.crt / .key    Contoso Dev Issuing CA, ECDSA P-384, issued by the root, pathLen 0, 5 years',
    'ca-bundle.crt                 root + intermediate (PEM): upload these as trusted CAs',
    'ca-intermediate.crl           CRL (DER) of the issuing CA, lists `revoked`, nextUpdate 7 days out, re-signed on every start',
    'ca-root.crl                   CRL (DER) of the root, empty',
    'alice.crt / .key              user certificate: CN=alice, O=Contoso Dev, SAN email + UPN alice@contoso.example, EKU clientAuth',
    'bob.crt / .key                user certificate for bob (same shape as alice)',
    'revoked.crt / .key            user certificate listed in ca-intermediate.crl (keyCompromise)',
    'expired.crt / .key            user certificate that expired 30 days before generation',
    'not-yet-valid.crt / .key      user certificate valid from 30 days after generation',
    'no-client-auth.crt / .key     user certificate with EKU serverAuth only (no Client Authentication)',
    'untrusted.crt / .key          user certificate issued by untrusted-root, which is NOT a trusted CA',
    'untrusted-root.crt / .key     the untrusted root (ECDSA P-256)',
    `device.crt / .key             Intune-style device certificate: subject CN=<Entra device id> (${DEV_DEVICE.entraDeviceId}),`,
    `                              SAN URI IntuneDeviceId://<Intune device id> (${DEV_DEVICE.intuneDeviceId}), SAN DNS ${DEV_DEVICE.dnsName}, EKU clientAuth`,
    'gateway.crt / .key            TLS server certificate of the local gateway: localhost, 127.0.0.1, ::1, EKU serverAuth',
    'gateway-chain.crt             gateway certificate + intermediate (what the gateway serves)',
    `${MANIFEST}                   what the files were generated for (reuse check)`,
    '',
    'Leaves are ECDSA P-256; keys are PKCS#8 PEM. Example:',
    '  curl --cacert ca-root.crt --cert alice.crt --key alice.key https://127.0.0.1:8443/api/authorize',
    '',
  ];
  return lines.join('\n');
}

/**
 * Makes sure the dev PKI exists in `options.dir` and is usable at `options.now`: reuses complete
 * files generated for the same CRL base URL while no certificate is within 7 days of expiry
 * (and `not-yet-valid` is still more than 7 days from its start), otherwise regenerates all of
 * them. Always re-signs both CRLs for `now` with an incremented CRL number.
 */
export async function ensureDevPki(options: DevPkiOptions): Promise<DevPki> {
  await mkdir(options.dir, { recursive: true });
  let certificates = await reusableCertificates(options);
  const generated = certificates === undefined;
  if (certificates === undefined) {
    await rm(join(options.dir, MANIFEST), { force: true });
    const issued = await generateCertificates(options);
    const written: Partial<Record<Role, DevPkiCertificate>> = {};
    for (const role of ROLES) {
      const { certPath, keyPath } = pathsOf(options.dir, role);
      const entry = issued[role];
      await writeFile(certPath, entry.cert.pem);
      await writeFile(keyPath, entry.key, { mode: 0o600 });
      written[role] = describe(role, { certPem: entry.cert.pem, keyPem: entry.key }, options.dir);
    }
    certificates = written as Record<Role, DevPkiCertificate>;
    await writeFile(
      join(options.dir, 'ca-bundle.crt'),
      `${certificates.root.certPem}${certificates.intermediate.certPem}`,
    );
    await writeFile(
      join(options.dir, 'gateway-chain.crt'),
      `${certificates.gateway.certPem}${certificates.intermediate.certPem}`,
    );
    await writeFile(join(options.dir, 'README.txt'), readme(options));
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      crlBaseUrl: options.crlBaseUrl,
      generatedAt: options.now.toISOString(),
    };
    // Written last: its presence marks the set as complete.
    await writeFile(join(options.dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const all = certificates;
  const [intermediateIssuer, rootIssuer] = await Promise.all([
    issuerCredentialsOf(all.intermediate),
    issuerCredentialsOf(all.root),
  ]);
  const crls = {
    intermediate: await writeCrl(options, 'ca-intermediate.crl', intermediateIssuer, [
      { serial: all.revoked.serialNumber, date: all.revoked.notBefore },
    ]),
    root: await writeCrl(options, 'ca-root.crl', rootIssuer, []),
  };
  const users: Record<string, DevPkiCertificate> = {};
  for (const name of DEV_PKI_CLIENT_NAMES) users[name] = all[name];
  return {
    dir: options.dir,
    crlBaseUrl: options.crlBaseUrl,
    generated,
    root: all.root,
    intermediate: all.intermediate,
    untrustedRoot: all['untrusted-root'],
    bundle: { path: join(options.dir, 'ca-bundle.crt'), pem: `${all.root.certPem}${all.intermediate.certPem}` },
    gateway: {
      ...all.gateway,
      chainPath: join(options.dir, 'gateway-chain.crt'),
      chainPem: `${all.gateway.certPem}${all.intermediate.certPem}`,
    },
    users,
    device: DEV_DEVICE,
    crls,
    readmePath: join(options.dir, 'README.txt'),
  };
}
