// What a case must say about a fake Zendesk ticket, read from the fake's own model (not from its
// JSON), by Zendesk's rules written out plainly: the reference the connector's output is held to.
import type { CaseInput, ChangePage, ConnectorContext, SourceEvent } from '../../../src/connectors/types.ts';
import type { ZendeskConfig } from '../../../src/connectors/zendesk/config.ts';
import { zendeskConnector } from '../../../src/connectors/zendesk/index.ts';
import type { FakeTicket, FakeZendeskWorld } from './world.ts';

const STATUS = { new: 'new', open: 'open', pending: 'pending', hold: 'on_hold', solved: 'solved', closed: 'closed' } as const;

export function expectedCase(world: FakeZendeskWorld, t: FakeTicket, baseUrl: string): CaseInput {
  const audits = [...t.audits].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
  const [creating, ...rest] = audits;
  const created = (field: string): unknown => creating!.events.flatMap((e) => (e.type === 'Create' && e.field_name === field ? [e.value] : []))[0];
  const createdMs = Date.parse(t.createdAt);
  let raw = created('status') as keyof typeof STATUS;
  let priority = created('priority') as string | null;
  let requester = created('requester_id') as number;
  const changesOf = (a: (typeof audits)[number]) => a.events.flatMap((e) => (e.type === 'Change' ? [e] : []));
  for (const a of rest) {
    if (Date.parse(a.createdAt) > createdMs) continue;
    for (const c of changesOf(a)) {
      if (c.field_name === 'status') raw = c.value as keyof typeof STATUS;
      if (c.field_name === 'priority') priority = c.value as string | null;
    }
  }
  const events: SourceEvent[] = [{ at: t.createdAt, type: 'created', status: STATUS[raw], rawPriority: priority, rawStatus: raw }];
  let replied = false;
  for (const a of rest) {
    if (!replied) {
      const reply = a.events.find((e) => e.type === 'Comment' && e.public && world.isAgent(e.author_id) && e.author_id !== requester);
      if (reply && reply.type === 'Comment') {
        events.push({ at: a.createdAt, type: 'agent_reply', author: String(reply.author_id) });
        replied = true;
      }
    }
    for (const c of changesOf(a)) if (c.field_name === 'requester_id') requester = c.value as number;
    if (Date.parse(a.createdAt) <= createdMs) continue;
    let nextRaw = raw;
    let nextPriority = priority;
    for (const c of changesOf(a)) {
      if (c.field_name === 'status') nextRaw = c.value as keyof typeof STATUS;
      if (c.field_name === 'priority') nextPriority = c.value as string | null;
    }
    if (nextPriority !== priority) events.push({ at: a.createdAt, type: 'priority', rawPriority: (priority = nextPriority) });
    if (STATUS[nextRaw] !== STATUS[raw]) events.push({ at: a.createdAt, type: 'status', status: STATUS[nextRaw], rawStatus: nextRaw });
    raw = nextRaw;
  }
  const customFields = Object.fromEntries(Object.entries(t.customFields).filter(([, v]) => v !== null && v !== ''));
  return {
    externalId: String(t.id),
    externalKey: `#${t.id}`,
    url: `${baseUrl}/agent/tickets/${t.id}`,
    title: t.subject,
    rawPriority: t.priority,
    status: STATUS[t.status],
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    events,
    attributes: {
      ticketId: t.id,
      rawStatus: t.status,
      organizationId: t.organizationId,
      groupId: t.groupId,
      requesterId: t.requesterId,
      requesterEmail: world.users.get(t.requesterId)!.email,
      issueType: t.type,
      tags: t.tags,
      customFields,
      updatedStamp: t.updatedAt,
    },
  };
}

export interface SyncRun {
  /** Every case handed out, in order (a ticket may come more than once). */
  all: CaseInput[];
  /** The last version of each case, as the store would keep it. */
  byId: Map<string, CaseInput>;
  cursor: string | null;
  pages: number;
  /** Cursor after each page. */
  cursors: string[];
}

/** Runs fetchChanges to its end, or for `maxPages` pages (a sync killed after that page). */
export async function syncZendesk(cfg: ZendeskConfig, cursor: string | null, ctx: ConnectorContext, maxPages = Infinity, into?: SyncRun): Promise<SyncRun> {
  const run: SyncRun = into ?? { all: [], byId: new Map(), cursor, pages: 0, cursors: [] };
  let pages = 0;
  for await (const page of zendeskConnector.fetchChanges(cfg, cursor, ctx) as AsyncIterable<ChangePage>) {
    for (const c of page.cases) {
      run.all.push(c);
      run.byId.set(c.externalId, c);
    }
    run.cursor = page.nextCursor;
    run.cursors.push(page.nextCursor);
    run.pages++;
    if (++pages >= maxPages) break;
  }
  return run;
}
