import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const examplePath = fileURLToPath(new URL('../fixtures/compute-example.json', import.meta.url));
const example = readFileSync(examplePath, 'utf8');

const cli = (args: string[], stdin = '') => runCli(args, { stdin });

describe('sla-sync compute', () => {
  it('prints the documented output for the documented input', async () => {
    const { code, stdout, stderr } = await cli(['compute', examplePath]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.metrics.resolution).toMatchObject({ state: 'running', dueAt: '2026-12-28T17:50:00Z', elapsedSeconds: 4200 });
  });

  it('reads an array from stdin and answers in the same order', async () => {
    const one = JSON.parse(example);
    const solved = structuredClone(one);
    solved.case.events.push({ at: '2026-12-28T14:40:00Z', type: 'status', status: 'solved' });
    const { code, stdout } = await cli(['compute'], JSON.stringify([one, solved]));
    expect(code).toBe(0);
    const results = JSON.parse(stdout);
    expect(results.map((r: { metrics: { resolution: { state: string } } }) => r.metrics.resolution.state)).toEqual(['running', 'met']);
  });

  it('exits 2 naming every bad field, with nothing on stdout', async () => {
    const bad = JSON.parse(example);
    bad.policy.calendar.week.mon[0][0] = '9am';
    const { code, stdout, stderr } = await cli(['compute', '-'], JSON.stringify([JSON.parse(example), bad]));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('[1].policy.calendar.week.mon[0][0]: "9am" is not HH:MM\n');
  });

  it('exits 2 on text that is not JSON and on a missing file', async () => {
    expect(await cli(['compute'], '{"now":')).toMatchObject({ code: 2, stdout: '' });
    const missing = await cli(['compute', '/nonexistent/input.json']);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('/nonexistent/input.json: cannot be read (ENOENT)');
  });

  it('exits 2 on an unknown command', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('works as the installed bin, with its real exit codes', () => {
    const bin = fileURLToPath(new URL('../../bin/sla-sync.js', import.meta.url));
    const ok = spawnSync(process.execPath, [bin, 'compute'], { input: example, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).severity).toBe('S2');
    const bad = spawnSync(process.execPath, [bin, 'compute'], { input: example.replace('America/New_York', 'Mars/Olympus'), encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe('policy.calendar.timezone: "Mars/Olympus" is not an IANA zone\n');
    const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('compute');
  });
});
