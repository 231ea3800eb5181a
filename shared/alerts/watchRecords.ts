/**
 * What the expiry and staleness watch remembers between its runs, cheaply and bounded:
 * - {@link RecentCertificates}: per leaf thumbprint, its expiry and the user / device it was last seen with
 *   (the decision path notes every validated leaf: a Map write; the least recently seen go first);
 * - {@link ResponderHealth}: per OCSP responder URL, consecutive failures and the last error, recorded by wrapping
 *   the OCSP transport (a decorator of the port, so the revocation core is unchanged).
 * Per worker: the watch of one instance sees the certificates that instance saw (docs/alerts.md).
 * May import: ports (types), the OCSP transport port (types), the clock.
 */
import type { OcspQueryResult, OcspResponderClient } from '../cert/revocation/ocspTransport.js';
import type { AlertSubject, Clock } from '../ports.js';

/** One client certificate as last seen. */
export interface SeenCertificate {
  readonly thumbprint: string;
  readonly subjectName: string;
  readonly notAfter: string;
  readonly lastSeen: string;
  readonly subject?: AlertSubject;
}

/** How long a leaf noted with the same subject is not noted again (the decision path asks per request). */
export const RENOTE_AFTER_MS = 60_000;

/** The recently seen client certificates, at most `capacity` (least recently seen dropped first). */
export class RecentCertificates {
  private readonly seen = new Map<string, { readonly record: SeenCertificate; readonly atMs: number }>();

  constructor(private readonly capacity: number) {}

  /** Notes a leaf as seen now (moves it to the most recent end). */
  note(certificate: SeenCertificate): void {
    this.seen.delete(certificate.thumbprint);
    this.seen.set(certificate.thumbprint, { record: certificate, atMs: Date.parse(certificate.lastSeen) });
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  /**
   * Whether noting the leaf at `nowMs` with this user, app and client address can wait: it was noted less than
   * {@link RENOTE_AFTER_MS} ago with the same ones. A map lookup and no allocation, so the decision path builds the
   * record only when it changes something (the last-seen time and the recency order are then at most a minute old).
   */
  notedRecently(
    thumbprint: string,
    nowMs: number,
    user: string | undefined,
    app: string | undefined,
    clientIp: string | undefined,
  ): boolean {
    const last = this.seen.get(thumbprint);
    if (last === undefined) return false;
    const age = nowMs - last.atMs;
    if (!(age >= 0 && age < RENOTE_AFTER_MS)) return false;
    const subject = last.record.subject;
    return subject?.user === user && subject?.app === app && subject?.clientIp === clientIp;
  }

  list(): SeenCertificate[] {
    return Array.from(this.seen.values(), (entry) => entry.record);
  }

  get size(): number {
    return this.seen.size;
  }
}

/** One OCSP responder's recent record. */
export interface ResponderRecord {
  readonly url: string;
  readonly consecutiveFailures: number;
  readonly lastError?: string;
  readonly lastFailureAt?: string;
  readonly lastSuccessAt?: string;
}

/** Consecutive failures per OCSP responder, fed by {@link ResponderHealth.wrap}; at most `capacity` responders. */
export class ResponderHealth {
  private readonly records = new Map<string, ResponderRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly capacity = 1000,
  ) {}

  /** The same transport, its results recorded per URL. */
  wrap(client: OcspResponderClient): OcspResponderClient {
    return {
      query: async (url, requestDer): Promise<OcspQueryResult> => {
        const result = await client.query(url, requestDer);
        this.record(url, result);
        return result;
      },
    };
  }

  list(): ResponderRecord[] {
    return [...this.records.values()];
  }

  private record(url: string, result: OcspQueryResult): void {
    const previous = this.records.get(url);
    const at = this.clock.now().toISOString();
    const next: ResponderRecord =
      result.kind === 'failed'
        ? {
            url,
            consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1,
            lastError: `${result.reason}: ${result.detail}`,
            lastFailureAt: at,
            ...(previous?.lastSuccessAt ? { lastSuccessAt: previous.lastSuccessAt } : {}),
          }
        : { url, consecutiveFailures: 0, lastSuccessAt: at };
    this.records.delete(url);
    this.records.set(url, next);
    if (this.records.size > this.capacity) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }
}
