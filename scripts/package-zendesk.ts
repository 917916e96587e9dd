// `npm run package:zendesk -- --base-url https://sla.example.com [--out FILE] [--app-dir DIR]`
//
// Builds the Zendesk sidebar app's zip (issue 5 item 6) for upload as a private app: zendesk-app/
// (manifest, translations, assets) plus the countdown bundled from src/web/assets, the manifest
// stamped with the sla-sync URL it is for. Checks the package as Zendesk's app builder would and
// refuses (exit code 2, every problem on stderr, no zip written) when it would not upload.
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import yazl from 'yazl';
import { checkBaseUrl, collectPackage, validatePackage, ZENDESK_APP_DIR } from '../src/web/zendesk-app/package.ts';

/** One fixed timestamp for every entry: the same sources make the same zip. */
const ENTRY_TIME = new Date('2025-01-01T00:00:00Z');

function fail(errors: readonly string[]): never {
  for (const error of errors) process.stderr.write(`${error}\n`);
  process.stderr.write('package:zendesk: refused; no zip written\n');
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { 'base-url'?: string; out?: string; 'app-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { 'base-url': { type: 'string' }, out: { type: 'string' }, 'app-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
    }));
  } catch (error) {
    fail([(error as Error).message]);
  }
  if (values.help) {
    process.stdout.write('usage: npm run package:zendesk -- --base-url https://sla.example.com [--out dist/zendesk-app.zip] [--app-dir zendesk-app]\n');
    return;
  }
  const base = checkBaseUrl(values['base-url'] ?? process.env['SLA_SYNC_BASE_URL']);
  if (!base.ok) fail([base.error]);
  const out = resolve(values.out ?? 'dist/zendesk-app.zip');
  let files;
  try {
    files = collectPackage(base.url, values['app-dir'] ? resolve(values['app-dir']) : ZENDESK_APP_DIR);
  } catch (error) {
    fail([(error as Error).message]);
  }
  const errors = validatePackage(files);
  if (errors.length > 0) fail(errors);

  mkdirSync(dirname(out), { recursive: true });
  const zip = new yazl.ZipFile();
  for (const [path, data] of files) zip.addBuffer(data, path, { mtime: ENTRY_TIME, mode: 0o100644 });
  zip.end();
  try {
    await pipeline(zip.outputStream, createWriteStream(out));
  } catch (error) {
    rmSync(out, { force: true });
    throw error;
  }
  process.stdout.write(`${out}: ${files.size} files for ${base.url}\n${[...files.keys()].map((p) => `  ${p}\n`).join('')}`);
}

await main();
