/**
 * checkResponse over response shapes and the bypass list: Content-Disposition in every spelling
 * (casing, quoting, extra parameters, folded whitespace, RFC 6266 filename*, several values,
 * unknown types), content types with parameters and casing, extensions on the decoded path and on
 * the file name, sizes (Content-Length, 206 Content-Range totals, chunked and no length), HEAD,
 * range requests, and `?download=1` (the response decides). Codes and rules are asserted, not text.
 */
import { describe, expect, it } from 'vitest';
import { checkResponse, SESSION_ALLOWED, type SessionRule } from '../../shared/session/index.js';
import { controlsOf } from './sessionFixtures.js';

const ATTACHMENT = controlsOf([{ type: 'block-download', message: 'No downloads here.', alert: { severity: 'low' } }]);
const BY_TYPE = controlsOf([
  { type: 'block-download', files: { contentTypes: ['application/pdf', 'application/vnd.ms-excel', 'image/*'] } },
]);
const BY_EXTENSION = controlsOf([{ type: 'block-download', files: { extensions: ['.XLSX', 'pdf', 'tar.gz'] } }]);
const BY_SIZE = controlsOf([{ type: 'block-download', files: { largerThan: { bytes: 1000 } } }]);
const BY_SIZE_LENIENT = controlsOf([
  { type: 'block-download', files: { largerThan: { bytes: 1000, unknownSize: 'not-file' } } },
]);
const EVERYTHING = controlsOf([
  {
    type: 'block-download',
    files: { attachment: true, contentTypes: ['application/pdf'], extensions: ['xlsx'], largerThan: { bytes: 1000 } },
  },
]);

interface Case {
  label: string;
  controls: typeof ATTACHMENT;
  method?: string;
  url?: string;
  requestHeaders?: Record<string, string>;
  status?: number;
  headers: Record<string, string>;
  expected: { action: 'allow' | 'block'; rule?: SessionRule };
}

const blocked = (rule: SessionRule) => ({ action: 'block' as const, rule });
const allowed = { action: 'allow' as const };

const CASES: Case[] = [
  // Content-Disposition spellings
  {
    label: 'attachment',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'attachment' },
    expected: blocked('attachment'),
  },
  {
    label: 'ATTACHMENT upper case',
    controls: ATTACHMENT,
    headers: { 'Content-Disposition': 'ATTACHMENT' },
    expected: blocked('attachment'),
  },
  {
    label: 'attachment with a quoted filename',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'attachment; filename="q3.xlsx"' },
    expected: blocked('attachment'),
  },
  {
    label: 'attachment with an unquoted filename',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'attachment; filename=q3.xlsx' },
    expected: blocked('attachment'),
  },
  {
    label: 'attachment with no space and extra parameters',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'attachment;size=3;filename="a;b.xlsx";creation-date="x"' },
    expected: blocked('attachment'),
  },
  {
    label: 'attachment with filename* (RFC 6266)',
    controls: ATTACHMENT,
    headers: { 'content-disposition': "attachment; filename*=UTF-8''q3%2Exlsx" },
    expected: blocked('attachment'),
  },
  {
    label: 'attachment after leading whitespace',
    controls: ATTACHMENT,
    headers: { 'content-disposition': '   attachment ; filename=x' },
    expected: blocked('attachment'),
  },
  {
    label: 'attachment with folded whitespace (tab)',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'attachment;\tfilename="q3.xlsx"' },
    expected: blocked('attachment'),
  },
  {
    label: 'an unknown disposition type counts as attachment (RFC 6266 4.2)',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'x-download; filename=a' },
    expected: blocked('attachment'),
  },
  {
    label: 'parameters without a type count as attachment',
    controls: ATTACHMENT,
    headers: { 'content-disposition': '; filename=q3.xlsx' },
    expected: blocked('attachment'),
  },
  {
    label: 'inline and attachment joined: attachment wins',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'inline, attachment; filename=q3.xlsx' },
    expected: blocked('attachment'),
  },
  {
    label: 'a first disposition that is not a token still counts',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'file.download' },
    expected: blocked('attachment'),
  },
  {
    label: 'inline is not an attachment',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'inline' },
    expected: allowed,
  },
  {
    label: 'INLINE with a filename is not an attachment',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'INLINE; filename="report.pdf"' },
    expected: allowed,
  },
  {
    label: 'inline with a comma inside an unquoted filename stays inline',
    controls: ATTACHMENT,
    headers: { 'content-disposition': 'inline; filename=a,b.pdf' },
    expected: allowed,
  },
  {
    label: 'no Content-Disposition: a page',
    controls: ATTACHMENT,
    headers: { 'content-type': 'text/html' },
    expected: allowed,
  },
  {
    label: 'an empty Content-Disposition is nothing',
    controls: ATTACHMENT,
    headers: { 'content-disposition': '  ' },
    expected: allowed,
  },
  {
    label: '?download=1 does not make a page a file',
    controls: ATTACHMENT,
    url: '/files?download=1',
    headers: { 'content-type': 'text/html' },
    expected: allowed,
  },
  {
    label: 'a plain URL whose response is an attachment is a file',
    controls: ATTACHMENT,
    url: '/files/view',
    headers: { 'content-disposition': 'attachment' },
    expected: blocked('attachment'),
  },
  {
    label: 'HEAD of an attachment is blocked too',
    controls: ATTACHMENT,
    method: 'HEAD',
    headers: { 'content-disposition': 'attachment' },
    expected: blocked('attachment'),
  },
  {
    label: '206 partial content of an attachment',
    controls: ATTACHMENT,
    status: 206,
    requestHeaders: { range: 'bytes=0-99' },
    headers: { 'content-disposition': 'attachment', 'content-range': 'bytes 0-99/5000' },
    expected: blocked('attachment'),
  },
  {
    label: 'a 500 with an attachment header is still a file',
    controls: ATTACHMENT,
    status: 500,
    headers: { 'content-disposition': 'attachment' },
    expected: blocked('attachment'),
  },
  {
    label: 'attachment rule off: a control listing only types ignores the header',
    controls: BY_TYPE,
    headers: { 'content-disposition': 'attachment', 'content-type': 'text/plain' },
    expected: allowed,
  },

  // content types
  {
    label: 'listed content type',
    controls: BY_TYPE,
    headers: { 'content-type': 'application/pdf' },
    expected: blocked('content-type'),
  },
  {
    label: 'content type casing and parameters',
    controls: BY_TYPE,
    headers: { 'content-type': 'Application/PDF ; charset="binary"' },
    expected: blocked('content-type'),
  },
  {
    label: 'content type with spaces around the slash',
    controls: BY_TYPE,
    headers: { 'content-type': 'application / vnd.ms-excel' },
    expected: blocked('content-type'),
  },
  {
    label: 'type/* covers the top-level type',
    controls: BY_TYPE,
    headers: { 'content-type': 'image/png' },
    expected: blocked('content-type'),
  },
  {
    label: 'two Content-Type values joined: any listed one counts',
    controls: BY_TYPE,
    headers: { 'content-type': 'text/html, application/pdf' },
    expected: blocked('content-type'),
  },
  {
    label: 'a 206 multipart/byteranges hides the type: counts',
    controls: BY_TYPE,
    status: 206,
    headers: { 'content-type': 'multipart/byteranges; boundary=x' },
    expected: blocked('content-type'),
  },
  {
    label: 'a 200 multipart/byteranges is nothing special',
    controls: BY_TYPE,
    headers: { 'content-type': 'multipart/byteranges; boundary=x' },
    expected: allowed,
  },
  {
    label: 'an unlisted type',
    controls: BY_TYPE,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    expected: allowed,
  },
  {
    label: 'a type that only starts like a listed one',
    controls: BY_TYPE,
    headers: { 'content-type': 'application/pdfx' },
    expected: allowed,
  },

  // extensions
  {
    label: 'path extension',
    controls: BY_EXTENSION,
    url: '/files/q3.xlsx',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'path extension in upper case',
    controls: BY_EXTENSION,
    url: '/files/Q3.XLSX',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'path extension with an absolute URL and a query',
    controls: BY_EXTENSION,
    url: 'https://files.contoso.example/files/q3.xlsx?download=1#x',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'encoded dot %2E in the path',
    controls: BY_EXTENSION,
    url: '/files/q3%2Exlsx',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'double-encoded dot %252E in the path',
    controls: BY_EXTENSION,
    url: '/files/q3%252exlsx',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'encoded slash before the name',
    controls: BY_EXTENSION,
    url: '/files%2Fq3.xlsx',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'a trailing dot (Windows drops it)',
    controls: BY_EXTENSION,
    url: '/files/q3.xlsx.',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'a trailing encoded NUL and dot',
    controls: BY_EXTENSION,
    url: '/files/q3.xlsx.%00',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'a matrix parameter after the name',
    controls: BY_EXTENSION,
    url: '/files/q3.xlsx;jsessionid=1',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'multi-part extension',
    controls: BY_EXTENSION,
    url: '/backup.TAR.GZ',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'malformed percent-encoding is read as far as it goes',
    controls: BY_EXTENSION,
    url: '/files/%E0%A4%A/q3%2Epdf',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: 'filename in Content-Disposition (inline)',
    controls: BY_EXTENSION,
    url: '/download',
    headers: { 'content-disposition': 'inline; filename="Q3.xlsx"' },
    expected: blocked('extension'),
  },
  {
    label: 'filename* with an encoded dot',
    controls: BY_EXTENSION,
    url: '/download',
    headers: { 'content-disposition': "inline; filename*=UTF-8''q3%2Exlsx" },
    expected: blocked('extension'),
  },
  {
    label: 'filename* with a language tag',
    controls: BY_EXTENSION,
    url: '/download',
    headers: { 'content-disposition': "inline; FILENAME*=utf-8'en'report.PDF" },
    expected: blocked('extension'),
  },
  {
    label: 'a percent-encoded plain filename',
    controls: BY_EXTENSION,
    url: '/download',
    headers: { 'content-disposition': 'inline; filename="q3%2Exlsx"' },
    expected: blocked('extension'),
  },
  {
    label: 'a filename with a path',
    controls: BY_EXTENSION,
    url: '/download',
    headers: { 'content-disposition': 'inline; filename="..\\\\secret\\\\q3.xlsx"' },
    expected: blocked('extension'),
  },
  {
    label: 'the query is not the path',
    controls: BY_EXTENSION,
    url: '/view?name=q3.xlsx',
    headers: {},
    expected: allowed,
  },
  {
    label: 'an extension in a directory is not the file',
    controls: BY_EXTENSION,
    url: '/q3.xlsx/view',
    headers: {},
    expected: allowed,
  },
  {
    label: 'a name that merely ends with the letters',
    controls: BY_EXTENSION,
    url: '/files/notxlsx',
    headers: {},
    expected: allowed,
  },
  {
    label: 'a 404 for a listed extension is not a file (path rule is for 2xx)',
    controls: BY_EXTENSION,
    url: '/files/q3.xlsx',
    status: 404,
    headers: {},
    expected: allowed,
  },
  {
    label: 'HEAD of a listed extension',
    controls: BY_EXTENSION,
    method: 'HEAD',
    url: '/files/q3.xlsx',
    headers: {},
    expected: blocked('extension'),
  },
  {
    label: '206 of a listed extension',
    controls: BY_EXTENSION,
    status: 206,
    url: '/files/q3.xlsx',
    requestHeaders: { range: 'bytes=100-' },
    headers: { 'content-range': 'bytes 100-199/200' },
    expected: blocked('extension'),
  },

  // sizes
  { label: 'over the size', controls: BY_SIZE, headers: { 'content-length': '1001' }, expected: blocked('size') },
  {
    label: 'exactly the size is not over',
    controls: BY_SIZE,
    headers: { 'content-length': '1000' },
    expected: allowed,
  },
  { label: 'under the size', controls: BY_SIZE, headers: { 'content-length': '10' }, expected: allowed },
  {
    label: 'chunked: size unknown counts as a file by default',
    controls: BY_SIZE,
    headers: { 'transfer-encoding': 'chunked', 'content-length': '10' },
    expected: blocked('size'),
  },
  {
    label: 'no length: size unknown counts as a file by default',
    controls: BY_SIZE,
    headers: {},
    expected: blocked('size'),
  },
  {
    label: 'chunked with unknownSize not-file',
    controls: BY_SIZE_LENIENT,
    headers: { 'transfer-encoding': 'chunked' },
    expected: allowed,
  },
  { label: 'no length with unknownSize not-file', controls: BY_SIZE_LENIENT, headers: {}, expected: allowed },
  {
    label: 'two different lengths: unknown',
    controls: BY_SIZE_LENIENT,
    headers: { 'content-length': '10, 20000' },
    expected: allowed,
  },
  {
    label: 'two different lengths: unknown (default: a file)',
    controls: BY_SIZE,
    headers: { 'content-length': '10, 20000' },
    expected: blocked('size'),
  },
  {
    label: 'a garbled length is unknown',
    controls: BY_SIZE,
    headers: { 'content-length': '1e9' },
    expected: blocked('size'),
  },
  {
    label: '206: the whole size from Content-Range, not the part',
    controls: BY_SIZE,
    status: 206,
    requestHeaders: { range: 'bytes=0-9' },
    headers: { 'content-length': '10', 'content-range': 'bytes 0-9/5000' },
    expected: blocked('size'),
  },
  {
    label: '206 of a small file',
    controls: BY_SIZE,
    status: 206,
    headers: { 'content-length': '10', 'content-range': 'bytes 0-9/500' },
    expected: allowed,
  },
  {
    label: '206 with an unknown total',
    controls: BY_SIZE,
    status: 206,
    headers: { 'content-range': 'bytes 0-9/*' },
    expected: blocked('size'),
  },
  {
    label: 'HEAD reports the GET length',
    controls: BY_SIZE,
    method: 'HEAD',
    headers: { 'content-length': '5000' },
    expected: blocked('size'),
  },
  { label: '204 has no body', controls: BY_SIZE, status: 204, headers: {}, expected: allowed },
  {
    label: 'a redirect is not a file by size',
    controls: BY_SIZE,
    status: 302,
    headers: { location: '/x' },
    expected: allowed,
  },

  // rule order
  {
    label: 'attachment is named before the others',
    controls: EVERYTHING,
    url: '/q3.xlsx',
    headers: { 'content-disposition': 'attachment', 'content-type': 'application/pdf', 'content-length': '5000' },
    expected: blocked('attachment'),
  },
  {
    label: 'content type before extension and size',
    controls: EVERYTHING,
    url: '/q3.xlsx',
    headers: { 'content-type': 'application/pdf', 'content-length': '5000' },
    expected: blocked('content-type'),
  },
  {
    label: 'extension before size',
    controls: EVERYTHING,
    url: '/q3.xlsx',
    headers: { 'content-length': '5000' },
    expected: blocked('extension'),
  },
  {
    label: 'none of them',
    controls: EVERYTHING,
    url: '/index.html',
    headers: { 'content-type': 'text/html', 'content-length': '50' },
    expected: allowed,
  },
];

describe('checkResponse: response shapes and bypass attempts', () => {
  it.each(CASES)('$label', ({ controls, method, url, requestHeaders, status, headers, expected }) => {
    const verdict = checkResponse(
      controls,
      { method: method ?? 'GET', url: url ?? '/files/view', headers: new Headers(requestHeaders ?? {}) },
      { status: status ?? 200, headers: new Headers(headers) },
    );
    expect({ action: verdict.action, rule: verdict.rule }).toEqual({ action: expected.action, rule: expected.rule });
    expect(verdict.code).toBe(expected.action === 'block' ? 'session-download-blocked' : 'session-allowed');
    if (expected.action === 'block') expect(verdict.policyId).toBe('p');
  });

  it('names the message and the alert of the deciding control', () => {
    const verdict = checkResponse(
      ATTACHMENT,
      { method: 'GET', url: '/', headers: new Headers() },
      { status: 200, headers: new Headers({ 'content-disposition': 'attachment' }) },
    );
    expect(verdict).toMatchObject({ message: 'No downloads here.', alert: { severity: 'low' } });
    expect(verdict.alerts.map((finding) => finding.policyId)).toEqual(['p']);
  });

  it('no controls (no session policy applies): the shared allow, nothing allocated', () => {
    const request = { method: 'GET', url: '/', headers: new Headers() };
    const response = { status: 200, headers: new Headers({ 'content-disposition': 'attachment' }) };
    expect(checkResponse(undefined, request, response)).toBe(SESSION_ALLOWED);
    expect(checkResponse({ policies: [], trace: [] }, request, response)).toBe(SESSION_ALLOWED);
  });

  it('upload and monitor controls do not judge responses', () => {
    const controls = controlsOf([{ type: 'block-upload' }, { type: 'monitor' }]);
    const verdict = checkResponse(
      controls,
      { method: 'GET', url: '/q3.xlsx', headers: new Headers() },
      { status: 200, headers: new Headers({ 'content-disposition': 'attachment' }) },
    );
    expect(verdict).toBe(SESSION_ALLOWED);
  });
});
