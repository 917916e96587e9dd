// POST /webhooks/:source/:connection (issue 3): the signature is checked on the raw bytes before
// anything is parsed, the answer (202) goes out at once, and the work is queued. A vendor's
// redelivery (same delivery id) is acknowledged and ignored. The delivery is recorded and its
// refresh queued in ONE transaction (never a delivery recorded without its refresh, even across a
// crash), shared by the deliveries that arrive while the previous one commits (group commit: a
// burst costs a few statements per group, not two per delivery).
import express, { Router } from 'express';
import type { ExternalRef, RawRequest } from '../../connectors/types.ts';
import { SOURCES } from '../../connectors/types.ts';
import { connectorFor, isBuiltSource } from '../../connectors/registry.ts';
import { getConnectionByName } from '../../store/connections-repo.ts';
import type { Connection } from '../../store/connections-repo.ts';
import type { DatabaseHandle, Db } from '../../store/db.ts';
import { withTransaction } from '../../store/db.ts';
import { deliveryKey, recordWebhookDeliveries } from '../../store/webhook-deliveries-repo.ts';
import { jobPayloadSchemas } from '../../sync/queue-jobs.ts';
import { validateWith } from '../../core/validate.ts';
import { resolveSecrets } from '../../sync/secrets.ts';
import { HTTP_STATUS_OF, HttpError } from '../errors.ts';

export interface RefreshRequest {
  connectionId: number;
  refs: ExternalRef[];
}

export interface WebhookDeps {
  handle: DatabaseHandle;
  /**
   * Queues the refresh of these cases (a job; never done inline) in the store transaction `tx`
   * that records their deliveries: queued if and only if it commits (on PGlite the send must use
   * it), so a delivery is never recorded without its refresh. `refreshEnqueuer(queue)` (jobs.ts).
   */
  enqueueRefreshes(requests: RefreshRequest[], options: { tx: Db }): Promise<void>;
  env?: NodeJS.ProcessEnv;
}

export interface Delivery {
  connectionId: number;
  deliveryId: string | null;
  /** Null: nothing to queue (no refs, or the connection is paused). */
  refresh: RefreshRequest | null;
}

/**
 * Records deliveries and queues their refreshes, a group per transaction: a delivery that arrives
 * while a group commits waits for the next group. Resolves per delivery: true when taken, false
 * when seen before (a redelivery, also within one group). A failed transaction fails its group
 * (nothing of it recorded or queued; the vendor redelivers each). This route's and the Jira
 * Connect webhooks' (jira-connect.ts) one way in.
 */
export function deliveryIntake(handle: DatabaseHandle, enqueue: WebhookDeps['enqueueRefreshes']): (delivery: Delivery) => Promise<boolean> {
  let waiting: { delivery: Delivery; resolve: (taken: boolean) => void; reject: (error: unknown) => void }[] = [];
  let flushing = false;
  const commitGroup = async (group: Delivery[]): Promise<boolean[]> =>
    withTransaction(handle, async (tx) => {
      const fresh = await recordWebhookDeliveries(tx, group.flatMap((d) => (d.deliveryId === null ? [] : [{ connectionId: d.connectionId, deliveryId: d.deliveryId }])));
      const taken = group.map((d) => {
        if (d.deliveryId === null) return true;
        // The first of a delivery id in the group takes it; a repeat of it in the group is a redelivery.
        return fresh.delete(deliveryKey(d.connectionId, d.deliveryId));
      });
      const refreshes = group.flatMap((d, i) => (taken[i] && d.refresh ? [d.refresh] : []));
      if (refreshes.length > 0) await enqueue(refreshes, { tx });
      return taken;
    });
  const flush = async (): Promise<void> => {
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      try {
        const taken = await commitGroup(group.map((w) => w.delivery));
        group.forEach((w, i) => w.resolve(taken[i]!));
      } catch (error) {
        for (const w of group) w.reject(error);
      }
    }
    flushing = false;
  };
  return (delivery) =>
    new Promise<boolean>((resolve, reject) => {
      // Checked here, alone: a payload the queue would refuse must not fail its whole group.
      if (delivery.refresh) jobPayloadSchemas.refresh.parse(delivery.refresh);
      waiting.push({ delivery, resolve, reject });
      if (flushing) return;
      flushing = true;
      // After this turn's other requests (those read in the same poll of the event loop) join.
      setImmediate(() => void flush());
    });
}

const ACCEPTED_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/**
 * How long a connection looked up by the route is reused: a burst of webhooks costs one lookup and
 * one config validation per connection rather than one per delivery. A config change (secret,
 * pause, delete) reaches the route within this time; the workers' runtimes are kept 15 s.
 */
const CONNECTION_TTL_MS = 5_000;

interface KnownConnection {
  connection: Connection;
  config: unknown;
  loadedAt: number;
}

/**
 * The 202 as plain bytes: express's res.json also hashes the body for an ETag, which no vendor
 * reads, and that was a measurable part of a delivery's cost in a burst.
 */
function sendAccepted(res: express.Response, body: object): void {
  res.status(202).set('content-type', 'application/json; charset=utf-8').end(JSON.stringify(body));
}

export function webhookRoutes(deps: WebhookDeps): Router {
  const router = Router();
  const known = new Map<string, KnownConnection>();
  const intake = deliveryIntake(deps.handle, deps.enqueueRefreshes);
  /** The connection and its validated config; null when there is no such connection of this source. */
  const lookup = async (source: string, name: string): Promise<KnownConnection | null> => {
    const hit = known.get(name);
    if (hit && Date.now() - hit.loadedAt < CONNECTION_TTL_MS && hit.connection.source === source) return hit;
    const connection = await getConnectionByName(deps.handle.db, name);
    if (!connection || connection.source !== source) return null;
    const connector = connectorFor(connection.source);
    const config = validateWith(connector.configSchema, resolveSecrets(connection.source, connection.config, deps.env));
    if (!config.ok) throw new HttpError(500, 'misconfigured', `connection "${name}" has an invalid config`);
    const entry = { connection, config: config.value, loadedAt: Date.now() };
    known.set(name, entry);
    return entry;
  };
  // Express 5 hands a rejection of this async handler to the error handler itself.
  router.post('/webhooks/:source/:connection', express.raw({ type: () => true, limit: '25mb' }), async (req, res) => {
    const { source, connection: name } = req.params as { source: string; connection: string };
    if (!(SOURCES as readonly string[]).includes(source) || !isBuiltSource(source)) throw new HttpError(404, 'not_found', `no webhook endpoint for source "${source}"`);
    const found = await lookup(source, name);
    if (!found) throw new HttpError(404, 'not_found', `no ${source} connection named "${name}"`);
    const { connection } = found;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!ACCEPTED_TYPES.includes(type)) throw new HttpError(415, 'unsupported_media_type', `content-type must be application/json, not "${type || 'none'}"`);
    const connector = connectorFor(connection.source);
    const raw: RawRequest = {
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : v])),
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    };
    const verified = await connector.verifyWebhook(found.config, raw);
    if (!verified.ok) {
      const status = HTTP_STATUS_OF[verified.error.code];
      res.status(status).json({ error: verified.error.code, message: verified.error.message });
      return;
    }
    const event = verified.value;
    const refresh = event.refs.length > 0 && connection.enabled ? { connectionId: connection.id, refs: event.refs } : null;
    const taken = await intake({ connectionId: connection.id, deliveryId: event.deliveryId, refresh });
    sendAccepted(res, taken ? { accepted: true, event: event.name, refs: event.refs.length, paused: !connection.enabled } : { accepted: false, duplicate: true, deliveryId: event.deliveryId });
  });
  return router;
}
