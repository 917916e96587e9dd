import { and, lt, sql } from 'drizzle-orm';
import { rowsOf } from './cases-repo.ts';
import type { Db } from './db.ts';
import { toDate } from './instants.ts';
import { webhookDeliveries } from './schema/index.ts';

/**
 * Records many deliveries in one statement; returns those recorded now, as `connectionId:deliveryId`
 * (the others were seen before).
 */
export async function recordWebhookDeliveries(db: Db, deliveries: readonly { connectionId: number; deliveryId: string }[]): Promise<Set<string>> {
  if (deliveries.length === 0) return new Set();
  // One jsonb parameter: the same statement text for any group size (prepared once per connection).
  const result = await db.execute(sql`
    insert into webhook_deliveries (connection_id, delivery_id)
    select connection_id, delivery_id
    from jsonb_to_recordset(${JSON.stringify(deliveries.map((d) => ({ connection_id: d.connectionId, delivery_id: d.deliveryId })))}::jsonb)
      as r(connection_id integer, delivery_id text)
    on conflict do nothing
    returning connection_id, delivery_id`);
  return new Set(rowsOf<{ connection_id: number; delivery_id: string }>(result).map((r) => deliveryKey(Number(r.connection_id), r.delivery_id)));
}

export const deliveryKey = (connectionId: number, deliveryId: string): string => `${connectionId}:${deliveryId}`;

/** Forgets deliveries older than the vendor's redelivery window. */
export async function pruneWebhookDeliveries(db: Db, olderThan: string): Promise<void> {
  await db.delete(webhookDeliveries).where(and(lt(webhookDeliveries.receivedAt, toDate(olderThan))));
}
