/**
 * Reporting session verdicts: a plain allow reports nothing; a block, a monitor record or a
 * report-only finding is one `certgate.session` log line; alerts go through the AlertSink for
 * enforced controls with an alert flag only (never for report-only), with a recording sink.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/ports.js';
import { checkRequest, checkResponse, reportSessionVerdict, SESSION_ALLOWED } from '../../shared/session/index.js';
import { accessRequest, configurationWith, sessionPolicy } from './sessionFixtures.js';
import { selectSessionControls } from '../../shared/session/index.js';

function recorder() {
  const alerts: Alert[] = [];
  const lines: Record<string, unknown>[] = [];
  return {
    alerts,
    lines,
    context: (phase: 'request' | 'response') => ({
      alerts: { raise: (alert: Alert) => alerts.push(alert) },
      log: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
      correlationId: 'c-1',
      client: { host: 'files.contoso.example', path: '/q3.xlsx' },
      subject: { user: 'erin@contoso.example', app: 'files' },
      phase,
    }),
  };
}

const controls = selectSessionControls(
  configurationWith([
    sessionPolicy('blocks', [{ type: 'block-download', alert: { severity: 'high' } }], { priority: 1 }),
    sessionPolicy('would', [{ type: 'block-download', files: { extensions: ['xlsx'] }, alert: { severity: 'low' } }], {
      priority: 2,
      state: 'report-only',
    }),
    sessionPolicy('watch', [{ type: 'monitor', alert: { severity: 'low' } }], { priority: 3 }),
  ]),
  accessRequest(),
);
const get = { method: 'GET', url: '/q3.xlsx', headers: new Headers() };

describe('reportSessionVerdict', () => {
  it('a plain allow reports nothing', () => {
    const record = recorder();
    reportSessionVerdict(SESSION_ALLOWED, record.context('response'));
    reportSessionVerdict(
      checkResponse(undefined, get, { status: 200, headers: new Headers() }),
      record.context('response'),
    );
    expect(record.lines).toEqual([]);
    expect(record.alerts).toEqual([]);
  });

  it('a blocked download: one line with the report-only finding, one alert for the enforced control', () => {
    const record = recorder();
    const verdict = checkResponse(controls, get, {
      status: 200,
      headers: new Headers({ 'content-disposition': 'attachment' }),
    });
    reportSessionVerdict(verdict, record.context('response'));
    expect(record.lines).toEqual([
      expect.objectContaining({
        event: 'certgate.session',
        phase: 'response',
        action: 'block',
        code: 'session-download-blocked',
        rule: 'attachment',
        policyId: 'blocks',
        reportOnly: [
          { policyId: 'would', control: 'block-download', code: 'session-download-blocked', rule: 'extension' },
        ],
      }),
    ]);
    expect(record.alerts).toEqual([
      expect.objectContaining({
        event: 'certgate.alert.session',
        policyId: 'blocks',
        control: 'block-download',
        rule: 'attachment',
        severity: 'high',
        correlationId: 'c-1',
        subject: { user: 'erin@contoso.example', app: 'files' },
      }),
    ]);
  });

  it('a monitored request: a line and the monitor alert', () => {
    const record = recorder();
    reportSessionVerdict(checkRequest(controls, get), record.context('request'));
    expect(record.lines).toEqual([
      expect.objectContaining({ action: 'allow', monitor: [expect.objectContaining({ policyId: 'watch' })] }),
    ]);
    expect(record.alerts.map((alert) => [alert.event, 'policyId' in alert ? alert.policyId : ''])).toEqual([
      ['certgate.alert.session', 'watch'],
    ]);
  });

  it('a logger that throws does not stop the alerts', () => {
    const record = recorder();
    const verdict = checkResponse(controls, get, {
      status: 200,
      headers: new Headers({ 'content-disposition': 'attachment' }),
    });
    reportSessionVerdict(verdict, {
      ...record.context('response'),
      log: () => {
        throw new Error('log down');
      },
    });
    expect(record.alerts).toHaveLength(1);
  });
});
