// The job queue: a small typed layer over pg-boss, in the store's own database.
//
// - pg-boss 12.38.0, pinned exactly. It declares Node >= 22.12 but runs on this project's Node 20
//   (the integration tests in test/integration/queue*.test.ts are the proof: send, work, retries,
//   dead letters, dedup, and two worker processes on one Postgres). Re-run them before moving the pin.
// - Embedded store: pg-boss runs on the store's own PGlite instance through the adapter pg-boss
//   ships (`fromPglite`, backend 'pglite'), in its own schema; LISTEN/NOTIFY works in-process.
//   Postgres store: pg-boss opens its own small `pg` pool on the same URL (its tested path), with
//   LISTEN/NOTIFY so a worker wakes when a job is sent instead of at its next poll.
// - Kinds, payloads (zod, checked on send and on receive), dedup keys and retry defaults:
//   queue-jobs.ts. A payload that fails its schema on receive is dead-lettered at once.
// - Retries: pg-boss's retryLimit / retryDelay / retryBackoff per queue, overridable per job. A
//   handler that throws an error carrying `retryAfterMs` (RetryJobLaterError, or a ConnectorError
//   from a 429) has its job failed as one attempt and its next try set to exactly that far ahead
//   (pg-boss has no per-failure delay, so the wrapper moves the retry's startAfter itself; retry
//   delays are kept at 1 s or more so that nobody fetches the retry in between). A
//   RetryJobLaterError with countsAsAttempt false (the job could not start yet; nothing failed) is
//   put back instead: done, and a copy queued for then. PermanentJobError dead-letters at once.
//   Everything else is retried with backoff.
// - Sending inside a store transaction: pass it (`send(..., { tx })`); the job is then queued if
//   and only if the transaction commits. On PGlite this is required, not just tidy: PGlite runs one
//   statement at a time, so a send beside an open transaction waits for it forever.
// - Dead letters: every queue's deadLetter is `dead-letter`, which nobody works; jobs wait there
//   for 30 days with their source queue and last error: listDeadLetters(), redriveDeadLetters().
// - Scheduled sync: pg-boss schedules (a cron row per connection, key = connection id), not
//   self-rescheduling jobs. The schedule lives in the database, survives restarts and deploys, is
//   sent once per tick however many workers run, and cannot die with a dead-lettered job or fork
//   into two chains. Intervals that divide an hour or a day; connections are spread over the
//   interval by id so they do not all sync on the same minute.
// - Scale-out: any number of processes may start a JobQueue on one Postgres; pg-boss claims each
//   job with SKIP LOCKED, so a job runs on one worker (again only if it outlives expireInSeconds).
import type { PGlite } from '@electric-sql/pglite';
import type { DatabaseHandle } from '../store/db.ts';
import { sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { PgBoss, fromDrizzle, fromPglite } from 'pg-boss';
import type { ConstructorOptions, Db as BossDb, JobInsert, JobResult, SendOptions as BossSendOptions } from 'pg-boss';
import type { Db } from '../store/db.ts';
import {
  DEAD_LETTER_QUEUE,
  DEAD_LETTER_RETENTION_SECONDS,
  JOB_NAMES,
  PermanentJobError,
  RetryJobLaterError,
  jobPayloadSchemas,
  jobSpecs,
  retryAfterOf,
} from './queue-jobs.ts';
import type { JobName, JobPayload, JobPayloadInput, RetryPolicy } from './queue-jobs.ts';

export * from './queue-jobs.ts';

/** Which database the queue lives in: the store's own (see src/store/db.ts). */
export type QueueDatabase =
  | { kind: 'pglite'; pglite: PGlite }
  | { kind: 'postgres'; url: string; /** pg-boss's pool size (default 10) */ maxConnections?: number };

export interface CreateQueueOptions {
  database: QueueDatabase;
  /** Postgres schema pg-boss keeps its tables in (default 'pgboss'). */
  schema?: string;
  /** How often an idle worker polls when no NOTIFY woke it, seconds, >= 0.5 (default 2). */
  pollingIntervalSeconds?: number;
  /** Retry settings per queue, over the defaults in queue-jobs.ts (tests shorten them). */
  retry?: Partial<Record<JobName, Partial<RetryPolicy>>>;
  /** Run pg-boss maintenance and the cron monitor in this instance (default true). */
  maintenance?: boolean;
  /** Shown in pg-boss's instance registry, e.g. 'worker' or 'serve'. */
  instanceName?: string;
  onError?: (error: Error) => void;
  onWarning?: (warning: { message: string; data: object }) => void;
}

export interface SendOptions {
  /** Not run before this instant (breach timers: a metric's dueAt or at-risk instant). */
  startAfter?: Date;
  /** Replaces the kind's dedup key; null sends without one. */
  singletonKey?: string | null;
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  retryDelayMax?: number;
  priority?: number;
  /**
   * A store transaction to queue the job in: it is queued if and only if the transaction commits.
   * On PGlite, a send inside a transaction must pass it: PGlite runs one statement at a time and
   * holds the transaction's lock, so a send beside it would wait for it forever.
   */
  tx?: Db;
}

export interface JobContext {
  id: string;
  name: JobName;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Aborted when the worker stops or the job's claim is lost. */
  signal: AbortSignal;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, job: JobContext) => Promise<void>;

/** Per job of the batch, in order: null when done, { error } when it failed. */
export type BatchHandler<N extends JobName> = (batch: { payload: JobPayload<N>; job: JobContext }[]) => Promise<({ error: unknown } | null)[]>;

export interface WorkOptions {
  /** Fetches of this kind run at once in this process (default 1). */
  concurrency?: number;
  /** Jobs taken per fetch (default 1); with work(), the jobs of one fetch run at once. */
  batchSize?: number;
}

export interface DeadLetter {
  /** Id in the dead-letter queue (for redriveDeadLetters). */
  id: string;
  /** The queue the job failed on. */
  name: string;
  payload: unknown;
  error: string;
  errorCode: string | null;
  /** Attempts made, the first included. */
  attempts: number;
  /** When it was dead-lettered. */
  failedAt: Date;
}

export interface SyncSchedule {
  connectionId: number;
  cron: string;
  full: boolean;
}

/** The error as stored on the job (pg-boss keeps it as the job's output). */
interface StoredError {
  name: string;
  message: string;
  code?: string;
  retryAfterMs?: number;
  stack?: string;
}

export function createQueue(options: CreateQueueOptions): JobQueue {
  return new JobQueue(options);
}

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #options: CreateQueueOptions;
  #started = false;

  constructor(options: CreateQueueOptions) {
    this.#options = options;
    const common: ConstructorOptions = {
      schema: options.schema ?? 'pgboss',
      useListenNotify: true,
      supervise: options.maintenance ?? true,
      schedule: options.maintenance ?? true,
      ...(options.instanceName === undefined ? {} : { instanceName: options.instanceName }),
    };
    const { database } = options;
    this.#boss =
      database.kind === 'pglite'
        ? new PgBoss({ ...common, db: fromPglite(database.pglite), backend: 'pglite' })
        : new PgBoss({
            ...common,
            connectionString: database.url,
            max: database.maxConnections ?? 10,
            application_name: 'sla-sync',
          });
    // pg-boss emits 'error' for failures in its own loops; unhandled, an EventEmitter would throw.
    this.#boss.on('error', options.onError ?? ((error) => console.error(`job queue: ${error.message}`)));
    if (options.onWarning) this.#boss.on('warning', options.onWarning);
  }

  /** Installs or migrates pg-boss's schema and creates or updates the queues; idempotent. */
  async start(): Promise<void> {
    if (this.#started) return;
    await this.#boss.start();
    await this.#boss.createQueue(DEAD_LETTER_QUEUE, { retentionSeconds: DEAD_LETTER_RETENTION_SECONDS });
    for (const name of JOB_NAMES) {
      const spec = jobSpecs[name];
      const settings = {
        // retryDelay at least 1 s: the Retry-After path (#settleFailure) relies on it.
        ...this.retryPolicy(name),
        expireInSeconds: spec.expireInSeconds,
        deadLetter: DEAD_LETTER_QUEUE,
        notify: true,
      };
      await this.#boss.createQueue(name, { ...settings, policy: spec.policy });
      // createQueue leaves an existing queue as it is: bring its settings up to date.
      await this.#boss.updateQueue(name, settings);
      const existing = await this.#boss.getQueue(name);
      if (existing?.policy !== spec.policy) {
        throw new Error(`job queue ${name} has policy ${existing?.policy}, expected ${spec.policy}`);
      }
    }
    this.#started = true;
  }

  /** The retry settings of a queue: the kind's defaults with this queue's overrides. */
  retryPolicy(name: JobName): RetryPolicy {
    const retry = { ...jobSpecs[name].retry, ...this.#options.retry?.[name] };
    return { ...retry, retryDelay: Math.max(1, retry.retryDelay) };
  }

  /** Stops fetching, waits up to timeoutMs for running jobs, then closes pg-boss's pool (not PGlite). */
  async stop({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    await this.#boss.stop({ graceful: true, timeout: timeoutMs });
    this.#started = false;
  }

  /** Queues a job; null when an equal one (same dedup key) is already pending. */
  async send<N extends JobName>(name: N, payload: JobPayloadInput<N>, options: SendOptions = {}): Promise<string | null> {
    const { data, jobOptions } = this.#prepare(name, payload, options);
    return this.#boss.send(name, data, jobOptions);
  }

  /** Queues many jobs in one statement; returns how many were queued (dedup skips the others). */
  async sendMany<N extends JobName>(name: N, payloads: JobPayloadInput<N>[], options: SendOptions = {}): Promise<number> {
    if (payloads.length === 0) return 0;
    const { tx, ...perJob } = options;
    const jobs: JobInsert[] = payloads.map((payload) => {
      const { data, jobOptions } = this.#prepare(name, payload, perJob);
      return { ...jobOptions, data };
    });
    const ids = await this.#boss.insert(name, jobs, {
      returnId: true,
      ...(tx === undefined ? {} : { db: inTransaction(tx) }),
    });
    return ids?.length ?? 0;
  }

  /** Queues jobs that each have their own send options, in one statement; returns how many were queued. */
  async sendEach<N extends JobName>(name: N, items: { payload: JobPayloadInput<N>; options?: Omit<SendOptions, 'tx'> }[], { tx }: { tx?: Db } = {}): Promise<number> {
    if (items.length === 0) return 0;
    const jobs: JobInsert[] = items.map(({ payload, options }) => {
      const { data, jobOptions } = this.#prepare(name, payload, options ?? {});
      return { ...jobOptions, data };
    });
    const ids = await this.#boss.insert(name, jobs, { returnId: true, ...(tx === undefined ? {} : { db: inTransaction(tx) }) });
    return ids?.length ?? 0;
  }

  /** Runs handler for each job of this kind; resolves once the worker is registered. */
  async work<N extends JobName>(name: N, handler: JobHandler<N>, options: WorkOptions = {}): Promise<string> {
    return this.workBatch(
      name,
      // The jobs of one fetch run at once; each settles on its own.
      (batch) => Promise.all(batch.map(({ payload, job }) => handler(payload, job).then(() => null, (error: unknown) => ({ error })))),
      options,
    );
  }

  /**
   * Runs handler on up to `batchSize` jobs of this kind at a time (one fetch, one settle for all):
   * a handler that can share work between jobs (one transaction for many refreshes) does it once.
   * It answers per job, in order: null when done, { error } when failed (retried as work() would).
   */
  async workBatch<N extends JobName>(name: N, handler: BatchHandler<N>, options: WorkOptions = {}): Promise<string> {
    const schema = jobPayloadSchemas[name];
    return this.#boss.work<unknown>(
      name,
      {
        localConcurrency: options.concurrency ?? 1,
        batchSize: options.batchSize ?? 1,
        perJobResults: true,
        pollingIntervalSeconds: this.#options.pollingIntervalSeconds ?? 2,
        // NOTIFY announces a job when it is sent, not when its startAfter or retry delay comes due:
        // polling stays as frequent as without it, or a breach timer would fire up to 30 s late.
        notifyPollingIntervalSeconds: this.#options.pollingIntervalSeconds ?? 2,
      },
      async (jobs) => {
        const results: JobResult[] = [];
        const valid: { payload: JobPayload<N>; job: JobContext }[] = [];
        const validJobs: (typeof jobs)[number][] = [];
        for (const job of jobs) {
          const parsed = schema.safeParse(job.data);
          if (!parsed.success) {
            // A payload no handler can read is a bug; retrying would only repeat it.
            const output: StoredError = {
              name: 'InvalidPayload',
              message: `invalid ${name} payload: ${parsed.error.message}`,
              code: 'invalid_payload',
            };
            results.push({ id: job.id, status: 'deadletter', output });
            continue;
          }
          valid.push({ payload: parsed.data as JobPayload<N>, job: { id: job.id, name, retryCount: job.retryCount, signal: job.signal } });
          validJobs.push(job);
        }
        if (valid.length > 0) {
          let outcomes: ({ error: unknown } | null)[];
          try {
            outcomes = await handler(valid);
          } catch (error) {
            outcomes = valid.map(() => ({ error }));
          }
          for (const [i, job] of validJobs.entries()) {
            const outcome = outcomes[i];
            results.push(outcome ? await this.#settleFailure(name, job, outcome.error, valid[i]!.payload) : { id: job.id, status: 'completed' });
          }
        }
        this.#wakeWorkers(name);
        return results;
      },
    );
  }

  /** Jobs that ran out of retries or failed permanently, oldest first. */
  async listDeadLetters({ limit = 1000, after }: { limit?: number; after?: string } = {}): Promise<DeadLetter[]> {
    const jobs = await this.#boss.findJobs<unknown>(DEAD_LETTER_QUEUE, {
      queued: true,
      limit,
      ...(after === undefined ? {} : { after }),
    });
    return jobs.map((job) => {
      const error = (job.sourceOutput ?? {}) as Partial<StoredError>;
      return {
        id: job.id,
        name: job.sourceName ?? 'unknown',
        payload: job.data,
        error: typeof error.message === 'string' ? error.message : JSON.stringify(job.sourceOutput),
        errorCode: typeof error.code === 'string' ? error.code : null,
        attempts: (job.sourceRetryCount ?? 0) + 1,
        failedAt: new Date(job.createdOn),
      };
    });
  }

  /** Sends dead letters (all, or these ids) back to their queues with a fresh retry budget. */
  async redriveDeadLetters(ids?: string[]): Promise<number> {
    return this.#boss.redrive(DEAD_LETTER_QUEUE, ids === undefined ? {} : { ids });
  }

  /** Syncs a connection every intervalMinutes (replacing its schedule, if any). */
  async scheduleSync(connectionId: number, intervalMinutes: number, { full = false } = {}): Promise<string> {
    const cron = syncCron(connectionId, intervalMinutes);
    const { data, jobOptions } = this.#prepare('sync', full ? { connectionId, full } : { connectionId }, {});
    await this.#boss.schedule('sync', cron, data, { ...jobOptions, key: String(connectionId), tz: 'UTC' });
    return cron;
  }

  async unscheduleSync(connectionId: number): Promise<void> {
    await this.#boss.unschedule('sync', String(connectionId));
  }

  async listSyncSchedules(): Promise<SyncSchedule[]> {
    const schedules = await this.#boss.getSchedules('sync');
    return schedules.flatMap((schedule) => {
      const parsed = jobPayloadSchemas.sync.safeParse(schedule.data);
      return parsed.success
        ? [{ connectionId: parsed.data.connectionId, cron: schedule.cron, full: parsed.data.full ?? false }]
        : [];
    });
  }

  /**
   * pg-boss waits a polling interval after every fetch of a one-job batch, even a successful one,
   * which caps a worker at one job per interval. A worker that just finished a job is likely to find
   * another, so ONE of this process's workers of the queue is told to fetch again at once (pg-boss
   * skips the wait for a notified worker; it is what a NOTIFY does), in turn. Waking all of them
   * made every job cost a fetch per local worker (bench: 16 fetch statements a job at concurrency 8).
   */
  #wakeWorkers(name: JobName): void {
    const workers = this.#boss.getWipData().filter((w) => w.name === name);
    if (workers.length === 0) return;
    const turn = (this.#wakeTurn.get(name) ?? 0) % workers.length;
    this.#wakeTurn.set(name, turn + 1);
    this.#boss.notifyWorker(workers[turn]!.id);
  }

  readonly #wakeTurn = new Map<JobName, number>();

  #prepare<N extends JobName>(name: N, payload: JobPayloadInput<N>, options: SendOptions) {
    // Bugs throw: a payload that does not fit its kind never reaches the table.
    const data = jobPayloadSchemas[name].parse(payload) as JobPayload<N>;
    const singletonKey =
      options.singletonKey === undefined ? jobSpecs[name].singletonKey(data) : options.singletonKey;
    const jobOptions: BossSendOptions = {};
    if (singletonKey !== null) jobOptions.singletonKey = singletonKey;
    if (options.startAfter !== undefined) jobOptions.startAfter = options.startAfter;
    if (options.retryLimit !== undefined) jobOptions.retryLimit = options.retryLimit;
    if (options.retryDelay !== undefined) jobOptions.retryDelay = Math.max(1, options.retryDelay);
    if (options.retryBackoff !== undefined) jobOptions.retryBackoff = options.retryBackoff;
    if (options.retryDelayMax !== undefined) jobOptions.retryDelayMax = options.retryDelayMax;
    if (options.priority !== undefined) jobOptions.priority = options.priority;
    if (options.tx !== undefined) jobOptions.db = inTransaction(options.tx);
    return { data: data as object, jobOptions };
  }

  async #settleFailure<N extends JobName>(
    name: N,
    job: { id: string; retryCount: number },
    error: unknown,
    payload: JobPayload<N>,
  ): Promise<JobResult> {
    const output = storedError(error);
    if (error instanceof PermanentJobError) return { id: job.id, status: 'deadletter', output };
    if (error instanceof RetryJobLaterError && !error.countsAsAttempt && jobSpecs[name].policy === 'short') {
      // Put back without using an attempt: a copy due then (under the kind's dedup key, so none is
      // added when an equal job is queued already: that one does the work), and this one done. The
      // copy is queued first: a crash in between leaves this job to expire and run again.
      // A parsed payload is a valid input (its dates as Date).
      await this.send(name, payload as JobPayloadInput<N>, { startAfter: new Date(Date.now() + error.retryAfterMs) });
      return { id: job.id, status: 'completed', output };
    }
    const retryAfterMs = retryAfterOf(error);
    if (retryAfterMs === undefined) return { id: job.id, status: 'failed', output };
    // Fail it here (one attempt used; dead-lettered if it was the last), then move the retry to the
    // instant asked for; the retry delay of at least 1 s keeps it from being fetched in between.
    // The result handed back to pg-boss is then fenced off: this attempt is no longer active, so
    // pg-boss's own settle changes nothing.
    await this.#boss.fail(name, { id: job.id, retryCount: job.retryCount }, output);
    await this.#boss.update(name, undefined, { id: job.id, startAfter: new Date(Date.now() + retryAfterMs) });
    return { id: job.id, status: 'failed', output };
  }
}

/** pg-boss statements run through a store transaction (either driver: drizzle builds the query). */
function inTransaction(tx: Db): BossDb {
  // Both drivers' results are shapes pg-boss unwraps: { rows } (PGlite) or a row array (postgres.js).
  const execute = async (query: unknown) => (await tx.execute(query as SQL)) as unknown as { rows: unknown[] } | unknown[];
  return fromDrizzle({ execute }, sql);
}

function storedError(error: unknown): StoredError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const stored: StoredError = { name: error.name, message: error.message };
  if ('code' in error && typeof error.code === 'string') stored.code = error.code;
  const retryAfterMs = retryAfterOf(error);
  if (retryAfterMs !== undefined) stored.retryAfterMs = retryAfterMs;
  if (error.stack !== undefined) stored.stack = error.stack;
  return stored;
}

/**
 * The cron expression for "every intervalMinutes", offset by the connection id so that many
 * connections do not all start on the same minute. Cron can only step evenly within an hour or a
 * day, hence the allowed intervals.
 */
export function syncCron(connectionId: number, intervalMinutes: number): string {
  const m = intervalMinutes;
  if (Number.isInteger(m) && m >= 1 && m < 60 && 60 % m === 0) {
    return m === 1 ? '* * * * *' : `${connectionId % m}-59/${m} * * * *`;
  }
  if (Number.isInteger(m) && m >= 60 && m % 60 === 0 && 1440 % m === 0) {
    const hours = m / 60;
    const hour =
      hours === 1 ? '*' : hours === 24 ? String(connectionId % 24) : `${connectionId % hours}-23/${hours}`;
    return `${connectionId % 60} ${hour} * * *`;
  }
  throw new RangeError(
    `sync interval ${intervalMinutes} min: use a divisor of 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) or of 1440 in whole hours (120, 180, 240, 360, 480, 720, 1440)`,
  );
}

/** The queue in the store's own database: the same PGlite instance, or the same Postgres. */
export function queueFor(handle: DatabaseHandle, options: Omit<CreateQueueOptions, 'database'> = {}): JobQueue {
  const database: QueueDatabase = handle.kind === 'pglite' ? { kind: 'pglite', pglite: handle.client } : { kind: 'postgres', url: handle.url };
  return createQueue({ ...options, database });
}
