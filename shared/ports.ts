/**
 * The ports: the small interfaces the core and the triggers use to reach the outside world.
 *
 * Only files in `shared/adapters/` implement them against Azure SDKs; tests implement them with
 * in-memory fakes. May import: the exception base; types of the cores that do not import the ports
 * back (test/unit/importCycles.test.ts fails on a cycle).
 */
import type { ClientContext } from './cert/intake/clientContext.js';
import { CertgateError } from './errors.js';
import type { Decision } from './policy/certificateDecision.js';
import type { PolicyAlert } from './policy/evaluateAccess.js';

/** A CA certificate an admin uploaded; every enabled one is a trust anchor. */
export interface TrustedCa {
  /** SHA-256 of the DER, lowercase hex: the CA's identity in the API. */
  readonly thumbprint: string;
  readonly der: Uint8Array;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** `root` when self-issued, `intermediate` otherwise. */
  readonly kind: 'root' | 'intermediate';
  readonly label: string;
  readonly enabled: boolean;
  /** Revocation checking for certificates this CA issues (see {@link RevocationPolicy}). */
  readonly revocation: RevocationPolicy;
  /** Distribution points of the CRLs this CA publishes, besides those its certificates name. */
  readonly crlUrls: readonly string[];
  /**
   * Username binding rules for certificates this CA issues, in order (Entra CBA's rule names:
   * PrincipalName, RFC822Name, IssuerAndSubject, Subject, SKI, SHA1PublicKey, IssuerAndSerialNumber).
   */
  readonly bindingRules: readonly string[];
  readonly addedAt: string;
  readonly addedBy: string;
  /** Opaque version for optimistic concurrency (`If-Match`). */
  readonly etag: string;
}

/**
 * Per-CA revocation checking, like "Require certificate revocation check", but explicit:
 * `off` (not checked), `preferred` (checked when revocation data is available; unknown passes),
 * `required` (unknown status → `unknown`: `block`, or `allow-and-alert`). A revoked certificate is
 * blocked in every mode but `off`.
 */
export interface RevocationPolicy {
  readonly mode: 'off' | 'preferred' | 'required';
  readonly unknown: 'block' | 'allow-and-alert';
}

/** The binding rules of a CA added without any: Entra CBA's defaults. */
export const DEFAULT_BINDING_RULE_NAMES: readonly string[] = Object.freeze([
  'PrincipalName',
  'RFC822Name',
  'SKI',
  'SHA1PublicKey',
]);

/** The revocation policy of a CA added without one. */
export const DEFAULT_REVOCATION_POLICY: RevocationPolicy = Object.freeze({ mode: 'preferred', unknown: 'block' });

/** What an admin may change on a stored CA. */
export interface TrustedCaChanges {
  readonly label?: string;
  readonly enabled?: boolean;
  readonly revocation?: RevocationPolicy;
  readonly crlUrls?: readonly string[];
  readonly bindingRules?: readonly string[];
}

/** Why a store operation did not happen; `unavailable` is a malfunction, the rest are answers. */
export type StoreErrorCode = 'not-found' | 'conflict' | 'precondition-failed' | 'unavailable';

/** A store operation that did not happen, with a stable code and the underlying cause. */
export class StoreError extends CertgateError {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** The trusted CA store (Table Storage in production). */
export interface TrustedCaStore {
  list(): Promise<TrustedCa[]>;
  get(thumbprint: string): Promise<TrustedCa | undefined>;
  /** Adds a CA; `conflict` when the thumbprint is already stored. */
  add(ca: Omit<TrustedCa, 'etag'>): Promise<TrustedCa>;
  /** Changes label / enabled; `precondition-failed` when `ifMatch` is stale, `not-found` when absent. */
  update(thumbprint: string, changes: TrustedCaChanges, ifMatch: string): Promise<TrustedCa>;
  /** Removes a CA; `not-found` when absent, `precondition-failed` when `ifMatch` is given and stale. */
  remove(thumbprint: string, ifMatch?: string): Promise<void>;
  /** Round trip to the backing service, for health checks. */
  ping(): Promise<void>;
}

/** The clock, injected so time is never read behind the core's back. */
export interface Clock {
  now(): Date;
}

/** Why revocation data could not be had; stable codes, shown in traces and health. */
export type CrlFetchFailure = 'crl-url-unsupported' | 'crl-fetch-failed' | 'crl-fetch-timeout' | 'crl-too-large';

/** The outcome of fetching one distribution point. */
export type CrlFetchResult =
  | { readonly kind: 'fetched'; readonly bytes: Uint8Array; readonly etag?: string; readonly lastModified?: string }
  | { readonly kind: 'not-modified' }
  | { readonly kind: 'failed'; readonly reason: CrlFetchFailure; readonly detail: string };

/** Fetches CRLs from distribution points (HTTP in production, a loopback server in tests). */
export interface CrlFetcher {
  fetch(url: string, previous?: { etag?: string; lastModified?: string }): Promise<CrlFetchResult>;
}

/** A last-good CRL as archived, with what is needed to use it without re-fetching. */
export interface ArchivedCrl {
  readonly url: string;
  readonly bytes: Uint8Array;
  readonly fetchedAt: string;
  readonly etag?: string;
  readonly lastModified?: string;
}

/**
 * Keeps the last good copy of every CRL (Blob Storage in production) so a restart or an outage of the CDP does not lose
 * revocation data.
 */
export interface CrlArchive {
  get(url: string): Promise<ArchivedCrl | undefined>;
  put(crl: ArchivedCrl): Promise<void>;
  list(): Promise<string[]>;
}

/** The kinds of configuration documents the policy store keeps. */
export type ConfigKind = 'app' | 'policy' | 'session-policy' | 'location' | 'settings';

/** One stored configuration document (validated by the policy model before it is stored). */
export interface StoredDocument {
  readonly kind: ConfigKind;
  readonly id: string;
  readonly document: unknown;
  readonly etag: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** One change, as the audit trail keeps it. */
export interface AuditEntry {
  readonly at: string;
  readonly actor: string;
  readonly action: 'create' | 'update' | 'delete';
  readonly kind: ConfigKind;
  readonly id: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** Every configuration document of one committed version (never part of a change). */
export interface ConfigurationSnapshot {
  readonly version: string;
  readonly documents: readonly StoredDocument[];
}

/** One document to store (`document`), or to delete (`document: null`), in a commit. */
export interface DocumentChange {
  readonly kind: ConfigKind;
  readonly id: string;
  readonly document: unknown;
}

/** What a commit did (or, for a dry run, would do). */
export interface CommitResult {
  /** The version after the commit (the base version when nothing changed or for a dry run). */
  readonly version: string;
  /** The documents written, with their new ETags (none for a dry run). */
  readonly documents: readonly StoredDocument[];
}

/**
 * Policies, named locations, apps and settings (Table Storage in production): atomic commits
 * conditional on the version they were made against, an audit entry per changed document, and a
 * version stamp that changes with every commit so other instances notice in one point read.
 */
export interface PolicyStore {
  /** Every document of one committed version, read consistently: never a half-applied commit. */
  snapshot(): Promise<ConfigurationSnapshot>;
  /**
   * Applies the changes as one atomic step, only while the configuration is still at
   * `baseVersion` (`precondition-failed` otherwise, nothing written): readers see all of them or
   * none. `dryRun` checks the version and plans the write without writing.
   */
  commit(
    changes: readonly DocumentChange[],
    options: { readonly actor: string; readonly baseVersion: string; readonly dryRun?: boolean },
  ): Promise<CommitResult>;
  list(): Promise<StoredDocument[]>;
  get(kind: ConfigKind, id: string): Promise<StoredDocument | undefined>;
  /**
   * Creates (`ifMatch` undefined: `conflict` when it exists) or replaces (`ifMatch` an ETag:
   * `precondition-failed` when stale; `*`: whatever is there).
   */
  put(kind: ConfigKind, id: string, document: unknown, actor: string, ifMatch?: string): Promise<StoredDocument>;
  /** Deletes; `not-found` when absent, `precondition-failed` when `ifMatch` is stale. */
  remove(kind: ConfigKind, id: string, actor: string, ifMatch?: string): Promise<void>;
  /** The version stamp: changes whenever any document does. */
  version(): Promise<string>;
  /** The most recent audit entries, newest first. */
  audit(limit: number): Promise<AuditEntry[]>;
}

/** An Entra device as certgate reads it from Microsoft Graph (`/devices`). */
export interface DirectoryDevice {
  /** The directory object id (`device.id`). */
  readonly objectId: string;
  /** The Entra device id (`device.deviceId`): what SCEP profiles write into certificates. */
  readonly deviceId: string;
  readonly displayName?: string;
  readonly accountEnabled: boolean;
  /** Intune compliance; null when the device is not managed by an MDM that reports it. */
  readonly isCompliant: boolean | null;
  readonly isManaged: boolean | null;
  /** `AzureAd` (Entra joined), `ServerAd` (hybrid joined), `Workplace` (registered), or null. */
  readonly trustType: string | null;
}

/**
 * One question certgate asks the directory on the decision path. Several go in one round trip
 * (Graph JSON batching, at most {@link DIRECTORY_BATCH_LIMIT}).
 * - `member-groups`: which of `groupIds` (at most {@link MEMBER_GROUPS_LIMIT}) the user is a
 *   transitive member of (`POST /users/{id}/checkMemberGroups`); an unknown user is a member of none.
 * - `device`: the device with this Entra device id, or null (`GET /devices?$filter=deviceId eq …`).
 * - `certificate-user-ids`: the user's `authorizationInfo.certificateUserIds`, or null for an unknown user.
 */
export type DirectoryQuestion =
  | { readonly kind: 'member-groups'; readonly userId: string; readonly groupIds: readonly string[] }
  | { readonly kind: 'device'; readonly deviceId: string }
  | { readonly kind: 'certificate-user-ids'; readonly userId: string };

/** The answer's type for each question kind. */
export interface DirectoryAnswers {
  readonly 'member-groups': readonly string[];
  readonly device: DirectoryDevice | null;
  readonly 'certificate-user-ids': readonly string[] | null;
}

/** The answer to one question, or why there is none. */
export type DirectoryOutcome<K extends DirectoryQuestion['kind'] = DirectoryQuestion['kind']> =
  { readonly ok: true; readonly value: DirectoryAnswers[K] } | { readonly ok: false; readonly error: DirectoryError };

/** Most group ids Graph's checkMemberGroups takes in one call. */
export const MEMBER_GROUPS_LIMIT = 20;
/** Most requests in one Graph JSON batch. */
export const DIRECTORY_BATCH_LIMIT = 20;

/**
 * Why the directory gave no answer: `throttled` (429/503 with Retry-After), `unavailable` (5xx,
 * network), `timeout`, `denied` (401/403: a missing Graph permission), `invalid` (400: a bug or a
 * bad id). All but `invalid` and `denied` are transient.
 */
export type DirectoryErrorKind = 'throttled' | 'unavailable' | 'timeout' | 'denied' | 'invalid';

/** A directory call that failed (code `directory-<kind>`), with the server's Retry-After when it gave one. */
export class DirectoryError extends CertgateError {
  readonly code: `directory-${DirectoryErrorKind}`;
  constructor(
    readonly kind: DirectoryErrorKind,
    message: string,
    readonly retryAfterSeconds?: number,
    readonly status?: number,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
    this.code = `directory-${kind}`;
    this.name = 'DirectoryError';
  }
}

/** A Conditional Access policy, the parts certgate's posture report reads (Graph's shape). */
export interface ConditionalAccessPolicy {
  readonly id: string;
  readonly displayName: string;
  readonly state: 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';
  readonly conditions: {
    readonly applications?: {
      readonly includeApplications?: readonly string[];
      readonly excludeApplications?: readonly string[];
    } | null;
    readonly users?: {
      readonly includeUsers?: readonly string[];
      readonly excludeUsers?: readonly string[];
      readonly includeGroups?: readonly string[];
      readonly excludeGroups?: readonly string[];
    } | null;
    readonly clientAppTypes?: readonly string[];
  };
  readonly grantControls?: { readonly operator?: string; readonly builtInControls?: readonly string[] } | null;
  readonly sessionControls?: {
    readonly cloudAppSecurity?: { readonly isEnabled?: boolean; readonly cloudAppSecurityType?: string } | null;
  } | null;
}

/** Microsoft Graph as certgate uses it (the Graph client in production, the local stand-in in dev and tests). */
export interface Directory {
  /**
   * Answers the questions in order, one outcome each: one question is one request, several are
   * one JSON batch. Never rejects for a failed question (its outcome carries the error); rejects
   * with a {@link DirectoryError} only when the round trip itself failed.
   */
  answer(
    questions: readonly DirectoryQuestion[],
    options?: { readonly timeoutMs?: number },
  ): Promise<DirectoryOutcome[]>;
  /**
   * Of these object ids, the ones that are groups, with their display names (`GET /groups/{id}` in JSON batches:
   * GroupMember.Read.All suffices).
   */
  findGroups(ids: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** Every Conditional Access policy of the tenant, all pages (`GET /identity/conditionalAccess/policies`). */
  listConditionalAccessPolicies(): Promise<ConditionalAccessPolicy[]>;
}

// ---- Conditional Access posture report -------------------------------------------------------

/**
 * Keeps the latest Conditional Access posture report (Blob Storage in production), so the admin
 * API answers without calling Graph. Failures are {@link StoreError}s (`unavailable`). Generic in
 * the report: the posture core imports the ports' Graph types, so importing its report type here
 * would make a cycle. Used as `PostureReportStore<PostureReport>`.
 */
export interface PostureReportStore<Report> {
  /** Replaces the latest report. */
  save(report: Report): Promise<void>;
  /** The latest report, or undefined when none was saved yet. */
  latest(): Promise<Report | undefined>;
}

// ---- What leaves the process: the decision log and alerts ------------------------------------

/**
 * Where log lines go: an invocation's logger (the Functions `InvocationContext`, whose lines carry
 * the invocation id into Application Insights) or the console (outside any invocation).
 */
export interface LogWriter {
  log(line: string): void;
  warn(line: string): void;
}

/** A port whose adapter can write through one invocation's logger (see {@link LogWriter}). */
export type InvocationScoped<Port> = Port & {
  /** The same port, its lines written through this invocation's logger. */
  forInvocation(log: LogWriter): Port;
};

/** One decision as the decision log records it. */
export interface DecisionRecord {
  readonly decision: Decision;
  /** The client the decision was for, as intake read it. */
  readonly client: ClientContext;
  /** The signed-in user's UPN, or why a bearer token was not accepted. */
  readonly user?: string | undefined;
  /** The signed-in user's Entra object id. */
  readonly userId?: string | undefined;
}

/** The decision log: every decision, allowed or not, with why (JSON log lines today). */
export interface DecisionLog {
  record(entry: DecisionRecord): void;
}

/**
 * A request carried forwarded facts (a certificate header) but no configured gateway proved itself: a forgery attempt,
 * or a misconfigured gateway.
 */
export interface UntrustedForwarderAlert {
  readonly event: 'certgate.alert.untrusted-forwarder';
  readonly correlationId: string;
  /** Who and what the request was about, as far as it was established (alert events carry it). */
  readonly subject?: AlertSubject;
  readonly detail: string;
  /** The address the request came from (the last hop). */
  readonly remoteAddress: string | undefined;
  readonly client: ClientContext;
}

/** An access policy with an `alert` matched a request. */
export interface PolicyMatchedAlert {
  readonly event: 'certgate.alert.policy';
  readonly correlationId: string;
  readonly subject?: AlertSubject;
  readonly policyId: string;
  readonly severity: PolicyAlert['severity'];
  /** The decision's effect (the alerting policy need not be the deciding one). */
  readonly effect: Decision['effect'];
  readonly client: ClientContext;
}

/** A certificate was allowed although its revocation status is unknown (a CA with `unknown: allow-and-alert`). */
export interface RevocationUnknownAlert {
  readonly event: 'certgate.alert.revocation-unknown';
  readonly correlationId: string;
  readonly subject?: AlertSubject;
  /** The leaf's SHA-256 thumbprint. */
  readonly certificate: string | undefined;
}

/**
 * Who and what a request's alert is about, as far as the decision established it: the user (UPN, or why no token
 * was accepted), the device (the client certificate's SHA-256 thumbprint, the Entra device id), the registered app.
 */
export interface AlertSubject {
  readonly user?: string;
  readonly device?: string;
  readonly deviceId?: string;
  readonly app?: string;
  readonly clientIp?: string;
}

/** A trusted CA, or a client certificate seen recently, expires within the watch's threshold (or has expired). */
export interface ExpiringCertificateAlert {
  readonly event: 'certgate.alert.ca-expiring' | 'certgate.alert.certificate-expiring';
  /** SHA-256 thumbprint, lowercase hex. */
  readonly thumbprint: string;
  readonly subjectName: string;
  readonly notAfter: string;
  /** Whole days left (negative once expired). */
  readonly daysLeft: number;
  readonly severity: 'low' | 'medium' | 'high';
  /** For a client certificate: the user and device it was last seen with. */
  readonly subject?: AlertSubject;
}

/** A CRL certgate relies on is past its nextUpdate (the distribution point is late, down or serving an old CRL). */
export interface CrlStaleAlert {
  readonly event: 'certgate.alert.crl-stale';
  readonly url: string;
  readonly nextUpdate: string | undefined;
  readonly detail: string;
  readonly severity: 'low' | 'medium' | 'high';
}

/** An OCSP responder failed its recent queries. */
export interface OcspFailingAlert {
  readonly event: 'certgate.alert.ocsp-failing';
  readonly url: string;
  readonly failures: number;
  readonly detail: string;
}

/** Microsoft Graph stopped answering (the directory cache's circuit opened): policies needing it follow fail mode. */
export interface GraphDegradedAlert {
  readonly event: 'certgate.alert.graph-degraded';
  readonly detail: string;
}

/**
 * A session control with an alert flag acted on an allowed session: a download or an upload blocked, or a request
 * recorded by a monitor control (report-only policies never alert).
 */
// A type alias, not an interface: the alert events' fallback mapping takes it as a plain record.
export type SessionControlAlert = {
  readonly event: 'certgate.alert.session';
  readonly correlationId: string;
  readonly subject?: AlertSubject;
  readonly policyId: string;
  readonly control: 'block-download' | 'block-upload' | 'monitor';
  /** The session reason code (`session-download-blocked`, `session-upload-blocked`, `session-monitored`). */
  readonly code: string;
  /** What made it a file (`attachment`, `extension`, `multipart-file`, ...). */
  readonly rule: string;
  readonly severity: 'low' | 'medium' | 'high';
  readonly client: ClientContext;
};

/** Something an operator should look at: a closed union, `event` names the kind in every sink. */
export type Alert =
  | UntrustedForwarderAlert
  | PolicyMatchedAlert
  | RevocationUnknownAlert
  | ExpiringCertificateAlert
  | CrlStaleAlert
  | OcspFailingAlert
  | GraphDegradedAlert
  | SessionControlAlert;

/** Where alerts go (warning log lines today). */
export interface AlertSink {
  raise(alert: Alert): void;
}
