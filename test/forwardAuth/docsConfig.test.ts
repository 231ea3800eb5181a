/**
 * docs/gateways.md shows the forward-auth configuration the tests run: the nginx block is exactly
 * what dev/nginx/forwardAuthNginx.ts generates (with the docs' placeholder paths and addresses),
 * and every proxy certgate speaks has its section naming its route and the headers its dialect reads.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nginxForwardAuthConfig } from '../../dev/nginx/forwardAuthNginx.js';
import { FORWARD_AUTH_DIALECTS } from '../../shared/forwardAuth/dialects/index.js';

const docs = readFileSync(new URL('../../docs/gateways.md', import.meta.url), 'utf8');

/** The placeholders the docs' nginx configuration is generated with. */
const DOCS_OPTIONS = {
  port: 8444,
  certgateUrl: 'http://127.0.0.1:7071',
  appUrl: 'http://127.0.0.1:8080',
  secret: '<secret>',
  secretHeader: 'X-Certgate-Gateway-Secret',
  serverCertPath: '/etc/nginx/tls/server.pem',
  serverKeyPath: '/etc/nginx/tls/server.key',
  dir: '/var/lib/certgate-nginx',
};

describe('docs/gateways.md forward auth', () => {
  it('shows the nginx configuration the real nginx test runs', () => {
    const marker = docs.indexOf('<!-- forward-auth nginx configuration: generated');
    expect(marker).toBeGreaterThan(0);
    const block = /```nginx\n([\s\S]*?)```/.exec(docs.slice(marker))?.[1];
    expect(block).toBe(nginxForwardAuthConfig(DOCS_OPTIONS));
  });

  it.each(FORWARD_AUTH_DIALECTS.map((dialect) => ({ name: dialect.name, dialect })))(
    'has a section for $name naming its route and headers',
    ({ name, dialect }) => {
      const heading = new RegExp(`^### .*\\(\`/api/forward-auth/${name}\`\\)$`, 'm').exec(docs);
      expect(heading, name).not.toBeNull();
      const section = docs.slice(heading!.index, docs.indexOf('\n### ', heading!.index + 1));
      for (const header of dialect.factHeaders) expect(section.toLowerCase(), header).toContain(header);
    },
  );
});
