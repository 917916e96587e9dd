// Share links to the customer SLA page (issue 6, item 5): only the token's SHA-256 is stored; a
// revoked link keeps its row (who made it, when it was revoked) and opens nothing.
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './db.ts';
import { toIsoInstant, toIsoInstantOrNull } from './instants.ts';
import { customers, policies, shareLinks, users } from './schema/index.ts';

export interface StoredShareLink {
  id: number;
  policyId: number;
  policy: string;
  customerId: number | null;
  customer: string | null;
  label: string;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface NewShareLink {
  tokenHash: string;
  policyId: number;
  customerId: number | null;
  label: string;
  createdBy: number | null;
}

export async function insertShareLink(db: Db, link: NewShareLink): Promise<number> {
  const [row] = await db.insert(shareLinks).values(link).returning({ id: shareLinks.id });
  return row!.id;
}

const columns = {
  id: shareLinks.id,
  policyId: shareLinks.policyId,
  policy: policies.name,
  customerId: shareLinks.customerId,
  customer: customers.name,
  label: shareLinks.label,
  createdBy: users.email,
  createdAt: shareLinks.createdAt,
  revokedAt: shareLinks.revokedAt,
};

function selectLinks(db: Db) {
  return db
    .select(columns)
    .from(shareLinks)
    .innerJoin(policies, eq(policies.id, shareLinks.policyId))
    .leftJoin(customers, eq(customers.id, shareLinks.customerId))
    .leftJoin(users, eq(users.id, shareLinks.createdBy));
}

type Row = Awaited<ReturnType<ReturnType<typeof selectLinks>['execute']>>[number];

const toStored = (r: Row): StoredShareLink => ({ ...r, createdAt: toIsoInstant(r.createdAt), revokedAt: toIsoInstantOrNull(r.revokedAt) });

/** Every link, the newest first, revoked ones included. */
export async function listShareLinks(db: Db): Promise<StoredShareLink[]> {
  return (await selectLinks(db).orderBy(desc(shareLinks.createdAt), desc(shareLinks.id))).map(toStored);
}

/** The link with this token hash, revoked or not (a revoked one answers 410, an unknown one 404). */
export async function findShareLinkByHash(db: Db, tokenHash: string): Promise<StoredShareLink | null> {
  const [row] = await selectLinks(db).where(eq(shareLinks.tokenHash, tokenHash));
  return row ? toStored(row) : null;
}

/** Revokes a live link: 'revoked', or 'not_found' / 'already_revoked'. */
export async function revokeShareLink(db: Db, id: number, at: Date): Promise<'revoked' | 'not_found' | 'already_revoked'> {
  const updated = await db
    .update(shareLinks)
    .set({ revokedAt: at })
    .where(and(eq(shareLinks.id, id), isNull(shareLinks.revokedAt)))
    .returning({ id: shareLinks.id });
  if (updated.length > 0) return 'revoked';
  const [exists] = await db.select({ n: sql<number>`1` }).from(shareLinks).where(eq(shareLinks.id, id));
  return exists ? 'already_revoked' : 'not_found';
}
