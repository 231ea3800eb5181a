/**
 * Certificate policy processing, RFC 5280 §6.1.2 (d)-(f), §6.1.3 (d)-(f), §6.1.4 (a)-(b), (h)-(j)
 * and §6.1.5 (a)-(b), (g), with the user-initial-policy-set fixed to anyPolicy and
 * initial-explicit-policy / initial-policy-mapping-inhibit / initial-any-policy-inhibit all false.
 *
 * The valid_policy_tree is kept one level at a time (valid policy → expected policy set, plus
 * whether an anyPolicy node exists): nodes at one depth with the same valid policy always share
 * their expected set, and with anyPolicy as the user set only the tree's emptiness decides the
 * outcome, so this is exact and stays linear in the path (no exponential policy-tree blow-up).
 * May import: ../x509/*.
 */
import type { ParsedCertificate } from '../x509/certificate.js';
import { ANY_POLICY_OID } from '../x509/oids.js';

/** Outcome of policy processing over a path. */
export type PolicyCheck = { readonly ok: true } | { readonly ok: false; readonly index: number; readonly detail: string };

interface PolicyLevel {
  /** valid_policy → expected_policy_set for the non-anyPolicy nodes at this depth. */
  readonly nodes: Map<string, Set<string>>;
  /** Whether an anyPolicy node exists at this depth. */
  anyPolicy: boolean;
}

function isSelfIssued(certificate: ParsedCertificate): boolean {
  return certificate.subject.normalized === certificate.issuer.normalized;
}

/**
 * Run policy processing over `path` ordered from the certificate issued by the trust anchor
 * (index 0) to the leaf (last). Returns the index of the certificate at which it failed.
 */
export function processCertificatePolicies(path: readonly ParsedCertificate[]): PolicyCheck {
  const n = path.length;
  let explicitPolicy = n + 1;
  let inhibitAnyPolicy = n + 1;
  let policyMapping = n + 1;
  let level: PolicyLevel | undefined = { nodes: new Map(), anyPolicy: true };
  for (let index = 0; index < n; index += 1) {
    const certificate = path[index];
    if (certificate === undefined) break;
    const isLeaf = index === n - 1;
    const policies = certificate.extensions.certificatePolicies?.policies;
    if (level !== undefined && policies !== undefined) {
      const next: PolicyLevel = { nodes: new Map(), anyPolicy: false };
      let certificateHasAnyPolicy = false;
      for (const { policyIdentifier } of policies) {
        if (policyIdentifier === ANY_POLICY_OID) {
          certificateHasAnyPolicy = true;
          continue;
        }
        // (d)(1)(i): a parent whose expected set holds the policy; (ii): else an anyPolicy parent.
        let matched = false;
        for (const expected of level.nodes.values()) if (expected.has(policyIdentifier)) matched = true;
        if (matched || level.anyPolicy) next.nodes.set(policyIdentifier, new Set([policyIdentifier]));
      }
      // (d)(2): anyPolicy in the certificate expands every expected policy not yet present.
      if (certificateHasAnyPolicy && (inhibitAnyPolicy > 0 || (!isLeaf && isSelfIssued(certificate)))) {
        for (const expected of level.nodes.values()) {
          for (const policy of expected) if (!next.nodes.has(policy)) next.nodes.set(policy, new Set([policy]));
        }
        if (level.anyPolicy) next.anyPolicy = true;
      }
      level = next.nodes.size > 0 || next.anyPolicy ? next : undefined;
    } else if (policies === undefined) {
      // (e): no certificatePolicies extension → the tree becomes NULL.
      level = undefined;
    }
    if (!isLeaf) {
      // (f): an explicit policy is required and the tree is empty.
      if (explicitPolicy <= 0 && level === undefined) {
        return { ok: false, index, detail: 'an explicit policy is required but no valid policy remains' };
      }
      // §6.1.4 (a)-(b): policy mappings.
      const mappings = certificate.extensions.policyMappings?.mappings ?? [];
      for (const mapping of mappings) {
        if (mapping.issuerDomainPolicy === ANY_POLICY_OID || mapping.subjectDomainPolicy === ANY_POLICY_OID) {
          return { ok: false, index, detail: 'policy mapping to or from anyPolicy' };
        }
      }
      if (level !== undefined && mappings.length > 0) {
        const byIssuerPolicy = new Map<string, Set<string>>();
        for (const mapping of mappings) {
          const subjects = byIssuerPolicy.get(mapping.issuerDomainPolicy) ?? new Set<string>();
          subjects.add(mapping.subjectDomainPolicy);
          byIssuerPolicy.set(mapping.issuerDomainPolicy, subjects);
        }
        for (const [issuerPolicy, subjectPolicies] of byIssuerPolicy) {
          if (policyMapping > 0) {
            if (level.nodes.has(issuerPolicy)) level.nodes.set(issuerPolicy, new Set(subjectPolicies));
            else if (level.anyPolicy) level.nodes.set(issuerPolicy, new Set(subjectPolicies));
          } else {
            level.nodes.delete(issuerPolicy);
          }
        }
        if (level.nodes.size === 0 && !level.anyPolicy) level = undefined;
      }
      // (h): counters step down for non-self-issued certificates.
      if (!isSelfIssued(certificate)) {
        if (explicitPolicy > 0) explicitPolicy -= 1;
        if (policyMapping > 0) policyMapping -= 1;
        if (inhibitAnyPolicy > 0) inhibitAnyPolicy -= 1;
      }
      // (i)-(j): constraints from this certificate.
      const constraints = certificate.extensions.policyConstraints;
      if (constraints?.requireExplicitPolicy !== undefined) explicitPolicy = Math.min(explicitPolicy, constraints.requireExplicitPolicy);
      if (constraints?.inhibitPolicyMapping !== undefined) policyMapping = Math.min(policyMapping, constraints.inhibitPolicyMapping);
      const inhibit = certificate.extensions.inhibitAnyPolicy;
      if (inhibit !== undefined) inhibitAnyPolicy = Math.min(inhibitAnyPolicy, inhibit.skipCerts);
    } else {
      // §6.1.5 (a)-(b).
      if (explicitPolicy > 0) explicitPolicy -= 1;
      if (certificate.extensions.policyConstraints?.requireExplicitPolicy === 0) explicitPolicy = 0;
      // §6.1.5 (g): with anyPolicy as the user set, the tree's intersection is the tree itself.
      if (explicitPolicy <= 0 && level === undefined) {
        return { ok: false, index, detail: 'an explicit policy is required but no valid policy remains' };
      }
    }
  }
  return { ok: true };
}
