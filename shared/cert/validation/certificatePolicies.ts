/**
 * Certificate policy processing, RFC 5280 §6.1.2 (a), (d)-(f), §6.1.3 (d)-(f), §6.1.4 (a)-(b),
 * (h)-(j) and §6.1.5 (a)-(b), (g): the relying party's inputs (user-initial-policy-set,
 * initial-explicit-policy, initial-policy-mapping-inhibit, initial-any-policy-inhibit), policy
 * mapping, anyPolicy and its inhibition, requireExplicitPolicy, and the outputs (the
 * authorities-constrained and user-constrained policy sets). Policy qualifiers are ignored.
 *
 * The valid_policy_tree is kept as the valid_policy_graph of RFC 9618, which gives the same
 * result: one node per (depth, valid policy) with any number of parents, so the structure stays
 * linear in the path and the number of policies (the tree of RFC 5280 can grow exponentially
 * with policy mappings). A processor is stateful and follows the path from the certificate
 * issued by the trust anchor (RFC "certificate 1") to the leaf ("certificate n"); the trust
 * anchor's own policy extensions are not processed (§6.1.1 (d): the anchor supplies name and key).
 * May import: ../x509/*.
 */
import type { ParsedCertificate } from '../x509/certificate.js';
import { ANY_POLICY_OID } from '../x509/oids.js';

/** The relying party's policy inputs, RFC 5280 §6.1.1 (c), (e), (f), (g). */
export interface PolicyInputs {
  /** user-initial-policy-set: the policies acceptable to the relying party; [anyPolicy] for "any". */
  readonly initialPolicySet: readonly string[];
  /** initial-explicit-policy: the path must be valid for at least one policy of the set. */
  readonly initialExplicitPolicy: boolean;
  /** initial-policy-mapping-inhibit: policy mapping is not permitted in the path. */
  readonly initialPolicyMappingInhibit: boolean;
  /** initial-any-policy-inhibit: anyPolicy in a certificate is not processed. */
  readonly initialAnyPolicyInhibit: boolean;
}

/** RFC 5280's values for a relying party that does not care about policies. */
export const DEFAULT_POLICY_INPUTS: PolicyInputs = Object.freeze({
  initialPolicySet: Object.freeze([ANY_POLICY_OID]),
  initialExplicitPolicy: false,
  initialPolicyMappingInhibit: false,
  initialAnyPolicyInhibit: false,
});

/** The policy outputs of a valid path (RFC 9618 §5, §6.1.5 (g)), in the trust anchor's policy domain. */
export interface PolicyOutput {
  /** Policies the CAs of the path allow (anyPolicy when the whole path asserts anyPolicy). */
  readonly authoritiesConstrainedPolicySet: readonly string[];
  /** The authorities-constrained set intersected with user-initial-policy-set. */
  readonly userConstrainedPolicySet: readonly string[];
}

/** A failed step: the RFC rule and what went wrong. */
export interface PolicyFailure {
  readonly ok: false;
  readonly rule: string;
  readonly detail: string;
}

/** Outcome of one step of policy processing. */
export type PolicyStep = { readonly ok: true } | PolicyFailure;

interface PolicyNode {
  readonly validPolicy: string;
  expectedPolicySet: readonly string[];
  readonly parents: readonly PolicyNode[];
}

/** One depth of the graph, by valid policy. */
type Level = Map<string, PolicyNode>;

const OK: PolicyStep = { ok: true };

function isSelfIssued(certificate: ParsedCertificate): boolean {
  return certificate.subject.normalized === certificate.issuer.normalized;
}

function list(policies: Iterable<string>): string {
  const values = [...policies];
  return values.length === 0 ? 'none' : values.join(', ');
}

/**
 * Policy processing over one path of `length` certificates below the anchor. Call, for
 * certificates 1 … n in order: {@link PolicyProcessor.processCertificate}, then (for 1 … n-1)
 * {@link PolicyProcessor.prepareForNext}; then {@link PolicyProcessor.wrapUp} with the leaf.
 * `label(i)` names RFC certificate i in messages.
 */
export class PolicyProcessor {
  /** levels[d] holds the nodes of depth d; undefined once the graph is NULL. */
  private levels: Level[] | undefined;
  private explicitPolicy: number;
  private inhibitAnyPolicy: number;
  private policyMapping: number;
  /** Who made explicit_policy 0 (for messages). */
  private explicitSource: string;
  private depth = 0;
  private readonly anyPolicyInput: boolean;
  private readonly initialSet: ReadonlySet<string>;

  constructor(
    private readonly length: number,
    inputs: PolicyInputs,
    private readonly label: (index: number) => string,
  ) {
    // §6.1.2 (a): a single anyPolicy node of depth 0 with expected_policy_set {anyPolicy}.
    this.levels = [
      new Map([[ANY_POLICY_OID, { validPolicy: ANY_POLICY_OID, expectedPolicySet: [ANY_POLICY_OID], parents: [] }]]),
    ];
    // §6.1.2 (d)-(f): n+1 unless the relying party set the initial flag.
    this.explicitPolicy = inputs.initialExplicitPolicy ? 0 : length + 1;
    this.inhibitAnyPolicy = inputs.initialAnyPolicyInhibit ? 0 : length + 1;
    this.policyMapping = inputs.initialPolicyMappingInhibit ? 0 : length + 1;
    this.explicitSource = 'the relying party (initial-explicit-policy)';
    this.initialSet = new Set(inputs.initialPolicySet);
    this.anyPolicyInput = this.initialSet.has(ANY_POLICY_OID);
  }

  /** §6.1.3 (d)-(f) for certificate `index` (1-based; `length` is the leaf). */
  processCertificate(certificate: ParsedCertificate, index: number): PolicyStep {
    this.depth = index;
    const isFinal = index === this.length;
    const policies = certificate.extensions.certificatePolicies?.policies;
    let emptied = '';
    if (this.levels !== undefined && policies !== undefined) {
      const parentLevel = this.levels[index - 1] ?? new Map<string, PolicyNode>();
      const level: Level = new Map();
      const parentsExpecting = new Map<string, PolicyNode[]>();
      for (const parent of parentLevel.values()) {
        for (const expected of parent.expectedPolicySet) {
          const parents = parentsExpecting.get(expected);
          if (parents === undefined) parentsExpecting.set(expected, [parent]);
          else parents.push(parent);
        }
      }
      const anyParent = parentLevel.get(ANY_POLICY_OID);
      let assertsAnyPolicy = false;
      for (const { policyIdentifier } of policies) {
        if (policyIdentifier === ANY_POLICY_OID) {
          assertsAnyPolicy = true;
          continue;
        }
        // (d)(1)(i): every parent whose expected_policy_set holds the policy; (ii) else the anyPolicy parent.
        const parents = parentsExpecting.get(policyIdentifier) ?? (anyParent === undefined ? [] : [anyParent]);
        if (parents.length > 0)
          level.set(policyIdentifier, {
            validPolicy: policyIdentifier,
            expectedPolicySet: [policyIdentifier],
            parents,
          });
      }
      // (d)(2): anyPolicy stands for every expected policy not yet matched, if not inhibited —
      // "or (i<n and the certificate is self-issued)".
      if (assertsAnyPolicy && (this.inhibitAnyPolicy > 0 || (!isFinal && isSelfIssued(certificate)))) {
        const missing = new Map<string, PolicyNode[]>();
        for (const parent of parentLevel.values()) {
          for (const expected of parent.expectedPolicySet) {
            if (level.has(expected)) continue;
            const parents = missing.get(expected);
            if (parents === undefined) missing.set(expected, [parent]);
            else parents.push(parent);
          }
        }
        for (const [policy, parents] of missing)
          level.set(policy, { validPolicy: policy, expectedPolicySet: [policy], parents });
      }
      this.levels.push(level);
      // (d)(3): prune the nodes left without children.
      if (this.prune(index)) {
        const expected = new Set([...parentLevel.values()].flatMap((node) => node.expectedPolicySet));
        emptied = `none of the certificate's policies (${list(policies.map((policy) => policy.policyIdentifier))}) is acceptable here (expected: ${list(expected)}${assertsAnyPolicy ? '; its anyPolicy is inhibited' : ''})`;
      }
    } else if (this.levels !== undefined) {
      // (e): no certificate policies extension → the graph is NULL.
      this.levels = undefined;
      emptied = 'the certificate has no certificatePolicies extension';
    }
    // (f): explicit_policy > 0 or the graph is not NULL.
    if (this.explicitPolicy <= 0 && this.levels === undefined) {
      return {
        ok: false,
        rule: 'RFC 5280 §6.1.3 (f)',
        detail: `an explicit policy is required (by ${this.explicitSource}) but no valid policy remains${emptied === '' ? '' : `: ${emptied}`}`,
      };
    }
    return OK;
  }

  /** §6.1.4 (a)-(b) and (h)-(j) for certificate `index` (not the leaf). */
  prepareForNext(certificate: ParsedCertificate, index: number): PolicyStep {
    const mappings = certificate.extensions.policyMappings?.mappings;
    if (mappings !== undefined) {
      // (a): anyPolicy is never mapped, whether or not mapping is inhibited.
      const anyMapping = mappings.find(
        (mapping) => mapping.issuerDomainPolicy === ANY_POLICY_OID || mapping.subjectDomainPolicy === ANY_POLICY_OID,
      );
      if (anyMapping !== undefined) {
        return {
          ok: false,
          rule: 'RFC 5280 §6.1.4 (a)',
          detail: `policyMappings maps ${anyMapping.issuerDomainPolicy === ANY_POLICY_OID ? 'from' : 'to'} anyPolicy (${anyMapping.issuerDomainPolicy} → ${anyMapping.subjectDomainPolicy})`,
        };
      }
      const level = this.levels?.[index];
      if (level !== undefined) {
        const subjectsByIssuer = new Map<string, string[]>();
        for (const { issuerDomainPolicy, subjectDomainPolicy } of mappings) {
          const subjects = subjectsByIssuer.get(issuerDomainPolicy);
          if (subjects === undefined) subjectsByIssuer.set(issuerDomainPolicy, [subjectDomainPolicy]);
          else if (!subjects.includes(subjectDomainPolicy)) subjects.push(subjectDomainPolicy);
        }
        if (this.policyMapping > 0) {
          // (b)(1): the node for ID-P now expects the mapped policies; under anyPolicy, a node is made for ID-P.
          const anyNode = level.get(ANY_POLICY_OID);
          for (const [issuerPolicy, subjects] of subjectsByIssuer) {
            const node = level.get(issuerPolicy);
            if (node !== undefined) node.expectedPolicySet = subjects;
            else if (anyNode !== undefined)
              level.set(issuerPolicy, {
                validPolicy: issuerPolicy,
                expectedPolicySet: subjects,
                parents: anyNode.parents,
              });
          }
        } else {
          // (b)(2): mapping inhibited: the mapped policies are deleted, then the graph is pruned.
          for (const issuerPolicy of subjectsByIssuer.keys()) level.delete(issuerPolicy);
          this.prune(index);
        }
      }
    }
    // (h): the counters step down, unless the certificate is self-issued.
    if (!isSelfIssued(certificate)) {
      if (this.explicitPolicy > 0) this.explicitPolicy -= 1;
      if (this.policyMapping > 0) this.policyMapping -= 1;
      if (this.inhibitAnyPolicy > 0) this.inhibitAnyPolicy -= 1;
    }
    // (i)-(j): the certificate's own constraints can only lower them.
    const constraints = certificate.extensions.policyConstraints;
    if (constraints?.requireExplicitPolicy !== undefined && constraints.requireExplicitPolicy < this.explicitPolicy) {
      this.explicitPolicy = constraints.requireExplicitPolicy;
      this.explicitSource = `requireExplicitPolicy ${constraints.requireExplicitPolicy} of ${this.label(index)}`;
    }
    if (constraints?.inhibitPolicyMapping !== undefined && constraints.inhibitPolicyMapping < this.policyMapping)
      this.policyMapping = constraints.inhibitPolicyMapping;
    const inhibit = certificate.extensions.inhibitAnyPolicy;
    if (inhibit !== undefined && inhibit.skipCerts < this.inhibitAnyPolicy) this.inhibitAnyPolicy = inhibit.skipCerts;
    return OK;
  }

  /** §6.1.5 (a)-(b), (g) with the leaf: the output sets, or why the path is not valid for any acceptable policy. */
  wrapUp(leaf: ParsedCertificate): PolicyFailure | { readonly ok: true; readonly output: PolicyOutput } {
    // (a)-(b).
    if (this.explicitPolicy > 0) this.explicitPolicy -= 1;
    if (leaf.extensions.policyConstraints?.requireExplicitPolicy === 0) {
      this.explicitPolicy = 0;
      this.explicitSource = `requireExplicitPolicy 0 of ${this.label(this.length)}`;
    }
    // (g) as RFC 9618 §5.5 states it: the nodes whose parent is anyPolicy, plus an anyPolicy leaf.
    const authorities = new Set<string>();
    for (const level of this.levels ?? []) {
      for (const node of level.values()) {
        if (node.validPolicy !== ANY_POLICY_OID && node.parents.some((parent) => parent.validPolicy === ANY_POLICY_OID))
          authorities.add(node.validPolicy);
      }
    }
    if (this.levels?.[this.depth]?.has(ANY_POLICY_OID) === true) authorities.add(ANY_POLICY_OID);
    let user: Set<string>;
    if (this.anyPolicyInput) {
      user = new Set(authorities);
    } else {
      user = new Set([...authorities].filter((policy) => this.initialSet.has(policy)));
      if (authorities.has(ANY_POLICY_OID)) for (const policy of this.initialSet) user.add(policy);
    }
    if (this.explicitPolicy <= 0 && user.size === 0) {
      const offered =
        authorities.size === 0 ? 'the path is valid for no policy' : `the path is valid for ${list(authorities)}`;
      return {
        ok: false,
        rule: 'RFC 5280 §6.1.5 (g)',
        detail: `an explicit policy is required (by ${this.explicitSource}) but no acceptable policy remains: ${offered}${this.anyPolicyInput ? '' : `, the relying party accepts ${list(this.initialSet)}`}`,
      };
    }
    return {
      ok: true,
      output: { authoritiesConstrainedPolicySet: [...authorities], userConstrainedPolicySet: [...user] },
    };
  }

  /**
   * Deletes, from depth `deepest - 1` up, the nodes no node below points to (RFC 5280 §6.1.3
   * (d)(3), §6.1.4 (b)(2)(ii)); the graph becomes NULL when depth `deepest` is empty. Returns
   * whether the graph is NULL.
   */
  private prune(deepest: number): boolean {
    const levels = this.levels;
    if (levels === undefined) return true;
    if ((levels[deepest]?.size ?? 0) === 0) {
      this.levels = undefined;
      return true;
    }
    for (let depth = deepest - 1; depth >= 0; depth -= 1) {
      const level = levels[depth];
      const below = levels[depth + 1];
      if (level === undefined || below === undefined) return false;
      const referenced = new Set<PolicyNode>();
      for (const node of below.values()) for (const parent of node.parents) referenced.add(parent);
      let removed = false;
      for (const [policy, node] of level) {
        if (!referenced.has(node)) {
          level.delete(policy);
          removed = true;
        }
      }
      if (!removed) return false;
    }
    return false;
  }
}
