import 'reflect-metadata';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CERTIFICATE_REASONS,
  createTrustStore,
  parseCrl,
  validateCertificatePath,
  type TrustStore,
} from '../../../shared/cert/validation/index.js';
import { parseCertificates } from '../../../shared/cert/x509/index.js';
import type { IssuedCertificate } from '../../../dev/pki/issue.js';
import { NOW, issueTestCertificate, issueTestCrl } from './testCertificates.js';

let root: IssuedCertificate;
let leaf: IssuedCertificate;
let store: TrustStore;
let crl: Uint8Array;

beforeAll(async () => {
  root = await issueTestCertificate({ subject: 'CN=fuzz root', ca: {} });
  leaf = await issueTestCertificate({
    subject: 'CN=fuzz leaf',
    issuer: root.credentials,
    extKeyUsage: ['clientAuth'],
    san: { dns: ['device.contoso.example'] },
  });
  store = createTrustStore([root.cert.der]);
  crl = await issueTestCrl(root.credentials, [leaf.cert.parsed.serialNumber]);
});

/** A DER mutation: flip, overwrite, insert, delete or truncate bytes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

interface Mutation {
  readonly kind: 'set' | 'insert' | 'delete' | 'truncate';
  readonly at: number;
  readonly value?: number;
  readonly bytes?: Uint8Array;
  readonly count?: number;
}

function mutate(der: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Array.from(der);
  for (const step of mutations) {
    const at = bytes.length === 0 ? 0 : step.at % bytes.length;
    if (step.kind === 'set') bytes[at] = step.value ?? 0;
    else if (step.kind === 'insert') bytes.splice(at, 0, ...(step.bytes ?? []));
    else if (step.kind === 'delete') bytes.splice(at, step.count ?? 1);
    else bytes = bytes.slice(0, at);
  }
  return new Uint8Array(bytes);
}

describe('mutated DER never throws', () => {
  it('validateCertificatePath returns a known reason code for any mutated leaf', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const result = validateCertificatePath({
          leaf: mutate(leaf.cert.der, mutations),
          trustStore: store,
          time: NOW,
          crls: [crl],
          revocation: 'preferred',
        });
        expect(Object.keys(CERTIFICATE_REASONS)).toContain(result.reason);
        expect(result.trace.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });

  it('mutated intermediates, anchors and CRLs never throw', () => {
    fc.assert(
      fc.property(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (leafMutations, otherMutations) => {
          const mutatedRoot = mutate(root.cert.der, otherMutations);
          const result = validateCertificatePath({
            leaf: leaf.cert.der,
            intermediates: [mutate(root.cert.der, leafMutations)],
            trustStore: createTrustStore([mutatedRoot]),
            time: NOW,
            crls: [mutate(crl, otherMutations)],
            revocation: 'required',
          });
          expect(Object.keys(CERTIFICATE_REASONS)).toContain(result.reason);
          const parsedCrl = parseCrl(mutate(crl, leafMutations));
          expect(typeof parsedCrl).toBe('object');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('arbitrary bytes and strings are rejected as malformed, not thrown', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.string({ maxLength: 512 })), (input) => {
        const parsed = parseCertificates(input);
        expect(parsed.ok).toBe(false);
        const result = validateCertificatePath({ leaf: input, trustStore: store, time: NOW });
        expect(result.reason).toBe('certificate-malformed');
      }),
      { numRuns: 300 },
    );
  });

  it('huge inputs are refused with a reason code', () => {
    const hugeDer = new Uint8Array(2 * 1024 * 1024).fill(0x30);
    const hugePem = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(3 * 1024 * 1024)}\n-----END CERTIFICATE-----`;
    for (const leafInput of [hugeDer, hugePem]) {
      expect(validateCertificatePath({ leaf: leafInput, trustStore: store, time: NOW }).reason).toBe(
        'certificate-malformed',
      );
    }
    const flood = validateCertificatePath({
      leaf: leaf.cert.der,
      intermediates: Array.from({ length: 500 }, () => hugeDer.subarray(0, 4096)),
      trustStore: store,
      time: NOW,
    });
    expect(flood.reason).toBe('certificate-valid');
  });
});
