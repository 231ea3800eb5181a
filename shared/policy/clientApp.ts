/**
 * Browser or mobile/desktop app, from the User-Agent header, for the `clientApps` condition.
 *
 * The rule, in order (case-insensitive):
 *  1. no User-Agent (or only spaces) → `mobile-desktop`;
 *  2. a token of a known non-browser agent anywhere in it → `mobile-desktop`: HTTP libraries and
 *     tools (curl, Wget, python-requests, urllib, aiohttp, Go-http-client, Java, okhttp, axios,
 *     node-fetch, undici, PowerShell, libwww-perl, HTTPie, Postman), Microsoft clients (MSAL,
 *     Microsoft Office / ms-office / Outlook, Teams, OneDrive / SkyDrive sync), Electron apps and
 *     embedded web views (Android `; wv)`);
 *  3. `Mozilla/` followed by a browser engine token (Chrome/, CriOS/, Firefox/, FxiOS/, Safari/,
 *     Edg/, Edge/, EdgA/, EdgiOS/, Trident/) → `browser`;
 *  4. anything else → `mobile-desktop`.
 * An iOS in-app WKWebView has no Safari/ token and so counts as an app, as it should. The header is
 * the client's own claim: this condition sorts honest clients, it does not authenticate them.
 * May import: nothing.
 */

/** The client-app kinds a policy can test. */
export const CLIENT_APP_KINDS = ['browser', 'mobile-desktop'] as const;

/** A client-app kind. */
export type ClientAppKind = (typeof CLIENT_APP_KINDS)[number];

const NON_BROWSER_TOKENS = [
  'curl/',
  'wget/',
  'python-requests',
  'python-urllib',
  'python-httpx',
  'aiohttp',
  'go-http-client',
  'java/',
  'okhttp',
  'axios/',
  'node-fetch',
  'undici',
  'powershell',
  'libwww-perl',
  'httpie',
  'postmanruntime',
  'msal',
  'microsoft office',
  'ms-office',
  'msoffice',
  'microsoft outlook',
  'teams/',
  'microsoftteams',
  'onedrive',
  'skydrive',
  'electron/',
  '; wv)',
] as const;

const BROWSER_ENGINE_TOKENS = [
  'chrome/',
  'crios/',
  'firefox/',
  'fxios/',
  'safari/',
  'edg/',
  'edge/',
  'edga/',
  'edgios/',
  'trident/',
] as const;

/** Classifies a client from its User-Agent (see the module comment for the rule). */
export function classifyClientApp(userAgent?: string): ClientAppKind {
  if (userAgent === undefined) return 'mobile-desktop';
  const agent = userAgent.trim().toLowerCase();
  if (agent === '') return 'mobile-desktop';
  if (NON_BROWSER_TOKENS.some((token) => agent.includes(token))) return 'mobile-desktop';
  if (agent.startsWith('mozilla/') && BROWSER_ENGINE_TOKENS.some((token) => agent.includes(token))) return 'browser';
  return 'mobile-desktop';
}
