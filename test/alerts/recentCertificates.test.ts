/**
 * The watch's record of recently seen client certificates (shared/alerts/watchRecords.ts): capacity and recency
 * order, and `notedRecently`, which lets the decision path skip rebuilding a record that would change nothing (the
 * same leaf with the same user, app and client address within a minute) and never skip one that would.
 */
import { describe, expect, it } from 'vitest';
import { RecentCertificates, RENOTE_AFTER_MS, type SeenCertificate } from '../../shared/alerts/watchRecords.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

function seen(thumbprint: string, atMs: number, subject: SeenCertificate['subject'] = {}): SeenCertificate {
  return {
    thumbprint,
    subjectName: `CN=${thumbprint}`,
    notAfter: '2025-04-01T00:00:00.000Z',
    lastSeen: new Date(atMs).toISOString(),
    subject,
  };
}

describe('RecentCertificates', () => {
  it('keeps at most capacity leaves, the least recently noted dropped first', () => {
    const recent = new RecentCertificates(2);
    recent.note(seen('a', T0));
    recent.note(seen('b', T0));
    recent.note(seen('a', T0 + 1));
    recent.note(seen('c', T0 + 2));
    expect(recent.list().map((c) => c.thumbprint)).toEqual(['a', 'c']);
    expect(recent.size).toBe(2);
  });

  it('a leaf never noted is not noted recently', () => {
    expect(new RecentCertificates(10).notedRecently('a', T0, 'alice', 'app', '10.0.0.1')).toBe(false);
  });

  it('the same leaf, user, app and address within a minute is noted recently; a minute later it is not', () => {
    const recent = new RecentCertificates(10);
    recent.note(seen('a', T0, { user: 'alice', device: 'a', app: 'app', clientIp: '10.0.0.1' }));
    expect(recent.notedRecently('a', T0, 'alice', 'app', '10.0.0.1')).toBe(true);
    expect(recent.notedRecently('a', T0 + RENOTE_AFTER_MS - 1, 'alice', 'app', '10.0.0.1')).toBe(true);
    expect(recent.notedRecently('a', T0 + RENOTE_AFTER_MS, 'alice', 'app', '10.0.0.1')).toBe(false);
    // a clock that went back is not trusted
    expect(recent.notedRecently('a', T0 - 1, 'alice', 'app', '10.0.0.1')).toBe(false);
  });

  it('another user, app or address is noted again at once (the watch reports who it was last seen with)', () => {
    const recent = new RecentCertificates(10);
    recent.note(seen('a', T0, { user: 'alice', device: 'a', app: 'app', clientIp: '10.0.0.1' }));
    expect(recent.notedRecently('a', T0 + 1, 'bob', 'app', '10.0.0.1')).toBe(false);
    expect(recent.notedRecently('a', T0 + 1, 'alice', 'other', '10.0.0.1')).toBe(false);
    expect(recent.notedRecently('a', T0 + 1, 'alice', 'app', '10.0.0.2')).toBe(false);
    expect(recent.notedRecently('a', T0 + 1, undefined, 'app', '10.0.0.1')).toBe(false);
    recent.note(seen('a', T0 + 1, { device: 'a', app: 'app', clientIp: '10.0.0.1' }));
    expect(recent.notedRecently('a', T0 + 2, undefined, 'app', '10.0.0.1')).toBe(true);
  });
});
