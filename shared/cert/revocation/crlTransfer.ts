/**
 * Moves a parsed CRL between threads cheaply. A large CRL is parsed in a worker thread; posting
 * its `revoked` Map as-is would make the main thread deserialise 100,000 objects in one go. So the
 * entries travel packed (keys in one string, dates and reasons in typed arrays) and the Map is
 * rebuilt on the receiving side in slices, yielding between them, so no single slice blocks the
 * event loop for long.
 * May import: ./crl.js.
 */
import { CRL_REASON_NAMES, type ParsedCrl, type RevokedEntry } from './crl.js';

/** A parsed CRL in transferable form. */
export interface PackedCrl {
  readonly meta: Omit<ParsedCrl, 'revoked'>;
  /** Revocation keys joined with "\n" (keys never contain a newline: names are escaped). */
  readonly keys: string;
  readonly dates: Float64Array;
  /** Index into CRL_REASON_NAMES, -1 when the entry has no reason code. */
  readonly reasons: Int8Array;
  readonly issuerTable: readonly string[];
  readonly issuerIndex: Uint32Array;
}

/** Packs a CRL; `transfer` lists the buffers that may be moved rather than copied. */
export function packCrl(crl: ParsedCrl): { packed: PackedCrl; transfer: ArrayBuffer[] } {
  const { revoked, ...meta } = crl;
  const size = revoked.size;
  const dates = new Float64Array(size);
  const reasons = new Int8Array(size);
  const issuerIndex = new Uint32Array(size);
  const issuerTable: string[] = [];
  const issuerSlots = new Map<string, number>();
  const keys: string[] = [];
  let i = 0;
  for (const [key, entry] of revoked) {
    keys.push(key);
    dates[i] = entry.revocationDate.getTime();
    reasons[i] = entry.reason === undefined ? -1 : CRL_REASON_NAMES.indexOf(entry.reason);
    let slot = issuerSlots.get(entry.certificateIssuer);
    if (slot === undefined) {
      slot = issuerTable.length;
      issuerTable.push(entry.certificateIssuer);
      issuerSlots.set(entry.certificateIssuer, slot);
    }
    issuerIndex[i] = slot;
    i++;
  }
  return {
    packed: { meta, keys: keys.join('\n'), dates, reasons, issuerTable, issuerIndex },
    transfer: [dates.buffer, reasons.buffer, issuerIndex.buffer],
  };
}

/**
 * Rebuilds the CRL. `pause` is awaited between slices of `sliceSize` entries (give it
 * `() => new Promise(setImmediate)` on a server; omit it where blocking does not matter).
 */
export async function unpackCrl(
  packed: PackedCrl,
  pause?: () => Promise<void>,
  sliceSize = 10_000,
): Promise<ParsedCrl> {
  const keys = packed.keys.length === 0 ? [] : packed.keys.split('\n');
  const revoked = new Map<string, RevokedEntry>();
  for (let start = 0; start < keys.length; start += sliceSize) {
    const end = Math.min(keys.length, start + sliceSize);
    for (let i = start; i < end; i++) {
      const key = keys[i] ?? '';
      const reason = packed.reasons[i] ?? -1;
      revoked.set(key, {
        serialNumber: key.slice(key.lastIndexOf('#') + 1),
        revocationDate: new Date(packed.dates[i] ?? 0),
        reason: reason < 0 ? undefined : CRL_REASON_NAMES[reason],
        certificateIssuer: packed.issuerTable[packed.issuerIndex[i] ?? 0] ?? '',
      });
    }
    if (pause && end < keys.length) await pause();
  }
  return { ...packed.meta, revoked };
}
