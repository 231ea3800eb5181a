/**
 * The GitHub workflow, read as text (it cannot run here): tests run before any deployment, the
 * deployment signs in with OpenID Connect (id-token: write, azd's federated GitHub provider) and
 * uses no stored secret, and only `main` deploys.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const workflow = readFileSync(new URL('../../.github/workflows/deploy.yml', import.meta.url), 'utf8');
const deployJob = workflow.slice(workflow.indexOf('\n  deploy:'));

describe('.github/workflows/deploy.yml', () => {
  it('runs the README test command, and deploys only after it, only from main', () => {
    expect(workflow).toMatch(/run: bash \.ci\/run/);
    expect(deployJob).toMatch(/needs: test/);
    expect(deployJob).toMatch(/if: github\.ref == 'refs\/heads\/main'/);
  });

  it('signs in with OIDC and stores no secret', () => {
    expect(deployJob).toMatch(/id-token: write/);
    expect(deployJob).toMatch(/--federated-credential-provider github/);
    expect(workflow).not.toMatch(/secrets\./);
    expect(workflow).not.toMatch(/client-secret|AZURE_CREDENTIALS/i);
  });

  it('grants the workflow token read-only contents by default', () => {
    expect(workflow.slice(0, workflow.indexOf('jobs:'))).toMatch(/permissions:\n {2}contents: read/);
  });
});
