import { and, eq, lt } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toDate } from './instants.ts';
import { webhookDeliveries } from './schema/index.ts';

/** Records a delivery; false when it was seen before (a redelivery to ignore). */
export async function recordWebhookDelivery(db: Db, connectionId: number, deliveryId: string): Promise<boolean> {
  const rows = await db
    .insert(webhookDeliveries)
    .values({ connectionId, deliveryId })
    .onConflictDoNothing()
    .returning({ deliveryId: webhookDeliveries.deliveryId });
  return rows.length === 1;
}

/** Forgets one delivery, so that the vendor's redelivery of it is taken (its work was not queued). */
export async function forgetWebhookDelivery(db: Db, connectionId: number, deliveryId: string): Promise<void> {
  await db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.connectionId, connectionId), eq(webhookDeliveries.deliveryId, deliveryId)));
}

/** Forgets deliveries older than the vendor's redelivery window. */
export async function pruneWebhookDeliveries(db: Db, olderThan: string): Promise<void> {
  await db.delete(webhookDeliveries).where(and(lt(webhookDeliveries.receivedAt, toDate(olderThan))));
}
