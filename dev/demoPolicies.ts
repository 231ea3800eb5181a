/**
 * The demo access-policy configuration: the field scenarios as policies, for the tests and for the
 * local stack (the lead loads it into the policy store). Corporate network 10.20.0.0/16 and
 * fd00:20::/32; registered apps `contoso-portal` (host portal.contoso.example), `vendor-admin`
 * (host vendors.contoso.example, and portal.contoso.example/admin) and `contoso-files` (host
 * files.contoso.example, behind the gate: its upstream is the sample app); the baseline requires a valid
 * client certificate wherever no policy decides; fixed group ids for vendors and finance. The vendor CA's thumbprint is
 * a parameter:
 * the local stack passes its dev intermediate's SHA-256 thumbprint.
 * May import: the policy model.
 */
import type { AppMatcher, PolicyConfiguration, RegisteredApp } from '../shared/policy/model.js';

/** Entra object id of the demo "Vendors" group. */
export const VENDORS_GROUP_ID = '6f1c2a9e-3b4d-4e8f-9a01-5c7d2e4b8f10';
/** Entra object id of the demo "Finance" group. */
export const FINANCE_GROUP_ID = '2d8e4f60-7a1b-4c3d-8e9f-0a1b2c3d4e5f';
/** The roll-out's test user (scenario 4). */
export const PILOT_USER_UPN = 'pilot.user@contoso.example';
/**
 * A stand-in vendor CA thumbprint (SHA-256 of the text "certgate demo vendor CA"); pass the real one to {@link
 * demoPolicyConfiguration}.
 */
export const DEMO_VENDOR_CA_THUMBPRINT = '720dfe421a83e9eec1d92667f72160219be71fc2229fd0cddaf4c8773a1ed3e0';

/** The demo's host for the portal. */
export const CONTOSO_PORTAL_HOST = 'portal.contoso.example';

/** Entra application (client) ids of the demo apps, as the Graph stand-in's directory registers them. */
export const CONTOSO_PORTAL_APP_ID = 'fe2b3f77-ef40-4f03-b910-a5b109d4b849';
export const VENDOR_ADMIN_APP_ID = 'ca8b8b18-ce90-423f-9545-39dbd7c69840';

/** The demo's host for the vendors' admin console (also reached as portal.contoso.example/admin). */
export const VENDOR_ADMIN_HOST = 'vendors.contoso.example';

/** The demo's host for Contoso Files, the sample app behind the gate (dev/sampleApp). */
export const CONTOSO_FILES_HOST = 'files.contoso.example';

/** Where `npm start` runs Contoso Files (the stack puts the port it really used into the app's upstream). */
export const CONTOSO_FILES_DEFAULT_UPSTREAM = 'http://127.0.0.1:7090';

/**
 * The demo's registered apps: which host (and path) each is reached at, so a request's app comes
 * from the host the gateway saw, and their Entra app ids for the Conditional Access posture report.
 */
export const DEMO_REGISTERED_APPS: readonly RegisteredApp[] = [
  {
    id: 'contoso-portal',
    name: 'Contoso portal',
    hosts: [{ host: CONTOSO_PORTAL_HOST }],
    entraAppId: CONTOSO_PORTAL_APP_ID,
  },
  {
    id: 'vendor-admin',
    name: 'Vendor administration',
    hosts: [{ host: VENDOR_ADMIN_HOST }, { host: CONTOSO_PORTAL_HOST, pathPrefix: '/admin' }],
    entraAppId: VENDOR_ADMIN_APP_ID,
  },
  {
    id: 'contoso-files',
    name: 'Contoso Files',
    description: 'The sample file app behind the gate: gateway, certgate (gate), app.',
    hosts: [{ host: CONTOSO_FILES_HOST }],
    upstream: CONTOSO_FILES_DEFAULT_UPSTREAM,
  },
];

/** How the demo policies name their two apps: by registered app id. */
export const DEMO_APPS = {
  'contoso-portal': [{ appId: 'contoso-portal' }],
  'vendor-admin': [{ appId: 'vendor-admin' }],
  'contoso-files': [{ appId: 'contoso-files' }],
} as const satisfies Record<string, readonly AppMatcher[]>;

const MANAGED_TAGS = ['valid-client-certificate', 'compliant', 'hybrid-joined'] as const;

/** The demo configuration; `vendorCaThumbprint` is the CA vendors' certificates must come from. */
export function demoPolicyConfiguration(vendorCaThumbprint: string = DEMO_VENDOR_CA_THUMBPRINT): PolicyConfiguration {
  return {
    schemaVersion: 1,
    settings: { baseline: 'require-valid-certificate', failMode: 'closed' },
    apps: DEMO_REGISTERED_APPS.map((app) => ({ ...app, hosts: [...app.hosts] })),
    locations: [
      {
        id: 'corporate-network',
        name: 'Corporate network',
        ranges: ['10.20.0.0/16', 'fd00:20::/32'],
        tags: ['corporate'],
      },
    ],
    policies: [
      {
        // Scenario 3: vendors only with a certificate we issued to them, nothing else.
        id: 'vendors-require-issued-certificate',
        name: 'Vendors need the certificate we issued',
        state: 'enabled',
        priority: 10,
        conditions: {
          apps: { include: [...DEMO_APPS['vendor-admin']] },
          users: { include: { groups: [VENDORS_GROUP_ID] } },
          certificate: { issuers: { exclude: [vendorCaThumbprint] } },
        },
        action: 'block',
        blockMessage: 'Vendor access needs the certificate Contoso issued to your company.',
        alert: { severity: 'high' },
      },
      {
        // Scenario 1: outside the corporate network, only devices with a valid client certificate.
        id: 'block-external-without-certificate',
        name: 'Outside the corporate network a client certificate is required',
        state: 'enabled',
        priority: 20,
        conditions: {
          apps: { include: [...DEMO_APPS['contoso-portal']] },
          users: { include: { all: true }, exclude: { groups: [FINANCE_GROUP_ID] } },
          locations: { include: ['any'], exclude: ['tag:corporate'] },
          deviceTags: { notEquals: ['valid-client-certificate'] },
        },
        action: 'block',
        blockMessage: 'Outside the office this app needs a device with a Contoso certificate.',
        alert: { severity: 'medium' },
      },
      {
        // Scenario 2 (access part): desktop and mobile apps only from managed devices ...
        id: 'finance-apps-require-managed-device',
        name: 'Finance: desktop and mobile apps need a managed device',
        state: 'enabled',
        priority: 30,
        conditions: {
          apps: { include: [...DEMO_APPS['contoso-portal']] },
          users: { include: { groups: [FINANCE_GROUP_ID] } },
          clientApps: ['mobile-desktop'],
          deviceTags: { notEquals: [...MANAGED_TAGS] },
        },
        action: 'block',
        blockMessage: 'Use a browser, or a device with a Contoso certificate.',
      },
      {
        // ... and managed devices (Intune-compliant or hybrid-joined) are allowed unfettered, certificate or not.
        id: 'managed-devices-allow',
        name: 'Managed devices are allowed',
        state: 'enabled',
        priority: 35,
        conditions: {
          apps: { include: [...DEMO_APPS['contoso-portal']] },
          deviceTags: { equals: ['compliant', 'hybrid-joined'] },
        },
        action: 'allow',
      },
      {
        // ... while browsers from anywhere are fine: monitored (downloads are session policies).
        id: 'finance-browser-unmanaged-monitor',
        name: 'Finance: browsers on unmanaged devices are monitored',
        state: 'enabled',
        priority: 40,
        conditions: {
          apps: { include: [...DEMO_APPS['contoso-portal']] },
          users: { include: { groups: [FINANCE_GROUP_ID] } },
          clientApps: ['browser'],
          deviceTags: { notEquals: [...MANAGED_TAGS] },
        },
        action: 'monitor',
        alert: { severity: 'low' },
      },
      {
        // Scenario 4: roll-out, enforced for the test user first ...
        id: 'pilot-require-certificate',
        name: 'Pilot: test users need a client certificate everywhere',
        state: 'enabled',
        priority: 50,
        conditions: {
          apps: { include: 'all' },
          users: { include: { users: [PILOT_USER_UPN] } },
          deviceTags: { notEquals: ['valid-client-certificate'] },
        },
        action: 'block',
        blockMessage: 'You are in the certificate pilot: this device has no Contoso certificate.',
      },
      {
        // ... and report-only for everyone.
        id: 'everyone-require-certificate-report-only',
        name: 'Everyone needs a client certificate (report only)',
        state: 'report-only',
        priority: 60,
        conditions: {
          apps: { include: 'all' },
          users: { include: { all: true } },
          deviceTags: { notEquals: ['valid-client-certificate'] },
        },
        action: 'block',
      },
      {
        id: 'legacy-browsers-block',
        name: 'Legacy browsers (disabled)',
        state: 'disabled',
        priority: 70,
        conditions: { userAgents: { include: ['*MSIE *', '*Trident/*'] } },
        action: 'block',
      },
      {
        // Scenario 2 on Contoso Files: anyone may browse it, certificate or not; what they may take away
        // is up to the session policies (downloads only from managed devices, no uploads by vendors).
        id: 'contoso-files-browse-allow',
        name: 'Contoso Files: anyone may browse',
        state: 'enabled',
        priority: 75,
        conditions: { apps: { include: [...DEMO_APPS['contoso-files']] }, users: { include: { all: true } } },
        action: 'allow',
      },
      {
        id: 'corporate-network-allow',
        name: 'Corporate network',
        state: 'enabled',
        priority: 80,
        conditions: { locations: { include: ['tag:corporate'] } },
        action: 'allow',
      },
    ],
    sessionPolicies: [
      {
        // Scenario 2 (session part): on Contoso Files unmanaged devices can browse but not download.
        // A device is managed with a valid Contoso certificate, or Intune-compliant, or hybrid-joined.
        id: 'files-unmanaged-no-downloads',
        name: 'Contoso Files: no downloads on unmanaged devices',
        state: 'enabled',
        priority: 10,
        conditions: {
          apps: { include: [...DEMO_APPS['contoso-files']] },
          deviceTags: { notEquals: [...MANAGED_TAGS] },
        },
        controls: [
          {
            type: 'block-download',
            files: {
              attachment: true,
              contentTypes: ['application/octet-stream', 'application/pdf', 'application/zip'],
              extensions: ['xlsx', 'xls', 'docx', 'pptx', 'pdf', 'csv', 'zip'],
            },
            message:
              'Downloads need a Contoso-managed device (a Contoso certificate, Intune-compliant or hybrid-joined). You can keep browsing.',
          },
        ],
      },
      {
        // Scenario 3 (session part): vendors may read Contoso Files but not upload to it, from any device.
        id: 'files-vendors-no-uploads',
        name: 'Contoso Files: vendors cannot upload',
        state: 'enabled',
        priority: 20,
        conditions: {
          apps: { include: [...DEMO_APPS['contoso-files']] },
          users: { include: { groups: [VENDORS_GROUP_ID] } },
        },
        controls: [
          {
            type: 'block-upload',
            files: { multipartFile: true, methods: ['PUT'] },
            message: 'Vendors cannot upload files to Contoso Files.',
            alert: { severity: 'medium' },
          },
        ],
      },
      {
        // Report-only: what a size limit on Finance downloads would block, before anyone enforces it.
        id: 'files-finance-large-downloads-report-only',
        name: 'Contoso Files: Finance downloads over 50 MB (report only)',
        state: 'report-only',
        priority: 30,
        conditions: {
          apps: { include: [...DEMO_APPS['contoso-files']] },
          users: { include: { groups: [FINANCE_GROUP_ID] } },
        },
        controls: [
          { type: 'block-download', files: { largerThan: { bytes: 50 * 1024 * 1024, unknownSize: 'not-file' } } },
        ],
      },
    ],
  };
}

/** The demo configuration with the stand-in vendor CA thumbprint. */
export const DEMO_POLICY_CONFIGURATION: PolicyConfiguration = demoPolicyConfiguration();
