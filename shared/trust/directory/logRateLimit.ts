/**
 * One log line per kind of event per interval: a missing Graph permission fails every user's
 * question, and one line says it as well as a thousand. The next line that goes out says how many
 * were left out. Time is passed in (milliseconds).
 * May import: nothing.
 */

/** Decides, per key, whether a log line goes out now. */
export class LogRateLimit {
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly intervalMs: number) {}

  /**
   * Whether to log `key` at `nowMs`: undefined when a line for it went out less than an interval
   * ago (this one is counted as left out), otherwise how many were left out since that line.
   */
  admit(key: string, nowMs: number): { readonly suppressedSinceLast: number } | undefined {
    const logged = this.lastLogged.get(key);
    if (logged && nowMs - logged.at < this.intervalMs) {
      logged.suppressed++;
      return undefined;
    }
    this.lastLogged.set(key, { at: nowMs, suppressed: 0 });
    return { suppressedSinceLast: logged?.suppressed ?? 0 };
  }
}
