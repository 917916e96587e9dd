// What every area router of the web app gets: the database, the clock, the job queue (absent in
// tests that queue nothing), the environment (for env: secrets) and the app's public base URL.
import type { DatabaseHandle, Db } from '../store/db.ts';
import type { JobQueue } from '../sync/queue.ts';

export interface AreaDeps {
  handle: DatabaseHandle;
  db: Db;
  now: () => number;
  queue?: JobQueue;
  env?: NodeJS.ProcessEnv;
  /**
   * Where users' browsers and vendors reach this app (https://sla.example.com), for links in
   * descriptors, manifests and share links; from `serve --base-url` or SLA_SYNC_BASE_URL.
   */
  baseUrl: string;
}
