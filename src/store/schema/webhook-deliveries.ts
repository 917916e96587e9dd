import { integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';
import { connections } from './connections.ts';

/** Webhook deliveries already accepted, so a vendor's redelivery is ignored (X-GitHub-Delivery). */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    connectionId: integer('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    deliveryId: text('delivery_id').notNull(),
    receivedAt: timestamptz('received_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.deliveryId] })],
);
