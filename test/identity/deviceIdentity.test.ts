/**
 * Device id from a certificate (subject CN or SAN URI, GUIDs only, sources in order) and the
 * device tags an Entra device earns.
 */
import { describe, expect, it } from 'vitest';
import { deviceIdOf, deviceTagsOf, type DeviceIdSource } from '../../shared/identity/index.js';

const ID = '5b2f8c1e-7d4a-4e3b-9c6f-1a2b3c4d5e6f';
const OTHER = 'c0ffee00-1234-4abc-8def-0123456789ab';
const both: DeviceIdSource[] = [{ kind: 'subject-cn' }, { kind: 'san-uri', prefix: 'AzureADDeviceId://' }];
const sanFirst: DeviceIdSource[] = [{ kind: 'san-uri', prefix: 'AzureADDeviceId://' }, { kind: 'subject-cn' }];

describe('deviceIdOf', () => {
  it.each([
    [
      'subject CN',
      { subject: `CN=${ID}, O=Contoso`, subjectAltNames: [] },
      both,
      { deviceId: ID, source: 'subject-cn' },
    ],
    [
      'upper-case GUID in the CN',
      { subject: `CN=${ID.toUpperCase()}, O=Contoso`, subjectAltNames: [] },
      both,
      { deviceId: ID, source: 'subject-cn' },
    ],
    [
      'SAN URI',
      { subject: 'CN=alice, O=Contoso', subjectAltNames: [`uri:AzureADDeviceId://${ID}`] },
      both,
      { deviceId: ID, source: 'san-uri:AzureADDeviceId://' },
    ],
    [
      'sources in order',
      { subject: `CN=${OTHER}`, subjectAltNames: [`uri:azureaddeviceid://${ID}`] },
      sanFirst,
      { deviceId: ID, source: 'san-uri:AzureADDeviceId://' },
    ],
    [
      'a user name in the CN is no device',
      { subject: 'CN=alice@contoso.example, O=Contoso', subjectAltNames: [] },
      both,
      undefined,
    ],
    [
      'another URI scheme does not count',
      { subject: 'CN=x', subjectAltNames: [`uri:IntuneDeviceId://${ID}`] },
      both,
      undefined,
    ],
    [
      'not a GUID after the prefix',
      { subject: 'CN=x', subjectAltNames: ['uri:AzureADDeviceId://laptop-7'] },
      both,
      undefined,
    ],
    ['no sources configured', { subject: `CN=${ID}`, subjectAltNames: [] }, [], undefined],
    ['unparseable subject', { subject: 'garbage without equals', subjectAltNames: [] }, both, undefined],
  ] as const)('%s', (_name, certificate, sources, expected) => {
    expect(deviceIdOf(certificate, sources)).toEqual(expected);
  });
});

describe('deviceTagsOf', () => {
  it.each([
    [{ accountEnabled: true, isCompliant: true, trustType: 'ServerAd' }, ['compliant', 'hybrid-joined']],
    [{ accountEnabled: true, isCompliant: true, trustType: 'AzureAd' }, ['compliant']],
    [{ accountEnabled: true, isCompliant: false, trustType: 'ServerAd' }, ['hybrid-joined']],
    [{ accountEnabled: true, isCompliant: null, trustType: 'Workplace' }, []],
    [{ accountEnabled: false, isCompliant: true, trustType: 'ServerAd' }, []],
  ] as const)('%o earns %o', (device, tags) => {
    expect(deviceTagsOf(device).tags).toEqual(tags);
  });
});
