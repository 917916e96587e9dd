// The `sla-sync` command. Every command returns an exit code: 0 done, 2 bad input or usage (with a
// message on stderr and nothing on stdout), 1 an unexpected failure.
import { readFile } from 'node:fs/promises';
import { Command, CommanderError } from 'commander';
import { compute } from './core/compute.ts';
import type { ComputeInput } from './core/types.ts';
import { validateComputeInput } from './core/validate.ts';

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

async function runMigrate(io: Io): Promise<void> {
  const { openDatabase, migrateDatabase } = await import('./store/db.ts');
  const handle = await openDatabase();
  try {
    await migrateDatabase(handle);
    io.stdout(`migrations applied (${handle.kind})\n`);
  } finally {
    await handle.close();
  }
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
