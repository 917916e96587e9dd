// The Zendesk mapper alone, on payloads shaped as the API reference publishes them
// (test/fixtures/zendesk: a ticket, an incremental ticket events page, the same audits from the
// audits endpoint); each case varies the audits it is about.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auditsPageSchema, ticketEventSchema, ticketEventsPageSchema, zendeskAuditSchema, zendeskTicketSchema } from '../../src/connectors/zendesk/api-types.ts';
import type { ZendeskTicket } from '../../src/connectors/zendesk/api-types.ts';
import { zendeskConfigSchema } from '../../src/connectors/zendesk/config.ts';
import { historyFromAudit, historyFromTicketEvent, normalizePriority, zendeskRefAttributes, zendeskTicketRef, zendeskTicketToCase } from '../../src/connectors/zendesk/mapper.ts';
import type { ZendeskHistoryEntry } from '../../src/connectors/zendesk/mapper.ts';
import type { SourceEvent } from '../../src/connectors/types.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../fixtures/zendesk/${name}`, import.meta.url), 'utf8'));
const baseTicket = zendeskTicketSchema.parse(fixture('ticket.json'));
const eventsPage = ticketEventsPageSchema.parse(fixture('ticket-events-page.json'));
const auditsPage = auditsPageSchema.parse(fixture('audits-page.json'));

const cfg = zendeskConfigSchema.parse({ subdomain: 'acme', email: 'admin@acme.com', apiToken: 't' });
const REQUESTER = 20978392;
const AGENT = 235323;
const OTHER_AGENT = 411;
const CC_CUSTOMER = 777;
const agents: ReadonlySet<number> = new Set([AGENT, OTHER_AGENT]);

const T0 = '2025-03-03T09:00:00Z';
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString().replace('.000Z', 'Z');

function ticket(fields: Partial<ZendeskTicket> = {}): ZendeskTicket {
  return zendeskTicketSchema.parse({ ...structuredClone(fixture('ticket.json') as object), ...fields });
}

/** Audits written the way Zendesk's audits endpoint writes them (the mapper reads both shapes alike). */
let nextId = 1;
const comment = (author: number, isPublic: boolean) => ({ id: nextId++, type: 'Comment', author_id: author, body: 'text', public: isPublic, attachments: [] });
const create = (field: string, value: unknown) => ({ id: nextId++, type: 'Create', field_name: field, value });
const change = (field: string, value: unknown, previous: unknown) => ({ id: nextId++, type: 'Change', field_name: field, value, previous_value: previous });
function audit(minutes: number, author: number, events: object[]): ZendeskHistoryEntry {
  return historyFromAudit(zendeskAuditSchema.parse({ id: 1000 + nextId++, ticket_id: baseTicket.id, created_at: at(minutes), author_id: author, events }));
}
/** The creating audit: the description comment plus Create events. */
function creation(opts: { by?: number; requester?: number; status?: string; priority?: string | null; public?: boolean } = {}): ZendeskHistoryEntry {
  return audit(0, opts.by ?? REQUESTER, [
    comment(opts.by ?? REQUESTER, opts.public ?? true),
    create('subject', 'Help'),
    create('status', opts.status ?? 'new'),
    create('priority', opts.priority === undefined ? 'normal' : opts.priority),
    create('requester_id', opts.requester ?? REQUESTER),
  ]);
}

const map = (history: ZendeskHistoryEntry[], t: ZendeskTicket = ticket({ created_at: T0, updated_at: T0 }), config = cfg) => zendeskTicketToCase({ ticket: t, history }, config, agents);
const kinds = (events: SourceEvent[]) => events.map((e) => [e.type, e.at, 'status' in e ? e.status : 'rawPriority' in e ? e.rawPriority : 'author' in e ? e.author : null]);

describe('zendeskTicketToCase on the published payloads', () => {
  const fromEvents = eventsPage.ticket_events.map((e) => historyFromTicketEvent(ticketEventSchema.parse(e)));
  const fromAudits = auditsPage.audits.map((a) => historyFromAudit(zendeskAuditSchema.parse(a)));

  it('maps the ticket events page: created new/normal, open and high, the public reply, pending, open again', () => {
    const c = zendeskTicketToCase({ ticket: baseTicket, history: fromEvents, requesterEmail: 'customer@example.com' }, cfg, agents);
    expect(c).toMatchObject({
      externalId: '35436',
      externalKey: '#35436',
      url: 'https://acme.zendesk.com/agent/tickets/35436',
      title: 'Help, my printer is on fire!',
      rawPriority: 'high',
      status: 'open',
      createdAt: '2025-03-03T09:00:00Z',
      updatedAt: '2025-03-03T15:00:00Z',
    });
    expect(c.events).toEqual([
      { at: '2025-03-03T09:00:00Z', type: 'created', status: 'new', rawPriority: 'normal', rawStatus: 'new' },
      { at: '2025-03-03T10:00:00Z', type: 'priority', rawPriority: 'high' },
      { at: '2025-03-03T10:00:00Z', type: 'status', status: 'open', rawStatus: 'open' },
      // The 10:00 comment was a private note: the first reply is the public comment at 13:00.
      { at: '2025-03-03T13:00:00Z', type: 'agent_reply', author: String(AGENT) },
      { at: '2025-03-03T13:00:00Z', type: 'status', status: 'pending', rawStatus: 'pending' },
      { at: '2025-03-03T15:00:00Z', type: 'status', status: 'open', rawStatus: 'open' },
    ]);
    expect(c.attributes).toEqual({
      ticketId: 35436,
      rawStatus: 'open',
      organizationId: 509974,
      groupId: 98738,
      requesterId: REQUESTER,
      requesterEmail: 'customer@example.com',
      issueType: 'incident',
      tags: ['enterprise', 'other_tag'],
      customFields: { '27642': '745', '27648': 'yes' },
      updatedStamp: '2025-03-03T15:00:00Z',
    });
  });

  it('reads the same audits from the audits endpoint into the same case', () => {
    expect(zendeskTicketToCase({ ticket: baseTicket, history: fromAudits }, cfg, agents)).toEqual(zendeskTicketToCase({ ticket: baseTicket, history: fromEvents }, cfg, agents));
  });

  it('takes repeats and any order (an overlap of two event pages and a backfill)', () => {
    const shuffled = [...fromEvents].reverse().concat(fromAudits);
    expect(zendeskTicketToCase({ ticket: baseTicket, history: shuffled }, cfg, agents)).toEqual(zendeskTicketToCase({ ticket: baseTicket, history: fromEvents }, cfg, agents));
  });

  it('ignores a comment of the event export without the comment_events sideload (no author to judge)', () => {
    const raw = structuredClone(eventsPage.ticket_events[2]) as { child_events: Record<string, unknown>[] };
    raw.child_events[0] = { id: 1, via: 'Web form', via_reference_id: null, comment_present: true, comment_public: true, event_type: 'Comment' };
    expect(historyFromTicketEvent(ticketEventSchema.parse(raw)).comments).toEqual([{ authorId: null, public: true }]);
  });
});

describe('the first reply (Zendesk: first public comment by an agent who is not the requester)', () => {
  const reply = (history: ZendeskHistoryEntry[]) => map(history).events.filter((e) => e.type === 'agent_reply');

  it.each<[string, () => ZendeskHistoryEntry[], string | null]>([
    ['a public agent comment', () => [creation(), audit(30, AGENT, [comment(AGENT, true)])], at(30)],
    ['a private note first: only the later public comment counts', () => [creation(), audit(10, AGENT, [comment(AGENT, false)]), audit(40, AGENT, [comment(AGENT, true)])], at(40)],
    ['only private notes: no reply', () => [creation(), audit(10, AGENT, [comment(AGENT, false)]), audit(20, OTHER_AGENT, [comment(OTHER_AGENT, false)])], null],
    ['the requester and a CC\'d customer: not agents', () => [creation(), audit(10, REQUESTER, [comment(REQUESTER, true)]), audit(20, CC_CUSTOMER, [comment(CC_CUSTOMER, true)])], null],
    ['an agent-created ticket: the description does not count, the agent\'s next public comment does', () => [creation({ by: AGENT, status: 'open' }), audit(5, AGENT, [comment(AGENT, false)]), audit(50, AGENT, [comment(AGENT, true)])], at(50)],
    ['an agent-created ticket with a private description, then nothing public', () => [creation({ by: AGENT, public: false, status: 'open' })], null],
    ['an agent\'s own ticket (requester): their comments never count, a colleague\'s does', () => [creation({ by: AGENT, requester: AGENT, status: 'open' }), audit(10, AGENT, [comment(AGENT, true)]), audit(60, OTHER_AGENT, [comment(OTHER_AGENT, true)])], at(60)],
    ['the requester changed to the agent before the agent wrote', () => [creation(), audit(10, OTHER_AGENT, [change('requester_id', String(AGENT), String(REQUESTER))]), audit(20, AGENT, [comment(AGENT, true)])], null],
    ['only the first reply is a reply', () => [creation(), audit(10, AGENT, [comment(AGENT, true)]), audit(20, OTHER_AGENT, [comment(OTHER_AGENT, true)])], at(10)],
  ])('%s', (_name, history, expected) => {
    const replies = reply(history());
    expect(replies.map((e) => e.at)).toEqual(expected === null ? [] : [expected]);
  });

  it('follows the configured agents: an admin listed as agent counts, a bot left out does not', () => {
    const history = [creation(), audit(10, 999, [comment(999, true)]), audit(20, AGENT, [comment(AGENT, true)])];
    expect(zendeskTicketToCase({ ticket: ticket({ created_at: T0, updated_at: at(20) }), history }, cfg, new Set([999])).events.find((e) => e.type === 'agent_reply')?.at).toBe(at(10));
    expect(zendeskTicketToCase({ ticket: ticket({ created_at: T0, updated_at: at(20) }), history }, cfg, new Set([AGENT])).events.find((e) => e.type === 'agent_reply')?.at).toBe(at(20));
  });
});

describe('status and priority history', () => {
  it('maps a life with hold, solve, reopen and close, and priority changes down to none', () => {
    const t = ticket({ created_at: T0, updated_at: at(600), status: 'closed', priority: null });
    const c = map(
      [
        creation({ priority: 'low' }),
        audit(10, AGENT, [comment(AGENT, true), change('status', 'pending', 'new')]),
        audit(20, REQUESTER, [comment(REQUESTER, true), change('status', 'open', 'pending')]),
        audit(30, AGENT, [comment(AGENT, false), change('status', 'hold', 'open'), change('priority', 'urgent', 'low')]),
        audit(40, AGENT, [change('status', 'solved', 'hold')]),
        audit(50, REQUESTER, [comment(REQUESTER, true), change('status', 'open', 'solved')]),
        audit(60, AGENT, [change('priority', null, 'urgent'), change('status', 'solved', 'open')]),
        audit(600, -1, [change('status', 'closed', 'solved')]),
      ],
      t,
    );
    expect(kinds(c.events)).toEqual([
      ['created', at(0), 'new'],
      ['agent_reply', at(10), String(AGENT)],
      ['status', at(10), 'pending'],
      ['status', at(20), 'open'],
      ['priority', at(30), 'urgent'],
      ['status', at(30), 'on_hold'],
      ['status', at(40), 'solved'],
      ['status', at(50), 'open'],
      ['priority', at(60), null],
      ['status', at(60), 'solved'],
      ['status', at(600), 'closed'],
    ]);
    expect(c.events[0]).toMatchObject({ rawPriority: 'low' });
    expect({ status: c.status, rawPriority: c.rawPriority }).toEqual({ status: 'closed', rawPriority: null });
  });

  it('folds a trigger firing in the creation second into `created`', () => {
    const c = map([creation({ priority: null }), audit(0, -1, [change('priority', 'normal', null), change('status', 'open', 'new')]), audit(5, AGENT, [change('priority', 'high', 'normal')])], ticket({ created_at: T0, updated_at: at(5), priority: 'high' }));
    expect(kinds(c.events)).toEqual([
      ['created', at(0), 'open'],
      ['priority', at(5), 'high'],
    ]);
    expect(c.events[0]).toMatchObject({ rawPriority: 'normal' });
  });

  it('keeps "new" as new by default, and folds it into open when the status map says so', () => {
    const history = [creation(), audit(5, AGENT, [change('status', 'open', 'new')])];
    const t = ticket({ created_at: T0, updated_at: at(5), status: 'open' });
    expect(kinds(map(history, t).events)).toEqual([
      ['created', at(0), 'new'],
      ['status', at(5), 'open'],
    ]);
    const newIsOpen = zendeskConfigSchema.parse({ subdomain: 'acme', oauthToken: 'o', statusMap: { new: 'open' } });
    expect(kinds(map(history, t, newIsOpen).events)).toEqual([['created', at(0), 'open']]);
  });

  it('brings the timeline to a ticket newer than its history (an audit not exported yet) in one step', () => {
    const t = ticket({ created_at: T0, updated_at: at(90), status: 'pending', priority: 'urgent' });
    expect(kinds(map([creation()], t).events)).toEqual([
      ['created', at(0), 'new'],
      ['priority', at(90), 'urgent'],
      ['status', at(90), 'pending'],
    ]);
  });

  it('believes a history newer than the ticket object (the ticket changed after it was listed)', () => {
    const t = ticket({ created_at: T0, updated_at: at(0), status: 'new', priority: 'normal' });
    const c = map([creation(), audit(30, AGENT, [comment(AGENT, true), change('status', 'solved', 'new')])], t);
    expect({ status: c.status, updatedAt: c.updatedAt }).toEqual({ status: 'solved', updatedAt: at(30) });
    expect(c.attributes['rawStatus']).toBe('solved');
  });

  it('without the creating audit, starts from the first change\'s previous value', () => {
    const t = ticket({ created_at: T0, updated_at: at(20), status: 'solved', priority: 'high' });
    const c = map([audit(20, AGENT, [change('status', 'solved', 'pending'), change('priority', 'high', 'low')])], t);
    expect(kinds(c.events)).toEqual([
      ['created', at(0), 'pending'],
      ['priority', at(20), 'high'],
      ['status', at(20), 'solved'],
    ]);
  });

  it('maps a deleted ticket as closed and an unknown status as open', () => {
    expect(map([], ticket({ created_at: T0, updated_at: T0, status: 'deleted' })).status).toBe('closed');
    expect(map([], ticket({ created_at: T0, updated_at: T0, status: 'escalated' })).status).toBe('open');
  });

  it('normalizes priorities: the four words, and none for null, "" and "-"', () => {
    expect(['urgent', 'High', null, '', '-', undefined].map(normalizePriority)).toEqual(['urgent', 'high', null, null, null, null]);
  });
});

describe('refs', () => {
  it('round-trips the attributes writeback reads', () => {
    const c = map([creation()]);
    const attrs = zendeskRefAttributes({ externalId: c.externalId, externalKey: c.externalKey, attributes: c.attributes });
    expect(attrs).toMatchObject({ ticketId: 35436, tags: ['enterprise', 'other_tag'], updatedStamp: T0, rawStatus: 'new' });
    expect(zendeskRefAttributes(zendeskTicketRef(12))).toEqual({ ticketId: 12 });
    expect(zendeskRefAttributes({ externalId: 'SUP-1', externalKey: 'SUP-1', attributes: {} })).toBeNull();
  });
});
