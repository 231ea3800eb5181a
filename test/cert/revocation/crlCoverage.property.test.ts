/**
 * Property (issue 11): for any certificate and set of CRLs, when the CRLs do not cover the
 * certificate — by scope (issuing distribution point name, onlyContains*), by reasons (RFC 5280
 * §6.3.3 (d), (k)) or by issuer and signer — the status is unknown, never "good". The CRL sets are
 * random; the expected coverage comes from a small model written from the RFC text, and both sides
 * are checked: covered for all reasons ⇒ valid, a covering CRL listing the certificate ⇒ revoked,
 * anything less ⇒ certificate-revocation-unknown.
 */
import 'reflect-metadata';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '../../../dev/pki/issue.js';
import { createTrustStore, validateCertificatePath } from '../../../shared/cert/validation/index.js';
import { NOW, issueTestCertificate as issue } from '../validation/testCertificates.js';
import {
  ALL_REASON_NAMES,
  distributionPointsExtension,
  nameDer,
  signCrl,
  type PointName,
  type PointOptions,
  type ReasonName,
} from './crlFixtures.js';

const URI_A = 'http://crl.example/a.crl';
const URI_B = 'http://crl.example/b.crl';
const SOME: readonly ReasonName[] = ['keyCompromise', 'cACompromise'];
const REST: readonly ReasonName[] = ALL_REASON_NAMES.filter((reason) => !SOME.includes(reason));

type PointKey = 'uriA' | 'uriB' | 'dirD';
const POINT_NAMES: Record<PointKey, () => PointName> = {
  uriA: () => ({ full: [{ uri: URI_A }] }),
  uriB: () => ({ full: [{ uri: URI_B }] }),
  dirD: () => ({ full: [{ directory: nameDer('Coverage partition D') }] }),
};

/** The leaves: their distribution points as the model sees them. */
const LEAF_POINTS: Record<string, readonly { name: PointKey; reasons?: readonly ReasonName[] }[]> = {
  noCdp: [],
  uriA: [{ name: 'uriA' }],
  split: [
    { name: 'uriA', reasons: SOME },
    { name: 'uriB', reasons: REST },
  ],
  directory: [{ name: 'dirD' }],
};

interface CrlSpec {
  readonly signer: 'ca' | 'impostor';
  readonly idpName: PointKey | undefined;
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  readonly onlyContainsAttributeCerts: boolean;
  readonly onlySomeReasons: readonly ReasonName[] | undefined;
  readonly stale: boolean;
  readonly delta: boolean;
  readonly lists: boolean;
}

let root: IssuedCertificate;
let ca: IssuedCertificate;
let impostor: IssuedCertificate;
let rootCrl: Uint8Array;
const leaves = new Map<string, IssuedCertificate>();

beforeAll(async () => {
  root = await issue({ subject: 'CN=Coverage Root', ca: {} });
  ca = await issue({ subject: 'CN=Coverage CA', issuer: root.credentials, ca: {} });
  // Same name as the CA, another key, not in any path: its CRLs must never count.
  impostor = await issue({ subject: 'CN=Coverage CA', ca: {} });
  rootCrl = await signCrl({ signer: root.credentials });
  for (const [label, points] of Object.entries(LEAF_POINTS)) {
    const encoded: PointOptions[] = points.map((point) => ({
      name: POINT_NAMES[point.name](),
      ...(point.reasons ? { reasons: point.reasons } : {}),
    }));
    leaves.set(
      label,
      await issue({
        subject: `CN=coverage ${label}`,
        issuer: ca.credentials,
        extKeyUsage: ['clientAuth'],
        ...(encoded.length > 0 ? { extraExtensions: [distributionPointsExtension(encoded)] } : {}),
      }),
    );
  }
});

const ALL = new Set(ALL_REASON_NAMES);

/** The model: the reasons `spec` covers for an end-entity certificate with `points` (RFC 5280 §6.3.3 (b), (d)). */
function coveredReasons(spec: CrlSpec, points: (typeof LEAF_POINTS)[string]): Set<ReasonName> {
  if (spec.signer !== 'ca' || spec.stale || spec.delta) return new Set(); // §6.3.3 (a), (f); a delta never stands alone
  if (spec.onlyContainsCACerts || spec.onlyContainsAttributeCerts) return new Set(); // (b)(2)(iii), (iv)
  const crlReasons = new Set(spec.onlySomeReasons ?? ALL_REASON_NAMES);
  // §5.2.5: no distribution point name, every certificate of the issuer
  if (spec.idpName === undefined) return crlReasons;
  const covered = new Set<ReasonName>();
  for (const point of points) {
    if (point.name !== spec.idpName) continue; // (b)(2)(i)
    for (const reason of point.reasons ?? ALL_REASON_NAMES) if (crlReasons.has(reason)) covered.add(reason);
  }
  return covered;
}

const crlSpec: fc.Arbitrary<CrlSpec> = fc.record({
  signer: fc.constantFrom('ca' as const, 'ca' as const, 'impostor' as const),
  idpName: fc.constantFrom(undefined, 'uriA' as const, 'uriB' as const, 'dirD' as const),
  onlyContainsUserCerts: fc.boolean(),
  onlyContainsCACerts: fc.nat(4).map((n) => n === 0),
  onlyContainsAttributeCerts: fc.nat(5).map((n) => n === 0),
  onlySomeReasons: fc.option(fc.subarray([...ALL_REASON_NAMES], { minLength: 1 }), { nil: undefined }),
  stale: fc.nat(5).map((n) => n === 0),
  delta: fc.nat(5).map((n) => n === 0),
  lists: fc.nat(3).map((n) => n === 0),
});

describe('RFC 5280 §6.3.3: CRLs that do not cover the certificate never make it good', () => {
  it('status follows coverage: all reasons covered ⇒ valid, listed on a covering CRL ⇒ revoked, otherwise unknown', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(LEAF_POINTS)),
        // One CRL per distinct scope, so "the newest CRL of a scope" never has to be modelled.
        fc.uniqueArray(crlSpec, {
          minLength: 0,
          maxLength: 4,
          selector: (spec) =>
            JSON.stringify([
              spec.idpName,
              spec.onlyContainsUserCerts,
              spec.onlyContainsCACerts,
              spec.onlyContainsAttributeCerts,
              spec.onlySomeReasons,
            ]),
        }),
        async (leafLabel, specs) => {
          const leaf = leaves.get(leafLabel);
          const points = LEAF_POINTS[leafLabel];
          if (leaf === undefined || points === undefined) throw new Error('fixture');
          const crls = await Promise.all(
            specs.map((spec, index) =>
              signCrl({
                signer: (spec.signer === 'ca' ? ca : impostor).credentials,
                crlNumber: 10 + index,
                ...(spec.delta ? { deltaOf: 1 } : {}),
                ...(spec.stale
                  ? { thisUpdate: new Date('2025-05-01T00:00:00Z'), nextUpdate: new Date('2025-05-08T00:00:00Z') }
                  : {}),
                entries: spec.lists ? [{ serial: leaf.cert.parsed.serialNumber }] : [],
                // RFC 5280 §5.2.5: an issuing distribution point is never an empty SEQUENCE.
                ...(spec.idpName === undefined &&
                !spec.onlyContainsUserCerts &&
                !spec.onlyContainsCACerts &&
                !spec.onlyContainsAttributeCerts &&
                spec.onlySomeReasons === undefined
                  ? {}
                  : {
                      idp: {
                        ...(spec.idpName === undefined ? {} : { name: POINT_NAMES[spec.idpName]() }),
                        onlyContainsUserCerts: spec.onlyContainsUserCerts,
                        onlyContainsCACerts: spec.onlyContainsCACerts,
                        onlyContainsAttributeCerts: spec.onlyContainsAttributeCerts,
                        ...(spec.onlySomeReasons === undefined ? {} : { onlySomeReasons: spec.onlySomeReasons }),
                      },
                    }),
              }),
            ),
          );
          const covered = new Set<ReasonName>();
          let revoked = false;
          for (const spec of specs) {
            const reasons = coveredReasons(spec, points);
            for (const reason of reasons) covered.add(reason);
            if (reasons.size > 0 && spec.lists) revoked = true;
          }
          const expected = revoked
            ? 'certificate-revoked'
            : covered.size === ALL.size
              ? 'certificate-valid'
              : 'certificate-revocation-unknown';
          const result = validateCertificatePath({
            leaf: leaf.cert.der,
            intermediates: [ca.cert.der],
            trustStore: createTrustStore([root.cert.der]),
            time: NOW,
            revocation: 'required',
            crls: [rootCrl, ...crls],
          });
          expect(
            result.reason,
            JSON.stringify({
              leafLabel,
              specs,
              detail: result.trace.find((entry) => entry.outcome === 'fail')?.detail,
            }),
          ).toBe(expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});
