/** Browser vs mobile/desktop app from the User-Agent. */
import { describe, expect, it } from 'vitest';
import { classifyClientApp } from '../../shared/policy/clientApp.js';

const cases: readonly (readonly [string, string | undefined, 'browser' | 'mobile-desktop'])[] = [
  ['no header', undefined, 'mobile-desktop'],
  ['empty header', '  ', 'mobile-desktop'],
  [
    'Chrome on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    'browser',
  ],
  [
    'Edge',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.68',
    'browser',
  ],
  ['Firefox', 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0', 'browser'],
  [
    'Safari on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    'browser',
  ],
  [
    'Chrome on Android',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
    'browser',
  ],
  ['IE 11', 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko', 'browser'],
  ['curl', 'curl/8.5.0', 'mobile-desktop'],
  ['python-requests', 'python-requests/2.32.3', 'mobile-desktop'],
  ['Outlook desktop', 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)', 'mobile-desktop'],
  ['Office web view', 'Mozilla/4.0 (compatible; ms-office; MSOffice 16)', 'mobile-desktop'],
  [
    'Teams (Electron)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Teams/1.7.00.13456 Chrome/114.0.5735.289 Electron/25.8.4 Safari/537.36',
    'mobile-desktop',
  ],
  ['OneDrive sync', 'Microsoft SkyDriveSync 24.101.0519.0010 ship; Windows NT 10.0 (19045)', 'mobile-desktop'],
  ['MSAL', 'Mozilla/5.0 MSAL.Desktop/4.61.3', 'mobile-desktop'],
  [
    'Android web view',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.0.0 Mobile Safari/537.36',
    'mobile-desktop',
  ],
  [
    'iOS in-app web view',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
    'mobile-desktop',
  ],
  ['Go client', 'Go-http-client/2.0', 'mobile-desktop'],
  ['bare engine token without Mozilla', 'Chrome/126.0', 'mobile-desktop'],
];

describe('classifyClientApp', () => {
  it.each(cases)('%s', (_label, userAgent, expected) => {
    expect(classifyClientApp(userAgent)).toBe(expected);
  });
});
