// The customer SLA page (issue 6, item 5; issue 7, item 5): a policy's agreement and its live
// compliance, shared read-only by an unguessable link. The link's token is 32 random bytes
// (base64url) and only its SHA-256 is stored, so the store cannot give a live link away; an admin
// revokes it. The page shows aggregates only: no ticket keys, titles or links, and a link narrowed
// to one customer counts that customer's cases alone.
//
// Where the issue was silent: "current and last periods" are the current calendar month (to date)
// and the month before it, in UTC like every report period.
import { z } from 'zod';
import type { Policy } from '../core/types.ts';
import type { Validated } from '../core/validate.ts';
import { validateWith } from '../core/validate.ts';
import type { Db } from '../store/db.ts';
import { listCustomers } from '../store/agreements-repo.ts';
import { getPolicy } from '../store/policies-repo.ts';
import type { StoredShareLink } from '../store/share-links-repo.ts';
import { findShareLinkByHash, insertShareLink } from '../store/share-links-repo.ts';
import { newSecret, secretDigest } from '../web/auth/tokens.ts';
import type { Period } from './report-period.ts';
import { presetPeriod } from './report-period.ts';
import type { ComplianceReport } from './report.ts';
import { complianceReport } from './report.ts';

export interface ShareLinkInput {
  policyId: number;
  customerId: number | null;
  label: string;
}

const id = (what: string) => z.coerce.number({ error: `is not a ${what}` }).int(`is not a ${what}`).positive(`is not a ${what}`).max(2 ** 31 - 1, `is not a ${what}`);

const inputSchema = z.object({
  policyId: id('policy'),
  customerId: z.preprocess((v) => (v === '' || v === undefined ? null : v), id('customer').nullable()),
  label: z.string({ error: 'is not text' }).trim().max(200, 'is longer than 200 characters').default(''),
});

/** Validates the admin's form, and that the policy and the customer exist; errors name the field. */
export async function parseShareLinkInput(db: Db, raw: Record<string, unknown>): Promise<Validated<ShareLinkInput>> {
  const parsed = validateWith(inputSchema, { policyId: raw['policyId'], customerId: raw['customerId'], label: raw['label'] });
  if (!parsed.ok) return parsed;
  const errors: string[] = [];
  if (!(await getPolicy(db, parsed.value.policyId))) errors.push(`policyId: ${parsed.value.policyId} is no policy`);
  const customerId = parsed.value.customerId;
  if (customerId !== null && !(await listCustomers(db)).some((c) => c.id === customerId)) errors.push(`customerId: ${customerId} is no customer`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: parsed.value };
}

/** Stores a new link and returns its token: shown once, never stored. */
export async function createShareLink(db: Db, input: ShareLinkInput, createdBy: number | null): Promise<{ id: number; token: string }> {
  const token = newSecret();
  const id = await insertShareLink(db, { tokenHash: secretDigest(token), policyId: input.policyId, customerId: input.customerId, label: input.label, createdBy });
  return { id, token };
}

export function shareLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/sla/${token}`;
}

/** The link a token opens: 'not_found' for no link, 'revoked' for a revoked one. */
export async function openShareLink(db: Db, token: string): Promise<StoredShareLink | 'not_found' | 'revoked'> {
  // newSecret's form: 43 base64url characters; anything else is no token of ours.
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return 'not_found';
  const link = await findShareLinkByHash(db, secretDigest(token));
  if (!link) return 'not_found';
  return link.revokedAt === null ? link : 'revoked';
}

export interface SharedPeriod {
  label: string;
  period: Period;
  /** Clipped to now for the current period: compliance "to date". */
  toDateMs: number;
  bySeverity: ComplianceReport;
  byCustomer: ComplianceReport;
}

export interface CustomerSlaView {
  title: string;
  policyName: string;
  policy: Policy;
  customer: string | null;
  periods: SharedPeriod[];
}

export async function customerSlaView(db: Db, link: StoredShareLink, nowMs: number): Promise<CustomerSlaView> {
  const policy = await getPolicy(db, link.policyId);
  if (!policy) throw new Error(`share link ${link.id}: policy ${link.policyId} is gone (the foreign key cascades)`);
  const filter = { policyId: link.policyId, ...(link.customerId === null ? {} : { customerId: link.customerId }) };
  const periods: SharedPeriod[] = [];
  for (const [label, offset] of [['This month', 0], ['Last month', -1]] as const) {
    const period = presetPeriod('month', nowMs, offset);
    const q = { fromMs: period.fromMs, toMs: period.toMs, filter };
    periods.push({
      label,
      period,
      toDateMs: Math.min(period.toMs, nowMs),
      bySeverity: await complianceReport(db, { ...q, groupBy: 'severity' }),
      byCustomer: await complianceReport(db, { ...q, groupBy: 'customer' }),
    });
  }
  return { title: link.label || policy.name, policyName: policy.name, policy: policy.definition, customer: link.customer, periods };
}
