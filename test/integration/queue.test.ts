// The job queue on every available backend: the store's in-memory PGlite always, Postgres when
// DATABASE_URL is set. Each test has a pg-boss schema of its own (dropped after), so no worker of
// one test sees another's jobs.
import { PgBoss, fromPglite } from 'pg-boss';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../../src/store/db.ts';
import type { JobContext, JobQueue } from '../../src/sync/queue.ts';
import { PermanentJobError, RetryJobLaterError, syncCron } from '../../src/sync/queue.ts';
import type { OpenedQueueBackend, QueueBackend, TestQueue } from './queue-backends.ts';
import { queueBackends, startTestQueue, waitFor } from './queue-backends.ts';

describe.each(queueBackends().map((backend) => [backend.name, backend] as const))('job queue on %s', (_name, backend: QueueBackend) => {
  let opened: OpenedQueueBackend;
  let current: TestQueue | undefined;
  beforeAll(async () => {
    opened = await backend.open();
  });
  afterAll(async () => {
    await opened?.close();
  });
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });

  async function start(options: Parameters<typeof startTestQueue>[1] = {}): Promise<JobQueue> {
    current = await startTestQueue(opened, options);
    return current.queue;
  }

  it('sends and works jobs of every kind, payloads parsed on receive', async () => {
    const queue = await start();
    const seen: { name: string; payload: unknown; retryCount: number }[] = [];
    const record = (name: string) => async (payload: unknown, job: JobContext) => {
      seen.push({ name, payload, retryCount: job.retryCount });
    };
    await queue.work('sync', record('sync'));
    await queue.work('refresh', record('refresh'));
    await queue.work('writeback', record('writeback'));
    await queue.work('breach-timer', record('breach-timer'));

    const at = new Date('2030-01-02T03:04:05.000Z');
    expect(await queue.send('sync', { connectionId: 1, full: true })).toMatch(/^[0-9a-f-]{36}$/);
    expect(await queue.send('refresh', { connectionId: 1, refs: [{ externalId: '42', externalKey: 'k', attributes: {} }] })).not.toBeNull();
    expect(await queue.send('writeback', { caseId: 7 })).not.toBeNull();
    // An ISO string is accepted for a date, and the handler gets a Date back.
    expect(await queue.send('breach-timer', { caseId: 7, metric: 'resolution', at: at.toISOString() })).not.toBeNull();

    await waitFor(() => (seen.length === 4 ? true : undefined));
    const byName = Object.fromEntries(seen.map((s) => [s.name, s]));
    expect(byName.sync).toEqual({ name: 'sync', payload: { connectionId: 1, full: true }, retryCount: 0 });
    expect(byName.refresh?.payload).toEqual({ connectionId: 1, refs: [{ externalId: '42', externalKey: 'k', attributes: {} }] });
    expect(byName.writeback?.payload).toEqual({ caseId: 7 });
    expect(byName['breach-timer']?.payload).toEqual({ caseId: 7, metric: 'resolution', at });
    expect((byName['breach-timer']?.payload as { at: unknown }).at).toBeInstanceOf(Date);
  });

  it('refuses a payload that does not fit its kind', async () => {
    const queue = await start();
    // @ts-expect-error caseId must be a number
    await expect(queue.send('writeback', { caseId: '7' })).rejects.toThrow(/caseId/);
    // @ts-expect-error metric is one of the engine's metrics
    await expect(queue.send('breach-timer', { caseId: 1, metric: 'nope', at: new Date() })).rejects.toThrow(/metric/);
    await expect(queue.send('refresh', { connectionId: 1, refs: [] })).rejects.toThrow(/refs/);
  });

  it('queues a job in a store transaction: there when it commits, gone when it rolls back', async () => {
    const queue = await start();
    const worked: number[] = [];
    await queue.work('writeback', async ({ caseId }) => {
      worked.push(caseId);
    });
    const id = await withTransaction(opened.store, (tx) => queue.send('writeback', { caseId: 1 }, { tx }));
    expect(id).not.toBeNull();
    const rolledBack = new Error('rolled back');
    await expect(
      withTransaction(opened.store, async (tx) => {
        await queue.sendMany('writeback', [{ caseId: 2 }, { caseId: 3 }], { tx });
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    expect(await queue.sendMany('writeback', [{ caseId: 4 }])).toBe(1);
    await waitFor(() => (worked.length === 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(worked.sort()).toEqual([1, 4]);
  });

  it('does not run a job before its startAfter', async () => {
    const queue = await start();
    const ranAt: number[] = [];
    await queue.work('breach-timer', async () => {
      ranAt.push(Date.now());
    });
    const due = new Date(Date.now() + 1500);
    await queue.send('breach-timer', { caseId: 1, metric: 'firstResponse', at: due }, { startAfter: due });
    const now = await queue.send('breach-timer', { caseId: 2, metric: 'firstResponse', at: due });
    expect(now).not.toBeNull();
    await waitFor(() => (ranAt.length >= 1 ? true : undefined));
    expect(ranAt).toHaveLength(1); // the undeferred one; the timer waits
    await waitFor(() => (ranAt.length === 2 ? true : undefined));
    expect(ranAt[1]).toBeGreaterThanOrEqual(due.getTime());
  });

  it('deduplicates pending jobs by key: one writeback per case, one timer per instant, one sync per connection', async () => {
    const queue = await start();
    const at = new Date('2031-05-06T07:08:00Z');
    expect(await queue.send('writeback', { caseId: 1 })).not.toBeNull();
    expect(await queue.send('writeback', { caseId: 1 })).toBeNull();
    expect(await queue.send('writeback', { caseId: 2 })).not.toBeNull();
    // sendMany skips what is already pending and duplicates within the batch.
    expect(await queue.sendMany('writeback', [{ caseId: 1 }, { caseId: 3 }, { caseId: 3 }, { caseId: 4 }])).toBe(2);

    expect(await queue.send('breach-timer', { caseId: 1, metric: 'resolution', at }, { startAfter: at })).not.toBeNull();
    expect(await queue.send('breach-timer', { caseId: 1, metric: 'resolution', at: at.toISOString() }, { startAfter: at })).toBeNull();
    expect(await queue.send('breach-timer', { caseId: 1, metric: 'firstResponse', at }, { startAfter: at })).not.toBeNull();
    const later = new Date(at.getTime() + 60_000);
    expect(await queue.send('breach-timer', { caseId: 1, metric: 'resolution', at: later }, { startAfter: later })).not.toBeNull();

    expect(await queue.send('refresh', { connectionId: 1, refs: [{ externalId: 'b', externalKey: 'k', attributes: {} }, { externalId: 'a', externalKey: 'k', attributes: {} }] })).not.toBeNull();
    expect(await queue.send('refresh', { connectionId: 1, refs: [{ externalId: 'a', externalKey: 'k', attributes: {} }, { externalId: 'b', externalKey: 'k', attributes: {} }] })).toBeNull();
    expect(await queue.send('refresh', { connectionId: 2, refs: [{ externalId: 'a', externalKey: 'k', attributes: {} }, { externalId: 'b', externalKey: 'k', attributes: {} }] })).not.toBeNull();
    // An explicit null key opts out.
    expect(await queue.send('writeback', { caseId: 1 }, { singletonKey: null })).not.toBeNull();

    // sync is exclusive: nothing is queued beside a running sync of the same connection.
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    const started: number[] = [];
    await queue.work('sync', async ({ connectionId }) => {
      started.push(connectionId);
      await running;
    });
    expect(await queue.send('sync', { connectionId: 9 })).not.toBeNull();
    await waitFor(() => (started.length === 1 ? true : undefined));
    expect(await queue.send('sync', { connectionId: 9, full: true })).toBeNull();
    expect(await queue.send('sync', { connectionId: 10 })).not.toBeNull();
    release();
    await waitFor(() => (started.length === 2 ? true : undefined));
    await waitFor(async () => ((await queue.send('sync', { connectionId: 9 })) === null ? undefined : true));
  });

  it('retries with backoff, then dead-letters after retryLimit; the admin can list and redrive it', async () => {
    const queue = await start({ retry: { writeback: { retryLimit: 2, retryDelay: 1, retryBackoff: true } } });
    const attempts: { at: number; retryCount: number }[] = [];
    let healthy = false;
    await queue.work('writeback', async ({ caseId }, job) => {
      attempts.push({ at: Date.now(), retryCount: job.retryCount });
      if (!healthy) throw Object.assign(new Error(`vendor down for case ${caseId}`), { code: 'unavailable' });
    });
    await queue.send('writeback', { caseId: 5 });
    const [dead] = await waitFor(async () => {
      const letters = await queue.listDeadLetters();
      return letters.length > 0 ? letters : undefined;
    });
    expect(attempts.map((a) => a.retryCount)).toEqual([0, 1, 2]);
    const [first, second, third] = attempts.map((a) => a.at) as [number, number, number];
    // Backoff: about 1-2 s before the first retry, 2-4 s before the second (minus polling slack).
    expect(second - first).toBeGreaterThanOrEqual(900);
    expect(third - second).toBeGreaterThanOrEqual(1900);
    expect(dead).toMatchObject({
      name: 'writeback',
      payload: { caseId: 5 },
      error: 'vendor down for case 5',
      errorCode: 'unavailable',
      attempts: 3,
    });
    expect(dead?.failedAt).toBeInstanceOf(Date);
    expect(Math.abs(dead!.failedAt.getTime() - Date.now())).toBeLessThan(60_000);

    healthy = true;
    expect(await queue.redriveDeadLetters([dead!.id])).toBe(1);
    await waitFor(() => (attempts.length === 4 ? true : undefined));
    expect(await waitFor(async () => ((await queue.listDeadLetters()).length === 0 ? true : undefined))).toBe(true);
  });

  it('honours a handler\'s Retry-After instead of the backoff delay', async () => {
    // Default writeback backoff: at least 5 s before the first retry. The vendor says 1.2 s.
    const queue = await start();
    const attempts: number[] = [];
    await queue.work('writeback', async () => {
      attempts.push(Date.now());
      if (attempts.length === 1) throw new RetryJobLaterError(1200, '429 from vendor');
    });
    await queue.send('writeback', { caseId: 1 });
    await waitFor(() => (attempts.length === 2 ? true : undefined), 10_000);
    const gap = attempts[1]! - attempts[0]!;
    expect(gap).toBeGreaterThanOrEqual(1200);
    expect(gap).toBeLessThan(4500);
    expect(await queue.listDeadLetters()).toEqual([]);
  });

  it('puts back a job that could not start yet without using an attempt (countsAsAttempt: false)', async () => {
    // No retry at all: one counted failure would dead-letter the job.
    const queue = await start({ retry: { writeback: { retryLimit: 0 } } });
    const attempts: { at: number; retryCount: number; caseId: number }[] = [];
    await queue.work('writeback', async ({ caseId }, job) => {
      attempts.push({ at: Date.now(), retryCount: job.retryCount, caseId });
      if (attempts.length < 3) throw new RetryJobLaterError(1000, `case ${caseId} is held by another worker`, { countsAsAttempt: false });
    });
    await queue.send('writeback', { caseId: 4 });
    await waitFor(() => (attempts.length === 3 ? true : undefined), 15_000);
    // Each time a fresh copy, due a second later, with its payload; never a failure.
    expect(attempts.map((a) => [a.caseId, a.retryCount])).toEqual([[4, 0], [4, 0], [4, 0]]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(1000);
    expect(await queue.listDeadLetters()).toEqual([]);
  });

  it('dead-letters a rate-limited job that used its last attempt', async () => {
    const queue = await start({ retry: { writeback: { retryLimit: 0 } } });
    await queue.work('writeback', async () => {
      throw Object.assign(new Error('secondary rate limit'), { code: 'rate_limited', retryAfterMs: 60_000 });
    });
    await queue.send('writeback', { caseId: 3 });
    const [dead] = await waitFor(async () => {
      const letters = await queue.listDeadLetters();
      return letters.length > 0 ? letters : undefined;
    });
    expect(dead).toMatchObject({ name: 'writeback', error: 'secondary rate limit', errorCode: 'rate_limited', attempts: 1 });
  });

  it('dead-letters at once a permanent failure and a payload that fails its schema on receive', async () => {
    const queue = await start();
    const handled: unknown[] = [];
    await queue.work('writeback', async (payload) => {
      handled.push(payload);
      throw new PermanentJobError('issue is gone', 'not_found');
    });
    await queue.send('writeback', { caseId: 11 });

    // A job written by something else (an older release, a hand-made insert) with a bad payload.
    const opened = await backendRaw();
    await opened.boss.send('writeback', { caseId: 'eleven' });
    await opened.stop();

    const letters = await waitFor(async () => {
      const found = await queue.listDeadLetters();
      return found.length === 2 ? found : undefined;
    });
    const byError = Object.fromEntries(letters.map((l) => [l.errorCode, l]));
    expect(byError.not_found).toMatchObject({ name: 'writeback', payload: { caseId: 11 }, error: 'issue is gone', attempts: 1 });
    expect(byError.invalid_payload).toMatchObject({ name: 'writeback', payload: { caseId: 'eleven' }, attempts: 1 });
    expect(byError.invalid_payload?.error).toMatch(/^invalid writeback payload: .*caseId/s);
    expect(handled).toEqual([{ caseId: 11 }]);
  });

  it('runs up to `concurrency` jobs of a kind at once', async () => {
    const queue = await start();
    let running = 0;
    let peak = 0;
    let done = 0;
    await queue.work(
      'refresh',
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 300));
        running--;
        done++;
      },
      { concurrency: 3 },
    );
    for (let i = 1; i <= 6; i++) await queue.send('refresh', { connectionId: 1, refs: [{ externalId: String(i), externalKey: 'k', attributes: {} }] });
    await waitFor(() => (done === 6 ? true : undefined));
    expect(peak).toBe(3);
  });

  it('keeps one sync schedule per connection, spread over the interval', async () => {
    const queue = await start();
    expect(await queue.scheduleSync(7, 5)).toBe('2-59/5 * * * *');
    expect(await queue.scheduleSync(8, 60, { full: true })).toBe('8 * * * *');
    // Scheduling again replaces, never duplicates.
    expect(await queue.scheduleSync(7, 15)).toBe('7-59/15 * * * *');
    const schedules = await queue.listSyncSchedules();
    expect(schedules.sort((a, b) => a.connectionId - b.connectionId)).toEqual([
      { connectionId: 7, cron: '7-59/15 * * * *', full: false },
      { connectionId: 8, cron: '8 * * * *', full: true },
    ]);
    await queue.unscheduleSync(7);
    expect((await queue.listSyncSchedules()).map((s) => s.connectionId)).toEqual([8]);
  });

  /** A bare pg-boss on the same database and schema as the current test's queue. */
  async function backendRaw(): Promise<{ boss: PgBoss; stop(): Promise<void> }> {
    if (!current) throw new Error('no queue started');
    const common = { schema: current.schema, supervise: false, schedule: false };
    const { database } = opened;
    const boss =
      database.kind === 'pglite'
        ? new PgBoss({ ...common, db: fromPglite(database.pglite), backend: 'pglite' })
        : new PgBoss({ ...common, connectionString: database.url, max: 1 });
    boss.on('error', (error) => console.error(error));
    await boss.start();
    return { boss, stop: () => boss.stop({ timeout: 1000 }) };
  }
});

describe('syncCron', () => {
  it.each([
    [1, 1, '* * * * *'],
    [3, 5, '3-59/5 * * * *'],
    [12, 5, '2-59/5 * * * *'],
    [61, 60, '1 * * * *'],
    [5, 120, '5 1-23/2 * * *'],
    [70, 1440, '10 22 * * *'],
  ])('connection %i every %i min: %s', (connectionId, minutes, cron) => {
    expect(syncCron(connectionId, minutes)).toBe(cron);
  });

  it.each([0, 7, 45, 90, 2.5])('refuses %s minutes', (minutes) => {
    expect(() => syncCron(1, minutes)).toThrow(RangeError);
  });
});
