import { describe, expect, it } from 'vitest';
import { renderBlockPage } from '../../shared/http/blockPage.js';
import { decisionResponse, prefersHtml } from '../../shared/http/responses.js';
import { decideCertificateAccess } from '../../shared/policy/certificateDecision.js';

describe('block page', () => {
  it('explains, gives the correlation id, escapes the custom message, and leaks nothing internal', () => {
    const html = renderBlockPage({
      reasons: ['client-certificate-invalid', 'certificate-expired'],
      correlationId: 'corr-1234',
      customMessage: '<script>alert(1)</script> Call 555',
    });
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<h1>Access blocked</h1>');
    expect(html).toContain('has expired');
    expect(html).toContain('corr-1234');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Call 555');
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/certificate-expired|thumbprint|trace/);
  });

  it('says a CA certificate is not a personal or device certificate (certificate-leaf-is-ca)', () => {
    const html = renderBlockPage({
      reasons: ['client-certificate-invalid', 'certificate-leaf-is-ca'],
      correlationId: 'corr-ca',
    });
    expect(html).toContain('certificate authority');
    expect(html).not.toContain('certificate-leaf-is-ca');
  });

  it.each([
    { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', html: true },
    { accept: 'application/json', html: false },
    { accept: 'application/json, text/html', html: false },
    { accept: null, html: false },
    { accept: '*/*', html: false },
  ])('Accept $accept → html $html', ({ accept, html }) => {
    expect(prefersHtml(accept)).toBe(html);
  });

  it('is served for a blocked browser with the decision status; allowed requests stay JSON', () => {
    const now = new Date('2026-11-22T12:00:00Z');
    const blocked = decideCertificateAccess({
      intake: { kind: 'absent', trusted: true },
      correlationId: 'c-html',
      now,
    });
    const page = decisionResponse(blocked, { html: true });
    expect(page.status).toBe(403);
    expect(page.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'x-correlation-id': 'c-html' });
    expect(page.body).toEqual(expect.stringContaining('did not present a certificate'));
  });
});
