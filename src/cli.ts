// The `sla-sync` command. Every command returns an exit code: 0 done, 2 bad input or usage (with a
// message on stderr and nothing on stdout), 1 an unexpected failure.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
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
  isTTY?: boolean;
  /** Tests end `worker` and `serve` with this instead of a signal. */
  untilStopped?: () => Promise<void>;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
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

const REPORT_OPTIONS: Record<string, string> = { from: '--from', to: '--to', groupBy: '--group-by', metric: '--metric' };

/** `sla-sync report`: the compliance report the API serves (same numbers), as text, CSV or JSON. */
async function runReport(opts: { from?: string; to?: string; groupBy?: string; metric?: string; format: string }, io: Io): Promise<void> {
  const { parseReportQuery, complianceReport, complianceCsv, complianceText } = await import('./sync/report.ts');
  const errors: string[] = [];
  if (!['table', 'csv', 'json'].includes(opts.format)) errors.push(`--format: "${opts.format}" is not table, csv or json`);
  const raw = Object.fromEntries(Object.entries({ from: opts.from, to: opts.to, groupBy: opts.groupBy, metric: opts.metric }).filter(([, v]) => v !== undefined));
  const query = parseReportQuery(raw);
  // Name the options as they are typed: `--group-by: ...` rather than the API's `groupBy: ...`.
  if (!query.ok) errors.push(...query.errors.map((e) => e.replace(/^(\w+):/, (all, field: string) => `${REPORT_OPTIONS[field] ?? field}:`)));
  if (errors.length > 0 || !query.ok) throw new UsageError(errors);
  await withDatabase(io, async (handle) => {
    const report = await complianceReport(handle.db, query.value);
    if (opts.format === 'json') io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    else if (opts.format === 'csv') io.stdout(complianceCsv(report));
    else io.stdout(`${complianceText(report).join('\n')}\n`);
  });
}

/**
 * `sla-sync user add`: a user with a role, a password read from stdin and/or a new API token. The
 * token is printed once, alone on stdout (`TOKEN=$(sla-sync user add ... --token)`); only its hash
 * is stored.
 */
async function runUserAdd(email: string, opts: { role: string; passwordStdin?: boolean; token?: boolean }, io: Io): Promise<void> {
  const { z } = await import('zod');
  const { ROLES } = await import('./store/schema/users.ts');
  const errors: string[] = [];
  const address = email.trim().toLowerCase();
  if (!z.email().safeParse(address).success) errors.push(`email: "${email}" is not an e-mail address`);
  const role = ROLES.find((r) => r === opts.role);
  if (!role) errors.push(`--role: "${opts.role}" is not one of ${ROLES.join(', ')}`);
  if (!opts.passwordStdin && !opts.token) errors.push('give --password-stdin (a password to sign in with), --token (an API token), or both');
  let password: string | null = null;
  if (opts.passwordStdin) {
    password = (await io.readStdin()).replace(/\r?\n$/, '');
    if ([...password].length < 12) errors.push('password (stdin): is shorter than 12 characters');
    else if (password.length > 1024) errors.push('password (stdin): is longer than 1024 characters');
  }
  if (errors.length > 0 || !role) throw new UsageError(errors);
  const { hashPassword } = await import('./web/auth/passwords.ts');
  const { newSecret, secretDigest, API_TOKEN_PREFIX } = await import('./web/auth/tokens.ts');
  const { createUser } = await import('./store/users-repo.ts');
  const { createApiToken } = await import('./store/api-tokens-repo.ts');
  const { withTransaction } = await import('./store/db.ts');
  const passwordHash = password === null ? null : await hashPassword(password);
  await withDatabase(io, async (handle) => {
    const token = await withTransaction(handle, async (tx) => {
      const user = await createUser(tx, { email: address, role, passwordHash });
      if (!user) throw new UsageError([`email: a user "${address}" already exists`]);
      if (!opts.token) return null;
      const secret = newSecret(API_TOKEN_PREFIX);
      await createApiToken(tx, { userId: user.id, tokenHash: secretDigest(secret), prefix: secret.slice(0, API_TOKEN_PREFIX.length + 6) });
      return secret;
    });
    if (token === null) {
      io.stdout(`user ${address} added as ${role}\n`);
      return;
    }
    io.stderr(`user ${address} added as ${role}; its API token follows, shown this once only\n`);
    io.stdout(`${token}\n`);
  });
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
      const summary = await applyConfig(handle, raw, Date.now, { actor: { name: 'cli' } });
      for (const warning of summary.warnings) io.stderr(`warning: ${warning}\n`);
      for (const p of summary.policies) io.stdout(`policy ${p.name}: ${p.change}\n`);
      for (const c of summary.connections) io.stdout(`connection ${c.name}: ${c.change} (${c.mappings} priority mappings)\n`);
      if (summary.customers !== 'absent') io.stdout(`customers: ${summary.customers}\n`);
      if (summary.rules !== 'absent') io.stdout(`rules: ${summary.rules}\n`);
      const r = summary.reevaluated;
      if (r.checked > 0) io.stdout(`re-evaluated ${r.checked} cases: ${r.reassigned} changed agreement, ${r.changed} changed SLA state (writebacks pending)\n`);
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

async function runExplain(connection: string, key: string, opts: { format: string; now?: string }, io: Io): Promise<void> {
  if (opts.format !== 'text' && opts.format !== 'json') throw new UsageError([`--format: "${opts.format}" is not text or json`]);
  const nowMs = opts.now === undefined ? Date.now() : Date.parse(opts.now);
  if (Number.isNaN(nowMs)) throw new UsageError([`--now: "${opts.now}" is not an ISO 8601 instant`]);
  const { explainStoredCase, CaseNotFoundError } = await import('./sync/explain.ts');
  const { renderExplanation } = await import('./core/explain.ts');
  const { ConnectorError } = await import('./connectors/types.ts');
  await withDatabase(io, async (handle) => {
    let explanation;
    try {
      explanation = await explainStoredCase(handle.db, connection, key, nowMs);
    } catch (error) {
      if (error instanceof CaseNotFoundError || error instanceof ConnectorError) throw new UsageError([error.message]);
      throw error;
    }
    if (opts.format === 'json') {
      io.stdout(`${JSON.stringify(explanation, null, 2)}\n`);
      return;
    }
    const c = explanation.case;
    const lines = [
      `${c.externalKey}  ${c.title}`,
      `${c.url}`,
      `customer: ${explanation.customer ?? '(none)'}; policy: ${explanation.policy} (${explanation.rule === null ? "the connection's default" : `rule "${explanation.rule}"`})`,
      `calendars: ${Object.entries(explanation.calendars).map(([s, label]) => `${s} ${label}`).join(', ')}`,
      '',
      ...renderExplanation(explanation, explanation.now),
    ];
    io.stdout(`${lines.join('\n')}\n`);
  });
}

/** One line of progress, rewritten in place on a terminal. */
function progressLine(p: { connection: string; cases: number; pages: number; elapsedMs: number }): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.cases * 1000) / p.elapsedMs) : 0;
  return `${p.connection}: ${p.cases} cases, ${p.pages} pages, ${rate} cases/s`;
}

async function runSyncCommand(opts: { connection?: string; full?: boolean }, io: Io): Promise<void> {
  const { listConnections } = await import('./store/connections-repo.ts');
  const { loadConnectionRuntime, findConnection } = await import('./sync/connection.ts');
  const { runSync } = await import('./sync/run-sync.ts');
  const { recordSyncRun } = await import('./sync/sync-runs.ts');
  const { queueFor } = await import('./sync/queue.ts');
  const { enqueueAfterStore } = await import('./sync/jobs.ts');
  const { ConnectorError } = await import('./connectors/types.ts');
  await withDatabase(io, async (handle) => {
    const targets = opts.connection ? [await findConnection(handle.db, opts.connection).catch((e: unknown) => {
      throw e instanceof ConnectorError ? new UsageError([`--connection: ${e.message}`]) : e;
    })] : (await listConnections(handle.db)).filter((c) => c.enabled);
    if (targets.length === 0) throw new UsageError(['no enabled connection to sync: add one with `sla-sync config apply FILE`']);
    const queue = queueFor(handle, { maintenance: false, instanceName: 'sync-cli' });
    await queue.start();
    const tty = io.isTTY ?? false;
    try {
      for (const connection of targets) {
        const result = (await recordSyncRun(handle.db, { connectionId: connection.id, ...(opts.full ? { full: true } : {}), trigger: 'cli' }, async () =>
          runSync(handle, await loadConnectionRuntime(handle.db, connection, { ...(io.env ? { env: io.env } : {}) }), {
            ...(opts.full ? { full: true } : {}),
            onPage: async (page, progress) => {
              await enqueueAfterStore(queue, page);
              if (tty) io.stderr(`\r\x1b[2K${progressLine(progress)}`);
            },
          }),
        ))!;
        if (tty) io.stderr('\r\x1b[2K');
        const seconds = (result.elapsedMs / 1000).toFixed(1);
        io.stdout(`${progressLine(result)}; ${result.changed} changed SLA state; ${seconds} s; writebacks queued for a worker\n`);
      }
    } finally {
      await queue.stop({ timeoutMs: 5000 });
    }
  });
}

/** Runs until SIGINT/SIGTERM, then stops workers before closing the database. */
async function untilSignal(io: Io): Promise<void> {
  if (io.untilStopped) return io.untilStopped();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function runWorker(opts: { concurrency: string }, io: Io): Promise<void> {
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError([`--concurrency: "${opts.concurrency}" is not a whole number from 1 to 64`]);
  const { queueFor } = await import('./sync/queue.ts');
  const { startWorkers, reconcile } = await import('./sync/jobs.ts');
  await withDatabase(io, async (handle) => {
    const queue = queueFor(handle, { instanceName: 'worker', onError: (e) => io.stderr(`queue: ${e.message}\n`) });
    await queue.start();
    try {
      await startWorkers({ handle, queue, concurrency: { writeback: concurrency, refresh: concurrency, 'breach-timer': concurrency }, log: (m, f) => io.stderr(`${m} ${JSON.stringify(f ?? {})}\n`) });
      const { pending, scheduled } = await reconcile(handle, queue);
      io.stdout(`worker started on ${handle.kind}: ${scheduled} scheduled syncs, ${pending} pending writebacks re-queued\n`);
      await untilSignal(io);
    } finally {
      await queue.stop();
    }
  });
}

async function runServe(opts: { port: string; host: string; worker?: boolean; baseUrl?: string }, io: Io): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError([`--port: "${opts.port}" is not a port number`]);
  const baseUrl = opts.baseUrl ?? io.env?.['SLA_SYNC_BASE_URL'];
  if (baseUrl !== undefined && !/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(baseUrl)) throw new UsageError([`--base-url: "${baseUrl}" is not an http(s) URL`]);
  const { queueFor } = await import('./sync/queue.ts');
  const { startWorkers, reconcile, refreshEnqueuer } = await import('./sync/jobs.ts');
  const { createApp } = await import('./web/app.ts');
  await withDatabase(io, async (handle) => {
    const queue = queueFor(handle, { instanceName: 'serve', onError: (e) => io.stderr(`queue: ${e.message}\n`) });
    await queue.start();
    // PGlite is one process's database: the web server's process must also work the jobs.
    const withWorker = opts.worker ?? handle.kind === 'pglite';
    try {
      if (withWorker) {
        await startWorkers({ handle, queue, log: (m, f) => io.stderr(`${m} ${JSON.stringify(f ?? {})}\n`) });
        await reconcile(handle, queue);
      }
      const app = createApp({
        handle,
        queue,
        baseUrl: baseUrl ?? `http://${opts.host}:${port}`,
        ...(io.env ? { env: io.env } : {}),
        // A delivery recorded and its refresh queued in one transaction (see routes/webhooks.ts).
        enqueueRefreshes: refreshEnqueuer(queue),
      });
      const server = await new Promise<Server>((resolve, reject) => {
        const s = app.listen(port, opts.host, () => resolve(s));
        s.once('error', reject);
      });
      const address = server.address();
      const shown = typeof address === 'object' && address ? `http://${opts.host}:${address.port}` : String(address);
      io.stdout(`sla-sync listening on ${shown} (${handle.kind}${withWorker ? ', with a worker' : ''})\n`);
      const { hasUsers } = await import('./store/users-repo.ts');
      if (!(await hasUsers(handle.db))) io.stdout(`No users yet: create the first admin at ${(baseUrl ?? shown).replace(/\/+$/, '')}/setup\n`);
      await untilSignal(io);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    } finally {
      await queue.stop();
    }
  });
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
    .command('sync')
    .description('pull changes from the sources (incremental from the stored cursor), evaluate SLAs, queue writebacks')
    .option('--connection <name>', 'only this connection')
    .option('--full', 'ignore the cursor and fetch everything')
    .action(async (opts: { connection?: string; full?: boolean }) => runSyncCommand(opts, io));

  program
    .command('worker')
    .description('run jobs (syncs, webhook refreshes, writebacks, breach timers); run as many as you like on one Postgres')
    .option('--concurrency <n>', 'jobs of each kind at once in this process', '4')
    .action(async (opts: { concurrency: string }) => runWorker(opts, io));

  program
    .command('serve')
    .description('run the web server (webhooks); on the embedded database also a worker in the same process')
    .option('--port <port>', 'port to listen on', process.env['PORT'] ?? '3000')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--base-url <url>', 'the public URL users and vendors reach this app at (default: SLA_SYNC_BASE_URL, else http://host:port)')
    .option('--worker', 'also work jobs in this process (default: only on the embedded database)')
    .option('--no-worker', 'never work jobs in this process')
    .action(async (opts: { port: string; host: string; worker?: boolean }) => runServe(opts, io));

  program
    .command('explain')
    .description('why a case has the SLA it has: its customer, policy and rule, and what each event did to each clock')
    .argument('<connection>', 'connection name')
    .argument('<key>', 'the case\'s key (SUP-42, owner/repo#12, #4711) or external id')
    .option('--format <format>', 'text or json', 'text')
    .option('--now <instant>', 'evaluate at this instant instead of now')
    .action(async (connection: string, key: string, opts: { format: string; now?: string }) => runExplain(connection, key, opts, io));

  program
    .command('report')
    .description('compliance per severity against its objective for a period: the numbers of GET /api/reports/compliance')
    .option('--from <date>', 'start of the period, included (YYYY-MM-DD is midnight UTC, or an ISO instant with offset)')
    .option('--to <date>', 'end of the period, excluded')
    .option('--group-by <group>', 'severity, source, connection or customer', 'severity')
    .option('--metric <metric>', 'firstResponse or resolution (default: both)')
    .option('--format <format>', 'table, csv or json', 'table')
    .action(async (opts: { from?: string; to?: string; groupBy?: string; metric?: string; format: string }) => runReport(opts, io));

  const user = program.command('user').description('users who sign in to the web app or call its API');
  user
    .command('add')
    .description('add a user with a role (admin, manager, agent): a password from stdin, a new API token, or both')
    .argument('<email>', 'the user\'s e-mail address')
    .requiredOption('--role <role>', 'admin, manager or agent')
    .option('--password-stdin', 'read the password from stdin (at least 12 characters)')
    .option('--token', 'create an API token and print it once on stdout')
    .action(async (email: string, opts: { role: string; passwordStdin?: boolean; token?: boolean }) => runUserAdd(email, opts, io));

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
