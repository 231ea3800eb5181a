/**
 * The expiry and staleness watch (shared/alerts/expiryWatch.ts), pure, at a fixed `now`: each finding kind, its
 * threshold's boundary (a CA / certificate exactly N days out is not yet reported; N − 1 days is), the severity
 * steps (high within 7 days or past, medium within half the threshold, low before), disabled CAs, CRLs past or
 * before nextUpdate, never loaded, without nextUpdate, or skipped, and responders below / at the failure count.
 */
import { describe, expect, it } from 'vitest';
import { watchExpiry, type WatchInput } from '../../shared/alerts/expiryWatch.js';

const NOW = new Date('2025-03-01T12:00:00.000Z');
const DAY = 86_400_000;
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

const empty: WatchInput = {
  now: NOW,
  cas: [],
  crls: [],
  responders: [],
  certificates: [],
  thresholds: { caDays: 30, certificateDays: 14 },
};

const ca = (notAfter: string, enabled = true) => ({
  thumbprint: 'aa'.repeat(32),
  subject: 'CN=Dev CA',
  notAfter,
  enabled,
});
const certificate = (notAfter: string) => ({
  thumbprint: 'bb'.repeat(32),
  subjectName: 'CN=alice',
  notAfter,
  lastSeen: at(-DAY),
  subject: { user: 'alice@contoso.example' },
});

describe('watchExpiry', () => {
  it('nothing to watch, nothing to say', () => {
    expect(watchExpiry(empty)).toEqual([]);
  });

  it.each([
    { label: 'a CA exactly at the threshold is not reported yet', notAfter: at(30 * DAY), expected: undefined },
    {
      label: 'a CA a day inside the threshold is low',
      notAfter: at(29 * DAY),
      expected: { daysLeft: 29, severity: 'low' },
    },
    {
      label: 'a CA within half the threshold is medium',
      notAfter: at(15 * DAY),
      expected: { daysLeft: 15, severity: 'medium' },
    },
    { label: 'a CA 8 days out is medium', notAfter: at(8 * DAY), expected: { daysLeft: 8, severity: 'medium' } },
    { label: 'a CA 7 days out is high', notAfter: at(7 * DAY), expected: { daysLeft: 7, severity: 'high' } },
    {
      label: 'an expired CA is high, with negative days',
      notAfter: at(-2 * DAY),
      expected: { daysLeft: -2, severity: 'high' },
    },
    { label: 'an unparseable date is not reported', notAfter: 'not a date', expected: undefined },
  ])('$label', ({ notAfter, expected }) => {
    const alerts = watchExpiry({ ...empty, cas: [ca(notAfter)] });
    if (!expected) expect(alerts).toEqual([]);
    else
      expect(alerts).toEqual([
        {
          event: 'certgate.alert.ca-expiring',
          thumbprint: 'aa'.repeat(32),
          subjectName: 'CN=Dev CA',
          notAfter,
          ...expected,
        },
      ]);
  });

  it('a disabled CA is not watched', () => {
    expect(watchExpiry({ ...empty, cas: [ca(at(DAY), false)] })).toEqual([]);
  });

  it.each([
    { label: 'a certificate at its threshold is not reported yet', notAfter: at(14 * DAY), expected: undefined },
    { label: 'a certificate a day inside is low', notAfter: at(13 * DAY), expected: { daysLeft: 13, severity: 'low' } },
    {
      label: '7 days and a moment out is high (7 days wins over half of 14)',
      notAfter: at(7 * DAY + 1),
      expected: { daysLeft: 7, severity: 'high' },
    },
    {
      label: 'a certificate expiring today is high',
      notAfter: at(DAY / 2),
      expected: { daysLeft: 0, severity: 'high' },
    },
  ])('$label', ({ notAfter, expected }) => {
    const alerts = watchExpiry({ ...empty, certificates: [certificate(notAfter)] });
    if (!expected) expect(alerts).toEqual([]);
    else
      expect(alerts).toEqual([
        {
          event: 'certgate.alert.certificate-expiring',
          thumbprint: 'bb'.repeat(32),
          subjectName: 'CN=alice',
          notAfter,
          subject: { user: 'alice@contoso.example' },
          ...expected,
        },
      ]);
  });

  it('the certificate threshold is its own: 20 days out is reported with certificateDays 30, not with 14', () => {
    const seen = [certificate(at(20 * DAY))];
    expect(watchExpiry({ ...empty, certificates: seen })).toEqual([]);
    expect(
      watchExpiry({ ...empty, certificates: seen, thresholds: { caDays: 30, certificateDays: 30 } }),
    ).toMatchObject([{ event: 'certgate.alert.certificate-expiring', daysLeft: 20, severity: 'low' }]);
  });

  it.each([
    {
      label: 'a CRL before its nextUpdate is fresh',
      crl: { nextUpdate: at(60_000), fetchedAt: at(-DAY) },
      expected: undefined,
    },
    {
      label: 'a CRL at its nextUpdate is stale',
      crl: { nextUpdate: at(0), fetchedAt: at(-DAY) },
      expected: { severity: 'medium', detail: '0 minutes past nextUpdate' },
    },
    {
      label: 'a CRL an hour late is medium, with the last fetch error',
      crl: { nextUpdate: at(-3_600_000), fetchedAt: at(-DAY), lastError: 'HTTP 503' },
      expected: { severity: 'medium', detail: '60 minutes past nextUpdate; last fetch: HTTP 503' },
    },
    {
      label: 'a CRL more than a day late is high',
      crl: { nextUpdate: at(-DAY - 60_000), fetchedAt: at(-2 * DAY) },
      expected: { severity: 'high', detail: '1441 minutes past nextUpdate' },
    },
    {
      label: 'a CRL never loaded is high',
      crl: { lastError: 'ECONNREFUSED' },
      expected: { severity: 'high', detail: 'never loaded (ECONNREFUSED)' },
    },
    { label: 'a CRL without nextUpdate never goes stale', crl: { fetchedAt: at(-30 * DAY) }, expected: undefined },
    { label: 'a skipped CRL source is not watched', crl: { skipped: 'ldap' }, expected: undefined },
  ])('$label', ({ crl, expected }) => {
    const url = 'http://pki.contoso.example/issuing.crl';
    const alerts = watchExpiry({ ...empty, crls: [{ url, ...crl }] });
    if (!expected) expect(alerts).toEqual([]);
    else expect(alerts).toEqual([{ event: 'certgate.alert.crl-stale', url, nextUpdate: crl.nextUpdate, ...expected }]);
  });

  it.each([
    { label: 'a responder below the failure count is not failing', failures: 2, threshold: undefined, reported: false },
    { label: 'a responder at the default count (3) is failing', failures: 3, threshold: undefined, reported: true },
    {
      label: 'the count is a setting: 5 failures under 6 are not reported',
      failures: 5,
      threshold: 6,
      reported: false,
    },
    { label: 'a responder recovered (0 in a row) is not failing', failures: 0, threshold: undefined, reported: false },
  ])('$label', ({ failures, threshold, reported }) => {
    const url = 'http://ocsp.contoso.example';
    const alerts = watchExpiry({
      ...empty,
      responders: [{ url, consecutiveFailures: failures, lastError: 'timeout' }],
      thresholds: { ...empty.thresholds, ...(threshold !== undefined ? { responderFailures: threshold } : {}) },
    });
    expect(alerts).toEqual(
      reported ? [{ event: 'certgate.alert.ocsp-failing', url, failures, detail: 'timeout' }] : [],
    );
  });

  it('every kind at once, in a fixed order: CAs, CRLs, responders, certificates', () => {
    const alerts = watchExpiry({
      ...empty,
      cas: [ca(at(DAY))],
      crls: [{ url: 'http://pki/x.crl' }],
      responders: [{ url: 'http://ocsp', consecutiveFailures: 9 }],
      certificates: [certificate(at(DAY))],
    });
    expect(alerts.map((a) => a.event)).toEqual([
      'certgate.alert.ca-expiring',
      'certgate.alert.crl-stale',
      'certgate.alert.ocsp-failing',
      'certgate.alert.certificate-expiring',
    ]);
    expect(alerts[2]).toMatchObject({ detail: 'failed' });
  });
});
