// `sla-sync config apply` / `config export` (issue 3): one YAML or JSON file, validated whole, applied
// in one transaction; secrets as env: references or literals, never printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';
import { getConnectionByName, listPriorityMappings } from '../../src/store/connections-repo.ts';
import { storeBackends } from '../helpers/db.ts';

const CONFIG_YAML = `
policies:
  standard:
    calendar:
      timezone: America/New_York
      week:
        mon: [["09:00", "17:00"]]
        tue: [["09:00", "17:00"]]
        wed: [["09:00", "17:00"]]
        thu: [["09:00", "17:00"]]
        fri: [["09:00", "17:00"]]
      holidays: ["2026-12-25"]
    severities:
      S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: 24x7, objectivePercent: 100 }
      S4: { firstResponseMinutes: 480, resolutionMinutes: 2400, objectivePercent: 90 }
    defaultSeverity: S4
connections:
  github-support:
    source: github
    policy: standard
    syncIntervalMinutes: 10
    config:
      token: env:SUPPORT_GITHUB_TOKEN
      webhookSecret: a-literal-webhook-secret
      repositories: [acme/support]
      severityLabels: { P1: S1, "priority: low": S4 }
      pauseLabels: [waiting-for-customer]
    priorityMappings:
      P2: S1
`;

describe.each(storeBackends())('config apply and export on $name', (backend) => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await backend.open();
  });
  afterAll(() => handle?.close());

  const cli = (args: string[], stdin = '') => runCli(args, { stdin, database: handle });

  it('creates policies, connections and mappings, and says so', async () => {
    process.env.SUPPORT_GITHUB_TOKEN = 'ghp_secret_value_never_printed';
    const applied = await cli(['config', 'apply'], CONFIG_YAML);
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toBe('policy standard: created\nconnection github-support: created (3 priority mappings)\n');
    const connection = await getConnectionByName(handle.db, 'github-support');
    expect(connection).toMatchObject({ source: 'github', syncIntervalMinutes: 10, enabled: true });
    // The store keeps what the admin wrote: the reference, not the resolved token.
    expect(connection!.config['token']).toBe('env:SUPPORT_GITHUB_TOKEN');
    const mappings = await listPriorityMappings(handle.db, connection!.id);
    expect(Object.fromEntries(mappings.map((m) => [m.rawPriority, m.severity]))).toEqual({ P1: 'S1', 'priority: low': 'S4', P2: 'S1' });
  });

  it('exports without ever printing a secret, and the export applies back unchanged', async () => {
    const exported = await cli(['config', 'export']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('token: env:SUPPORT_GITHUB_TOKEN');
    expect(exported.stdout).toContain('webhookSecret: <redacted>');
    expect(exported.stdout).not.toContain('a-literal-webhook-secret');
    expect(exported.stdout).not.toContain('ghp_secret_value_never_printed');
    const json = await cli(['config', 'export', '--format', 'json']);
    expect(JSON.parse(json.stdout).connections['github-support'].priorityMappings).toEqual({ P1: 'S1', 'priority: low': 'S4', P2: 'S1' });

    const reapplied = await cli(['config', 'apply'], exported.stdout);
    expect(reapplied.stdout).toBe('policy standard: unchanged\nconnection github-support: unchanged (3 priority mappings)\n');
    const connection = await getConnectionByName(handle.db, 'github-support');
    expect(connection!.config['webhookSecret']).toBe('a-literal-webhook-secret');
  });

  it('refuses a bad file naming every bad field, and changes nothing', async () => {
    const before = (await cli(['config', 'export', '--format', 'json'])).stdout;
    const bad = CONFIG_YAML.replace('timezone: America/New_York', 'timezone: Mars/Olympus')
      .replace('repositories: [acme/support]', 'repositories: [not a repo]')
      .replace('policy: standard\n    syncIntervalMinutes', 'policy: gold\n    syncIntervalMinutes')
      .replace('pauseLabels:', 'pauseLabelz:');
    const refused = await cli(['config', 'apply'], bad);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    const lines = refused.stderr.trim().split('\n');
    expect(lines).toEqual(expect.arrayContaining([
      'policies.standard.calendar.timezone: "Mars/Olympus" is not an IANA zone',
      'connections.github-support.policy: "gold" is neither in this file nor stored',
      'connections.github-support.config.pauseLabelz: is not a known field',
    ]));
    expect(lines.some((l) => l.startsWith('connections.github-support.config.repositories[0]: "not a repo"'))).toBe(true);
    expect((await cli(['config', 'export', '--format', 'json'])).stdout).toBe(before);
  });

  it('refuses text that is neither JSON nor YAML, unknown sources and top-level fields', async () => {
    expect((await cli(['config', 'apply'], 'policies: [unclosed')).code).toBe(2);
    const unknown = await cli(['config', 'apply'], JSON.stringify({ connections: { j: { source: 'servicenow', policy: 'standard', config: {} } }, extra: 1 }));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('extra: is not a known field');
    const empty = await cli(['config', 'apply'], JSON.stringify({ connections: { j: { source: 'jira', policy: 'standard', config: {} } } }));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('connections.j.config.siteUrl: is required');
    expect(empty.stderr).toContain('connections.j.config.jql: is required');
  });

  it('refuses a sync interval the scheduler cannot keep, before anything is stored', async () => {
    const odd = await cli(['config', 'apply'], JSON.stringify({ connections: { j: { source: 'jira', policy: 'standard', syncIntervalMinutes: 7, config: {} } } }));
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain('connections.j.syncIntervalMinutes: 7 is not a schedulable interval (one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440 minutes)');
  });
});
