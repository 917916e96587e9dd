// The Zendesk sidebar app's package (issue 5 item 6): the manifest's required fields, location and
// settings; the files it names are in the package; every rule of Zendesk's app builder we check
// refuses a broken package; `npm run package:zendesk` writes exactly the expected zip, or refuses.
//
// Zendesk's own check, `zcli apps:validate`, cannot be installed here (no registry access for it,
// and it validates against a Zendesk account); the rules are those of Zendesk's validator gem,
// zendesk_apps_support (see src/web/zendesk-app/package.ts).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_ASSETS, ZENDESK_APP_DIR, checkBaseUrl, collectPackage, validatePackage } from '../../src/web/zendesk-app/package.ts';
import type { PackageFiles } from '../../src/web/zendesk-app/package.ts';
import { readZip } from '../helpers/zip-reader.ts';

const BASE = 'https://sla.example.com';
const EXPECTED_FILES = [
  'manifest.json',
  'translations/en.json',
  'assets/iframe.html',
  'assets/sidebar.js',
  'assets/sidebar.css',
  'assets/sla-countdown.js',
  'assets/sla-countdown.css',
  'assets/logo.png',
  'assets/logo-small.png',
].sort();

const manifestOf = (files: PackageFiles) => JSON.parse(files.get('manifest.json')!.toString('utf8')) as Record<string, unknown>;
/** The package with its manifest (or another file) changed. */
function changed(edit: (manifest: Record<string, unknown>, files: PackageFiles) => void): PackageFiles {
  const files = new Map(collectPackage(BASE));
  const manifest = manifestOf(files);
  edit(manifest, files);
  files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
  return files;
}
type Param = Record<string, unknown>;
const param = (m: Record<string, unknown>, name: string) => (m['parameters'] as Param[]).find((p) => p['name'] === name)!;

describe('the sidebar app package', () => {
  const files = collectPackage(BASE);
  const manifest = manifestOf(files);

  it('passes every check', () => {
    expect(validatePackage(files)).toEqual([]);
    expect([...files.keys()].sort()).toEqual(EXPECTED_FILES);
  });

  it('has the required fields, the ticket sidebar location and the three settings', () => {
    expect(manifest).toMatchObject({
      name: 'sla-sync SLA countdown',
      author: { name: 'sla-sync', email: expect.stringContaining('@'), url: expect.stringMatching(/^https:\/\//) },
      defaultLocale: 'en',
      private: true,
      location: { support: { ticket_sidebar: { url: 'assets/iframe.html', flexible: true } } },
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      frameworkVersion: '2.0',
      // Secure settings go only to these hosts: the one sla-sync the package was made for.
      domainWhitelist: ['sla.example.com'],
    });
    expect(manifest['parameters']).toEqual([
      { name: 'slaSyncUrl', type: 'url', required: true, default: BASE },
      { name: 'connection', type: 'text', required: true },
      { name: 'sidebarSecret', type: 'text', required: true, secure: true, scopes: ['header'] },
    ]);
    const translations = JSON.parse(files.get('translations/en.json')!.toString('utf8')) as { app: { name: string; parameters: Record<string, { label: string }> } };
    expect(translations.app.name).toBe(manifest['name']);
    expect(Object.keys(translations.app.parameters)).toEqual(['slaSyncUrl', 'connection', 'sidebarSecret']);
  });

  it('holds every file the manifest and the iframe name; the countdown is bundled, not copied into the repo', () => {
    const html = files.get('assets/iframe.html')!.toString('utf8');
    for (const local of ['sla-countdown.css', 'sidebar.css', 'sla-countdown.js', 'sidebar.js']) {
      expect(html).toContain(`"${local}"`);
      expect(files.has(`assets/${local}`)).toBe(true);
    }
    // The SDK comes from Zendesk's CDN, before the app's scripts.
    expect(html.indexOf('https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js')).toBeLessThan(html.indexOf('sidebar.js'));
    for (const [path, source] of Object.entries(BUNDLED_ASSETS)) {
      expect(files.get(path)!.equals(readFileSync(source))).toBe(true);
      expect(existsSync(join(ZENDESK_APP_DIR, path))).toBe(false);
    }
  });

  it('asks sla-sync through Zendesk\'s proxy, the secret only as a secure-setting placeholder in a header', () => {
    const js = files.get('assets/sidebar.js')!.toString('utf8');
    expect(js).toContain('secure: true');
    expect(js).toContain("headers: { Authorization: 'Bearer {{setting.sidebarSecret}}'");
    expect(js).toContain("client.get('ticket.id')");
    expect(js.match(/\{\{setting\.(\w+)\}\}/g)).toEqual(['{{setting.sidebarSecret}}']);
    expect(param(manifest, 'sidebarSecret')['secure']).toBe(true);
  });
});

describe('validatePackage refuses what Zendesk would', () => {
  it.each<[string, (m: Record<string, unknown>, files: PackageFiles) => void, string]>([
    ['no author', (m) => delete m['author'], 'manifest.json author: is required, an object with name, email and url'],
    ['an author URL that is none', (m) => ((m['author'] as Param)['url'] = 'sla-sync'), 'manifest.json author.url: must be a valid URL, got "sla-sync"'],
    ['no defaultLocale', (m) => delete m['defaultLocale'], 'manifest.json defaultLocale: is required'],
    ['a locale without its translations', (m) => (m['defaultLocale'] = 'de'), 'manifest.json defaultLocale: translations/de.json is missing'],
    ['no location', (m) => delete m['location'], 'manifest.json location: is required (e.g. support.ticket_sidebar)'],
    ['an unknown location', (m) => (m['location'] = { support: { ticket_sidebarr: { url: 'assets/iframe.html' } } }), 'manifest.json location.support.ticket_sidebarr: is an invalid location in Support'],
    ['a location on a missing asset', (m) => (m['location'] = { support: { ticket_sidebar: { url: 'assets/index.html' } } }), 'manifest.json location.support.ticket_sidebar: "assets/index.html" refers to a missing asset'],
    ['a location over plain http', (m) => (m['location'] = { support: { ticket_sidebar: { url: 'http://sla.example.com/app' } } }), 'manifest.json location.support.ticket_sidebar: "http://sla.example.com/app" does not use HTTPS'],
    ['flexible as a string', (m) => (m['location'] = { support: { ticket_sidebar: { url: 'assets/iframe.html', flexible: 'yes' } } }), 'manifest.json location.support.ticket_sidebar.flexible: must be true or false, got "yes"'],
    ['framework version 1', (m) => (m['frameworkVersion'] = '1.0'), 'manifest.json frameworkVersion: "1.0" is not a framework version a new app may target (2.0)'],
    ['no version', (m) => delete m['version'], 'manifest.json version: is required'],
    ['private as a string', (m) => (m['private'] = 'true'), 'manifest.json private: must be a boolean value, got "true"'],
    ['a parameter called name', (m) => (m['parameters'] as Param[]).push({ name: 'name', type: 'text' }), "manifest.json parameters[3]: can't call a parameter 'name'"],
    ['a duplicate parameter', (m) => (m['parameters'] as Param[]).push({ name: 'connection', type: 'text' }), 'manifest.json parameters[3]: duplicate parameter "connection"'],
    ['an unknown parameter type', (m) => ((m['parameters'] as Param[])[1]!['type'] = 'string'), 'manifest.json parameters[1].type: "string" is an invalid parameter type'],
    ['a secure setting with a default', (m) => (param(m, 'sidebarSecret')['default'] = 'changeme'), 'manifest.json parameters[2]: a secure parameter must not have a default'],
    ['the secret not secure', (m) => (param(m, 'sidebarSecret')['secure'] = false), 'manifest.json parameters[2].scopes: scopes can only be defined on secure parameters'],
    ['a secret-looking setting not secure', (m) => (m['parameters'] as Param[]).push({ name: 'apiToken', type: 'text' }), 'manifest.json parameters[3]: "apiToken" looks like a secret; set secure to true'],
    ['empty scopes', (m) => (param(m, 'sidebarSecret')['scopes'] = []), 'manifest.json parameters[2].scopes: must be a non-empty list'],
    ['secure settings with no domain whitelist', (m) => delete m['domainWhitelist'], "manifest.json domainWhitelist: is required with secure parameters (the domains Zendesk's proxy may send them to)"],
    ['a whitelist without sla-sync\'s host', (m) => (m['domainWhitelist'] = ['evil.example.net']), 'manifest.json domainWhitelist: does not include sla.example.com, the host of slaSyncUrl'],
    ['no URL setting', (m) => (m['parameters'] = (m['parameters'] as Param[]).filter((p) => p['name'] !== 'slaSyncUrl')), 'manifest.json parameters: the "slaSyncUrl" parameter (sla-sync\'s URL) is missing'],
    ['code outside assets/', (_m, f) => f.set('app.js', Buffer.from('init();')), 'app.js: javascripts, stylesheets and templates are not allowed outside assets/ in an iframe app'],
    ['the bundled countdown left out', (_m, f) => f.delete('assets/sla-countdown.js'), 'assets/iframe.html: loads "sla-countdown.js", which is not in the package'],
    ['a logo of the wrong size', (_m, f) => f.set('assets/logo.png', f.get('assets/logo-small.png')!), 'assets/logo.png: is 128x128, must be 320x320'],
    ['a logo that is no PNG', (_m, f) => f.set('assets/logo-small.png', Buffer.from('<svg/>')), 'assets/logo-small.png: is not a PNG'],
    ['translations without the app name', (_m, f) => f.set('translations/en.json', Buffer.from('{"app": {}}')), 'translations/en.json: app.name is required'],
    ['a translation file with a bad locale', (_m, f) => f.set('translations/english.json', Buffer.from('{}')), 'translations/english.json: is not a valid locale'],
  ])('%s', (_name, edit, error) => {
    expect(validatePackage(changed(edit))).toContain(error);
  });

  it('names a manifest that is not JSON, or not at the root', () => {
    const files = new Map(collectPackage(BASE));
    files.set('manifest.json', Buffer.from('{"name": '));
    expect(validatePackage(files)[0]).toMatch(/^manifest\.json: is not JSON/);
    files.delete('manifest.json');
    files.set('zendesk-app/manifest.json', Buffer.from('{}'));
    expect(validatePackage(files)).toEqual(['manifest.json: not at the root of the package, but zendesk-app/manifest.json is']);
  });
});

describe('checkBaseUrl', () => {
  it.each([
    ['https://sla.example.com/', { ok: true, url: 'https://sla.example.com' }],
    ['https://example.com/sla-sync', { ok: true, url: 'https://example.com/sla-sync' }],
    ['http://127.0.0.1:3000', { ok: true, url: 'http://127.0.0.1:3000' }],
    ['http://sla.example.com', { ok: false, error: '--base-url: "http://sla.example.com" must be https (Zendesk\'s proxy only sends secure settings over TLS)' }],
    ['sla.example.com', { ok: false, error: '--base-url: "sla.example.com" is not a URL' }],
    ['https://sla.example.com/?x=1', { ok: false, error: '--base-url: "https://sla.example.com/?x=1" must be a plain origin and path, without query, fragment or credentials' }],
    [undefined, { ok: false, error: '--base-url: is required (or SLA_SYNC_BASE_URL): the https URL where Zendesk reaches sla-sync' }],
  ])('%s', (raw, expected) => {
    expect(checkBaseUrl(raw)).toEqual(expected);
  });
});

describe('npm run package:zendesk', () => {
  const work = mkdtempSync(join(tmpdir(), 'zendesk-package-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const run = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/package-zendesk.ts', ...args], { env: { ...process.env, SLA_SYNC_BASE_URL: '', ...env } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('writes a zip of exactly the package\'s files, the same bytes on every run', async () => {
    const out = join(work, 'app.zip');
    const first = await run(['--base-url', BASE, '--out', out]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`${out}: 9 files for ${BASE}`);
    const zip = readFileSync(out);
    const entries = readZip(zip);
    expect(entries.map((e) => e.path).sort()).toEqual(EXPECTED_FILES);
    const expected = collectPackage(BASE);
    for (const entry of entries) {
      expect(entry.data.equals(expected.get(entry.path)!), entry.path).toBe(true);
      expect(entry.mode).toBe(0o100644);
    }
    expect(validatePackage(new Map(entries.map((e) => [e.path, e.data])))).toEqual([]);
    // Reproducible: a second build from the same sources is byte for byte the same.
    expect((await run(['--base-url', BASE, '--out', join(work, 'again.zip')])).code).toBe(0);
    expect(readFileSync(join(work, 'again.zip')).equals(zip)).toBe(true);
  }, 60_000);

  it('takes the URL from SLA_SYNC_BASE_URL too', async () => {
    const out = join(work, 'env.zip');
    expect((await run(['--out', out], { SLA_SYNC_BASE_URL: 'https://sla.acme.example/' })).code).toBe(0);
    const manifest = JSON.parse(readZip(readFileSync(out)).find((e) => e.path === 'manifest.json')!.data.toString('utf8')) as Record<string, unknown>;
    expect(manifest['domainWhitelist']).toEqual(['sla.acme.example']);
    expect(param(manifest, 'slaSyncUrl')['default']).toBe('https://sla.acme.example');
  }, 60_000);

  it('refuses an invalid manifest with exit code 2, naming each problem, and writes nothing', async () => {
    const dir = join(work, 'broken-app');
    cpSync(ZENDESK_APP_DIR, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    delete manifest['author'];
    manifest['frameworkVersion'] = '1.0';
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const out = join(work, 'broken.zip');
    const result = await run(['--base-url', BASE, '--out', out, '--app-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('manifest.json author: is required, an object with name, email and url');
    expect(result.stderr).toContain('manifest.json frameworkVersion: "1.0" is not a framework version a new app may target (2.0)');
    expect(result.stderr).toContain('package:zendesk: refused; no zip written');
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('refuses without a usable URL, and a second copy of the countdown in the app folder', async () => {
    expect(await run(['--out', join(work, 'none.zip')])).toMatchObject({ code: 2, stdout: '' });
    const http = await run(['--base-url', 'http://sla.example.com', '--out', join(work, 'http.zip')]);
    expect(http.code).toBe(2);
    expect(http.stderr).toContain('must be https');
    const dir = join(work, 'copied-countdown');
    cpSync(ZENDESK_APP_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'assets', 'sla-countdown.js'), '/* a stale copy */');
    const copied = await run(['--base-url', BASE, '--out', join(work, 'copied.zip'), '--app-dir', dir]);
    expect(copied.code).toBe(2);
    expect(copied.stderr).toContain('assets/sla-countdown.js is bundled from src/web/assets/sla-countdown.js; remove the copy in');
    for (const refused of ['none.zip', 'http.zip', 'copied.zip']) expect(existsSync(join(work, refused))).toBe(false);
  }, 60_000);
});
