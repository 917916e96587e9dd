// The `sla-sync` command. Every command returns an exit code: 0 done, 2 bad input or usage (with a
// message on stderr and nothing on stdout), 1 an unexpected failure.
import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { compute } from './core/compute.ts';
import type { ComputeInput } from './core/types.ts';
import { validateComputeInput } from './core/validate.ts';
import type { DatabaseHandle } from './store/db.ts';

/** An expected failure of the user's input: printed as is, exit code 2. */
export class UsageError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  /** Tests hand in their own store; by default the configured one is opened and closed. */
  database?: () => Promise<DatabaseHandle>;
  env?: NodeJS.ProcessEnv;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

async function readInput(file: string | undefined, io: Io): Promise<{ text: string; name: string }> {
  if (file === undefined || file === '-') return { text: await io.readStdin(), name: 'stdin' };
  try {
    return { text: await readFile(file, 'utf8'), name: file };
  } catch (error) {
    throw new UsageError([`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError([`${name}: is not JSON (${(error as Error).message})`]);
  }
}

/** `sla-sync compute`: one input object or an array of them, to results in the same shape and order. */
export async function runCompute(file: string | undefined, io: Io): Promise<void> {
  const { text, name } = await readInput(file, io);
  const raw = parseJson(text, name);
  const items = Array.isArray(raw) ? raw : [raw];
  const inputs: ComputeInput[] = [];
  const errors: string[] = [];
  items.forEach((item, index) => {
    const result = validateComputeInput(item, Array.isArray(raw) ? `[${index}]` : '');
    if (result.ok) inputs.push(result.value);
    else errors.push(...result.errors);
  });
  if (Array.isArray(raw) && raw.length === 0) errors.push(`${name}: is an empty array`);
  if (errors.length > 0) throw new UsageError(errors);
  const results = inputs.map(compute);
  io.stdout(`${JSON.stringify(Array.isArray(raw) ? results : results[0], null, 2)}\n`);
}

/** Opens the configured database (embedded under ./data, or DATABASE_URL), migrated. */
async function withDatabase<T>(io: Io, fn: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  if (io.database) return fn(await io.database());
  const { openDatabase, migrateDatabase } = await import('./store/db.ts');
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase();
  } catch (error) {
    if ((error as { code?: string }).code === 'invalid_env') throw new UsageError([(error as Error).message]);
    throw error;
  }
  try {
    await migrateDatabase(handle);
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

async function runMigrate(io: Io): Promise<void> {
  await withDatabase(io, async (handle) => io.stdout(`migrations applied (${handle.kind})\n`));
}

async function runConfigApply(file: string | undefined, io: Io): Promise<void> {
  const { applyConfig, parseConfigText, ConfigError } = await import('./sync/config.ts');
  const { text, name } = await readInput(file, io);
  try {
    const raw = parseConfigText(text, name);
    await withDatabase(io, async (handle) => {
      const summary = await applyConfig(handle, raw);
      for (const warning of summary.warnings) io.stderr(`warning: ${warning}\n`);
      for (const p of summary.policies) io.stdout(`policy ${p.name}: ${p.change}\n`);
      for (const c of summary.connections) io.stdout(`connection ${c.name}: ${c.change} (${c.mappings} priority mappings)\n`);
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.errors);
    throw error;
  }
}

async function runConfigExport(format: string, io: Io): Promise<void> {
  if (format !== 'yaml' && format !== 'json') throw new UsageError([`--format: "${format}" is not yaml or json`]);
  const { exportConfig, formatConfig } = await import('./sync/config.ts');
  await withDatabase(io, async (handle) => io.stdout(formatConfig(await exportConfig(handle.db), format)));
}

export function buildProgram(io: Io): Command {
  const program = new Command('sla-sync')
    .description('Service level agreements measured across Jira, Zendesk and GitHub Issues')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();

  program
    .command('compute')
    .description('evaluate SLA metric states: reads one input object or an array of them (JSON) from FILE or stdin, prints the results as JSON')
    .argument('[file]', 'input JSON file ("-" or none for stdin)')
    .action(async (file: string | undefined) => runCompute(file, io));

  const config = program.command('config').description('configuration as data: connections, policies, priority mappings');
  config
    .command('apply')
    .description('create or update everything in a JSON or YAML config file (all or nothing)')
    .argument('[file]', 'config file ("-" or none for stdin)')
    .action(async (file: string | undefined) => runConfigApply(file, io));
  config
    .command('export')
    .description('print the stored configuration (literal secrets redacted)')
    .option('--format <format>', 'yaml or json', 'yaml')
    .action(async (opts: { format: string }) => runConfigExport(opts.format, io));

  program
    .command('migrate')
    .description('apply database migrations (embedded PGlite under ./data, or DATABASE_URL)')
    .action(async () => runMigrate(io));

  return program;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      io.stderr(`${error.lines.join('\n')}\n`);
      return 2;
    }
    io.stderr(`sla-sync: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
