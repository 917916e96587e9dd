// The Zendesk sidebar app as an uploadable package (issue 5 item 6): which files go in, the
// manifest stamped with the install's sla-sync URL, and the checks Zendesk's app builder makes.
//
// Zendesk's CLI (`zcli apps:validate`) cannot run here (no network to install it), so the rules are
// those of Zendesk's own validator, zendesk/zendesk_apps_support (lib/zendesk_apps_support/
// validations/manifest.rb, translations.rb, source.rb, secure_settings.rb; app_version.rb), and of
// the manifest reference (https://developer.zendesk.com/apps/docs/apps-v2/manifest), as far as an
// iframe-only Support app uses them. Where Zendesk only warns (a secure setting with a default or
// without scopes), this refuses.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The app's sources: manifest, translations, assets (zendesk-app/ at the repository root). */
export const ZENDESK_APP_DIR = join(ROOT, 'zendesk-app');
/** The countdown the app shares with sla-sync's own pages, copied into the package's assets. */
export const BUNDLED_ASSETS: Record<string, string> = {
  'assets/sla-countdown.js': join(ROOT, 'src', 'web', 'assets', 'sla-countdown.js'),
  'assets/sla-countdown.css': join(ROOT, 'src', 'web', 'assets', 'sla-countdown.css'),
};
/** The parameter holding sla-sync's URL (stamped with the packaging URL as its default). */
export const URL_PARAMETER = 'slaSyncUrl';

/** Zendesk's app logos: assets/logo.png 320x320 and assets/logo-small.png 128x128. */
const LOGOS: Record<string, number> = { 'assets/logo.png': 320, 'assets/logo-small.png': 128 };
const PARAMETER_TYPES = ['text', 'password', 'checkbox', 'url', 'number', 'multiline', 'hidden', 'oauth'];
/** Framework versions a new app may target (AppVersion::VALID_FOR_CREATE). */
const FRAMEWORK_VERSIONS = ['2.0'];
const SUPPORT_LOCATIONS = ['ticket_sidebar', 'new_ticket_sidebar', 'user_sidebar', 'organization_sidebar', 'nav_bar', 'top_bar', 'ticket_editor', 'background', 'modal'];
const VALID_LOCALE = /^[a-z]{2}(-\w{2,3})?$/;

/** Every file of the package, by its path inside the zip ("manifest.json", "assets/iframe.html"). */
export type PackageFiles = Map<string, Buffer>;

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path, base) : [relative(base, path).split(sep).join('/')];
  });
}

/**
 * The package for an sla-sync reached at `baseUrl`: the app folder's files, the bundled countdown,
 * and the manifest with `domainWhitelist` set to that host (secure settings are only sent there) and
 * the URL setting defaulting to it.
 */
export function collectPackage(baseUrl: string, dir = ZENDESK_APP_DIR): PackageFiles {
  const files: PackageFiles = new Map();
  for (const path of listFiles(dir).sort()) files.set(path, readFileSync(join(dir, path)));
  for (const [path, source] of Object.entries(BUNDLED_ASSETS)) {
    if (files.has(path)) throw new Error(`${path} is bundled from ${relative(ROOT, source)}; remove the copy in ${relative(ROOT, dir)}`);
    files.set(path, readFileSync(source));
  }
  const manifestText = files.get('manifest.json');
  if (manifestText) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(manifestText.toString('utf8'));
    } catch {
      return files; // validatePackage names the JSON error
    }
    if (isObject(manifest)) files.set('manifest.json', Buffer.from(`${JSON.stringify(stampManifest(manifest, baseUrl), null, 2)}\n`));
  }
  return files;
}

function stampManifest(manifest: Record<string, unknown>, baseUrl: string): Record<string, unknown> {
  const url = new URL(baseUrl);
  const parameters = Array.isArray(manifest['parameters'])
    ? manifest['parameters'].map((p: unknown) => (isObject(p) && p['name'] === URL_PARAMETER ? { ...p, default: baseUrl.replace(/\/+$/, '') } : p))
    : manifest['parameters'];
  return { ...manifest, domainWhitelist: [url.host], parameters };
}

/** The URL the package is made for: https, or http on loopback for local development. */
export function checkBaseUrl(raw: string | undefined): { ok: true; url: string } | { ok: false; error: string } {
  if (!raw) return { ok: false, error: '--base-url: is required (or SLA_SYNC_BASE_URL): the https URL where Zendesk reaches sla-sync' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, error: `--base-url: "${raw}" is not a URL` };
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return { ok: false, error: `--base-url: "${raw}" must be https (Zendesk's proxy only sends secure settings over TLS)` };
  if (url.search || url.hash || url.username) return { ok: false, error: `--base-url: "${raw}" must be a plain origin and path, without query, fragment or credentials` };
  return { ok: true, url: url.toString().replace(/\/+$/, '') };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function pngSize(data: Buffer): { width: number; height: number } | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length < 24 || !data.subarray(0, 8).equals(signature) || data.subarray(12, 16).toString('latin1') !== 'IHDR') return null;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** Every reason Zendesk would refuse this package (empty: it uploads), each naming its field or file. */
export function validatePackage(files: ReadonlyMap<string, Buffer>): string[] {
  const errors: string[] = [];
  const text = files.get('manifest.json');
  if (!text) {
    const nested = [...files.keys()].find((p) => /^[^/]+\/manifest\.json$/.test(p));
    return [nested ? `manifest.json: not at the root of the package, but ${nested} is` : 'manifest.json: is missing'];
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text.toString('utf8'));
  } catch (error) {
    return [`manifest.json: is not JSON (${(error as Error).message})`];
  }
  if (!isObject(manifest)) return ['manifest.json: is not a JSON object'];
  const m = manifest;
  const at = (field: string) => `manifest.json ${field}`;

  // Required fields and their types.
  for (const field of ['name', 'version', 'defaultLocale', 'frameworkVersion']) {
    if (m[field] === undefined) errors.push(`${at(field)}: is required`);
    else if (typeof m[field] !== 'string' || m[field] === '') errors.push(`${at(field)}: must be a non-empty string, got ${JSON.stringify(m[field])}`);
  }
  if (!isObject(m['author'])) errors.push(`${at('author')}: is required, an object with name, email and url`);
  else {
    for (const key of ['name', 'email', 'url']) if (typeof m['author'][key] !== 'string' || m['author'][key] === '') errors.push(`${at(`author.${key}`)}: must be a non-empty string`);
    if (typeof m['author']['url'] === 'string' && !/^https?:\/\//.test(m['author']['url'])) errors.push(`${at('author.url')}: must be a valid URL, got "${m['author']['url']}"`);
  }
  for (const field of ['private', 'singleInstall', 'signedUrls', 'requirementsOnly', 'marketingOnly']) {
    if (m[field] !== undefined && typeof m[field] !== 'boolean') errors.push(`${at(field)}: must be a boolean value, got ${JSON.stringify(m[field])}`);
  }
  if (typeof m['frameworkVersion'] === 'string' && !FRAMEWORK_VERSIONS.includes(m['frameworkVersion'])) {
    errors.push(`${at('frameworkVersion')}: "${m['frameworkVersion']}" is not a framework version a new app may target (${FRAMEWORK_VERSIONS.join(', ')})`);
  }
  if (m['noTemplate'] !== undefined) errors.push(`${at('noTemplate')}: is deprecated in framework version 2; set autoLoad/autoHide per location`);

  // The default locale and its translation file, with the app's name.
  if (typeof m['defaultLocale'] === 'string') {
    if (!VALID_LOCALE.test(m['defaultLocale'])) errors.push(`${at('defaultLocale')}: "${m['defaultLocale']}" is not a valid locale`);
    else if (!files.has(`translations/${m['defaultLocale']}.json`)) errors.push(`${at('defaultLocale')}: translations/${m['defaultLocale']}.json is missing`);
  }
  for (const [path, data] of files) {
    const match = /^translations\/(.*)\.json$/.exec(path);
    if (!match) continue;
    if (!VALID_LOCALE.test(match[1]!)) errors.push(`${path}: is not a valid locale`);
    let json: unknown;
    try {
      json = JSON.parse(data.toString('utf8'));
    } catch (error) {
      errors.push(`${path}: is not JSON (${(error as Error).message})`);
      continue;
    }
    if (!isObject(json)) errors.push(`${path}: is not a JSON object`);
    else if (path === 'translations/en.json' && (!isObject(json['app']) || typeof json['app']['name'] !== 'string')) errors.push(`${path}: app.name is required`);
  }

  // Locations: Support only, known location names, URLs of assets in the package (or https).
  const location = m['location'];
  if (!isObject(location) || Object.keys(location).length === 0) errors.push(`${at('location')}: is required (e.g. support.ticket_sidebar)`);
  else {
    for (const [host, locations] of Object.entries(location)) {
      if (host !== 'support') {
        errors.push(`${at(`location.${host}`)}: this app is built for Zendesk Support only`);
        continue;
      }
      if (!isObject(locations) || Object.keys(locations).length === 0) {
        errors.push(`${at('location.support')}: must name at least one location`);
        continue;
      }
      for (const [name, options] of Object.entries(locations)) {
        const where = at(`location.support.${name}`);
        if (!SUPPORT_LOCATIONS.includes(name)) errors.push(`${where}: is an invalid location in Support`);
        const url = typeof options === 'string' ? options : isObject(options) ? options['url'] : undefined;
        if (isObject(options) && options['flexible'] !== undefined && typeof options['flexible'] !== 'boolean') errors.push(`${where}.flexible: must be true or false, got ${JSON.stringify(options['flexible'])}`);
        if (typeof url !== 'string' || url === '') errors.push(`${where}: does not specify a URL (framework version 2 apps are iframes)`);
        else if (/^[a-z]+:/i.test(url)) {
          if (!url.startsWith('https://')) errors.push(`${where}: "${url}" does not use HTTPS`);
        } else if (!url.startsWith('assets/') || !files.has(url.split(/[?#]/)[0]!)) errors.push(`${where}: "${url}" refers to a missing asset`);
      }
    }
  }

  // Parameters (settings).
  const parameters = m['parameters'];
  if (parameters !== undefined && !Array.isArray(parameters)) errors.push(`${at('parameters')}: must be an array`);
  const params = Array.isArray(parameters) ? parameters : [];
  const names = new Set<string>();
  params.forEach((p: unknown, i) => {
    const where = at(`parameters[${i}]`);
    if (!isObject(p) || typeof p['name'] !== 'string' || p['name'] === '') {
      errors.push(`${where}: must be an object with a name`);
      return;
    }
    const name = p['name'];
    if (names.has(name)) errors.push(`${where}: duplicate parameter "${name}"`);
    names.add(name);
    if (name === 'name') errors.push(`${where}: can't call a parameter 'name'`);
    const type = p['type'] ?? 'text';
    if (typeof type !== 'string' || !PARAMETER_TYPES.includes(type)) errors.push(`${where}.type: ${JSON.stringify(type)} is an invalid parameter type`);
    for (const flag of ['required', 'secure']) if (p[flag] !== undefined && typeof p[flag] !== 'boolean') errors.push(`${where}.${flag}: must be a boolean value`);
    if (type === 'oauth' && p['secure'] === true) errors.push(`${where}: an oauth parameter cannot be secure`);
    if (type === 'hidden' && p['required'] === true) errors.push(`${where}: is hidden and cannot be required`);
    if (p['secure'] === true && 'default' in p) errors.push(`${where}: a secure parameter must not have a default`);
    if (p['scopes'] !== undefined) {
      if (p['secure'] !== true) errors.push(`${where}.scopes: scopes can only be defined on secure parameters`);
      if (!Array.isArray(p['scopes']) || p['scopes'].length === 0 || !p['scopes'].every((s) => typeof s === 'string')) errors.push(`${where}.scopes: must be a non-empty list`);
    } else if (p['secure'] === true) errors.push(`${where}.scopes: a secure parameter should say where it may be used (e.g. ["header"])`);
    if (/token|key|pwd|password|secret/i.test(name) && (type === 'text' || type === 'password') && p['secure'] !== true) errors.push(`${where}: "${name}" looks like a secret; set secure to true`);
  });

  // Secure settings travel only to the whitelisted domains.
  const whitelist = m['domainWhitelist'];
  if (whitelist !== undefined && !(Array.isArray(whitelist) && whitelist.every((d) => typeof d === 'string' && d !== ''))) errors.push(`${at('domainWhitelist')}: must be an array of domain names`);
  if (params.some((p: unknown) => isObject(p) && p['secure'] === true) && !(Array.isArray(whitelist) && whitelist.length > 0)) {
    errors.push(`${at('domainWhitelist')}: is required with secure parameters (the domains Zendesk's proxy may send them to)`);
  }
  const urlParam = params.find((p: unknown) => isObject(p) && p['name'] === URL_PARAMETER) as Record<string, unknown> | undefined;
  if (!urlParam) errors.push(`${at('parameters')}: the "${URL_PARAMETER}" parameter (sla-sync's URL) is missing`);
  else if (typeof urlParam['default'] === 'string' && Array.isArray(whitelist)) {
    let host = '';
    try {
      host = new URL(urlParam['default']).host;
    } catch {
      errors.push(`${at(`parameters.${URL_PARAMETER}.default`)}: "${urlParam['default']}" is not a URL`);
    }
    if (host && !whitelist.includes(host)) errors.push(`${at('domainWhitelist')}: does not include ${host}, the host of ${URL_PARAMETER}`);
  }

  // An iframe-only app carries no app.js, lib/, templates or app.css (Zendesk: no_code_for_ifo_notemplate).
  for (const path of files.keys()) {
    if (path === 'app.js' || path === 'app.css' || /^lib\/.*\.js$/.test(path) || /^templates\/.*\.hdbs$/.test(path)) errors.push(`${path}: javascripts, stylesheets and templates are not allowed outside assets/ in an iframe app`);
  }

  // Every local script, stylesheet or image an HTML asset loads is in the package (the bundled countdown).
  for (const [path, data] of files) {
    if (!/^assets\/.*\.html$/.test(path)) continue;
    const folder = path.slice(0, path.lastIndexOf('/') + 1);
    for (const match of data.toString('utf8').matchAll(/\s(?:src|href)="([^"]+)"/g)) {
      const ref = match[1]!;
      if (/^[a-z]+:|^\/\/|^#/i.test(ref)) continue;
      if (!files.has(folder + ref.split(/[?#]/)[0]!)) errors.push(`${path}: loads "${ref}", which is not in the package`);
    }
  }

  // The logos Zendesk shows, as PNGs of the published sizes.
  for (const [path, size] of Object.entries(LOGOS)) {
    const data = files.get(path);
    const found = data ? pngSize(data) : null;
    if (!data) errors.push(`${path}: is missing`);
    else if (!found) errors.push(`${path}: is not a PNG`);
    else if (found.width !== size || found.height !== size) errors.push(`${path}: is ${found.width}x${found.height}, must be ${size}x${size}`);
  }
  return errors;
}
