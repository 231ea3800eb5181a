/**
 * Test fixtures for the intake: self-signed certificates made with @peculiar/x509 (the intake
 * only decodes, it does not validate chains) and request builders. `headerMap` accepts any string
 * (Fetch Headers refuses CR/LF), and models repeated headers with `getAll`.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { ForwardedRequest } from '../../../shared/cert/intake/index.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

async function selfSigned(commonName: string, serial: number, ca = false): Promise<Uint8Array> {
  const keys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString(16).padStart(2, '0'),
    name: `CN=${commonName}, O=Contoso, OU=Devices; Lab`,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    keys,
    signingAlgorithm: algorithm,
    // CA certificates say so (the Traefik reader tells a joined second leaf from a CA by it);
    // end-entity ones carry client-auth usages, as device certificates do
    extensions: ca
      ? [new x509.BasicConstraintsExtension(true, undefined, true)]
      : [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        ],
  });
  return new Uint8Array(certificate.rawData);
}

/** A certificate whose base64 contains `+`, `/` (so `+` handling is exercised); retries until it does. */
async function certificateWithPlus(commonName: string, ca = false): Promise<Uint8Array> {
  for (let serial = 1; ; serial++) {
    const der = await selfSigned(commonName, serial, ca);
    const base64 = Buffer.from(der).toString('base64');
    if (base64.includes('+') && base64.includes('/')) return der;
  }
}

/** Leaf, intermediate and root certificates (DER); the two CAs carry basicConstraints cA. */
export const leaf = await certificateWithPlus('alice device');
export const intermediate = await certificateWithPlus('Contoso Issuing CA', true);
export const root = await selfSigned('Contoso Root CA', 99, true);
/** A second end-entity certificate (another device), for two-leaf cases. */
export const otherLeaf = await selfSigned('mallory device', 7);

/** PEM of a DER certificate with 64-character lines. */
export function pemOf(der: Uint8Array, newline = '\n'): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return ['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----', ''].join(newline);
}

/** Standard base64 of bytes. */
export function base64Of(der: Uint8Array): string {
  return Buffer.from(der).toString('base64');
}

/** A request with Fetch Headers (what @azure/functions' HttpRequest exposes). */
export function fetchRequest(headers: Record<string, string>, remoteAddress?: string): ForwardedRequest {
  return { headers: new Headers(headers), ...(remoteAddress !== undefined ? { remoteAddress } : {}) };
}

/** A request from raw header lines (repeats allowed, any characters), joined like Fetch Headers and exposing getAll. */
export function headerMap(
  lines: readonly (readonly [string, string])[],
  remoteAddress?: string,
  withGetAll = true,
): ForwardedRequest {
  const values = new Map<string, string[]>();
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  const headers = {
    get: (name: string): string | null => values.get(name.toLowerCase())?.join(', ') ?? null,
    ...(withGetAll ? { getAll: (name: string): string[] => values.get(name.toLowerCase()) ?? [] } : {}),
  };
  return { headers, ...(remoteAddress !== undefined ? { remoteAddress } : {}) };
}

/** How the host in front of the worker hands repeated header lines over. */
export type HeaderTransport = 'fetch-headers' | 'get-all' | 'aspnet-joined';

/**
 * A request from raw header lines, repeats delivered the way a transport delivers them:
 * `fetch-headers` a real WHATWG Headers (repeats joined with ", ", as Node's http server and undici
 * do), `get-all` the lines kept apart, `aspnet-joined` joined with "," and no space (ASP.NET
 * StringValues, i.e. the Functions host), no getAll.
 */
export function requestVia(
  transport: HeaderTransport,
  lines: readonly (readonly [string, string])[],
  remoteAddress?: string,
): ForwardedRequest {
  const peer = remoteAddress !== undefined ? { remoteAddress } : {};
  switch (transport) {
    case 'fetch-headers': {
      const headers = new Headers();
      for (const [name, value] of lines) headers.append(name, value);
      return { headers, ...peer };
    }
    case 'get-all':
      return headerMap(lines, remoteAddress);
    case 'aspnet-joined': {
      const values = new Map<string, string[]>();
      for (const [name, value] of lines)
        values.set(name.toLowerCase(), [...(values.get(name.toLowerCase()) ?? []), value]);
      return {
        headers: { get: (name: string): string | null => values.get(name.toLowerCase())?.join(',') ?? null },
        ...peer,
      };
    }
  }
}
