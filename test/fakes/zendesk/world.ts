// The in-memory Zendesk of the fake API: users (agents, admins, end users), tickets with their audits
// (field changes, public comments, private notes), a deterministic clock, and a seeded generator of
// realistic ticket lives: replies, pauses (pending, on-hold), priority changes, solves, reopens,
// closes, agent-created and internal tickets.
import { seededRandom } from '../loopback.ts';

export type FakeRole = 'end-user' | 'agent' | 'admin';

export interface FakeUser {
  id: number;
  name: string;
  email: string;
  role: FakeRole;
  createdAt: string;
}

export type FakeAuditEvent =
  | { id: number; type: 'Create'; field_name: string; value: unknown }
  | { id: number; type: 'Change'; field_name: string; value: unknown; previous_value: unknown }
  | { id: number; type: 'Comment'; author_id: number; body: string; public: boolean }
  | { id: number; type: 'Notification'; subject: string; body: string; recipients: number[] };

export interface FakeAudit {
  id: number;
  ticketId: number;
  /** ISO instant, whole seconds. */
  createdAt: string;
  /** -1 for the system (automations, triggers). */
  authorId: number;
  channel: 'web' | 'email' | 'api' | 'rule';
  events: FakeAuditEvent[];
}

export interface FakeTicket {
  id: number;
  subject: string;
  description: string;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
  priority: 'urgent' | 'high' | 'normal' | 'low' | null;
  type: 'question' | 'incident' | 'problem' | 'task' | null;
  requesterId: number;
  submitterId: number;
  assigneeId: number | null;
  organizationId: number | null;
  groupId: number | null;
  brandId: number;
  tags: string[];
  customFields: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  /** Unix seconds of the last change of any kind (audits, and system updates that make none). */
  generatedTimestamp: number;
  audits: FakeAudit[];
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const seconds = (isoString: string): number => Math.floor(Date.parse(isoString) / 1000);

export const SYSTEM_USER = -1;
/** The text field "SLA due" of the generated worlds. */
export const SLA_DUE_FIELD_ID = 360_000_111;
export const CUSTOM_FIELD_IDS = [360_000_101, SLA_DUE_FIELD_ID] as const;

export interface TicketUpdate {
  authorId: number;
  at?: string;
  channel?: FakeAudit['channel'];
  status?: FakeTicket['status'];
  priority?: FakeTicket['priority'];
  requesterId?: number;
  assigneeId?: number | null;
  addTags?: readonly string[];
  removeTags?: readonly string[];
  customFields?: readonly { id: number; value: unknown }[];
  comment?: { authorId: number; body: string; public: boolean };
}

export class FakeZendeskWorld {
  readonly users = new Map<number, FakeUser>();
  readonly tickets = new Map<number, FakeTicket>();
  /** Bumped on every change: the server re-sorts its export views when it moves. */
  version = 0;
  /** The world's clock: "now" for the exports' last-minute exclusion and for API writes. */
  clockMs: number;
  /** The user behind the API credentials: whose writes ours are. */
  readonly apiUser: FakeUser;
  private nextIds = { user: 1000, ticket: 1, audit: 9_000_000_001, event: 20_000_000_001 };

  constructor(options: { startAt?: string } = {}) {
    this.clockMs = Date.parse(options.startAt ?? '2025-01-06T09:00:00Z');
    this.apiUser = this.addUser('sla-sync integration', 'admin', 'sla-sync@example.com');
  }

  /** Advances the clock and returns it: every API write happens at a second of its own. */
  tick(secondsAhead = 1): string {
    this.clockMs += secondsAhead * 1000;
    return iso(this.clockMs);
  }

  addUser(name: string, role: FakeRole, email = `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`): FakeUser {
    const user: FakeUser = { id: this.nextIds.user++, name, email, role, createdAt: iso(this.clockMs - 400 * 86_400_000) };
    this.users.set(user.id, user);
    return user;
  }

  private eventId(): number {
    return this.nextIds.event++;
  }

  createTicket(init: {
    at: string;
    requesterId: number;
    submitterId?: number;
    subject: string;
    description?: string;
    status?: FakeTicket['status'];
    priority?: FakeTicket['priority'];
    type?: FakeTicket['type'];
    tags?: string[];
    groupId?: number | null;
    organizationId?: number | null;
    public?: boolean;
    channel?: FakeAudit['channel'];
  }): FakeTicket {
    const submitterId = init.submitterId ?? init.requesterId;
    const ticket: FakeTicket = {
      id: this.nextIds.ticket++,
      subject: init.subject,
      description: init.description ?? `${init.subject}: details inside.`,
      status: init.status ?? 'new',
      priority: init.priority ?? null,
      type: init.type ?? null,
      requesterId: init.requesterId,
      submitterId,
      assigneeId: null,
      organizationId: init.organizationId ?? null,
      groupId: init.groupId ?? null,
      brandId: 360_000_001,
      tags: [...(init.tags ?? [])],
      customFields: {},
      createdAt: init.at,
      updatedAt: init.at,
      generatedTimestamp: seconds(init.at),
      audits: [],
    };
    const create = (field_name: string, value: unknown): FakeAuditEvent => ({ id: this.eventId(), type: 'Create', field_name, value });
    const events: FakeAuditEvent[] = [
      { id: this.eventId(), type: 'Comment', author_id: submitterId, body: ticket.description, public: init.public ?? true },
      create('subject', ticket.subject),
      create('status', ticket.status),
      create('priority', ticket.priority),
      create('type', ticket.type),
      create('requester_id', ticket.requesterId),
      create('group_id', ticket.groupId),
      create('tags', [...ticket.tags]),
    ];
    ticket.audits.push({ id: this.nextIds.audit++, ticketId: ticket.id, createdAt: init.at, authorId: submitterId, channel: init.channel ?? 'web', events });
    this.tickets.set(ticket.id, ticket);
    this.version++;
    return ticket;
  }

  /** One audit with the given changes; null (no audit, nothing touched) when nothing changes. */
  update(ticket: FakeTicket, u: TicketUpdate): FakeAudit | null {
    const at = u.at ?? this.tick();
    const events: FakeAuditEvent[] = [];
    const change = (field_name: string, value: unknown, previous_value: unknown): void => {
      events.push({ id: this.eventId(), type: 'Change', field_name, value, previous_value });
    };
    if (u.comment) events.push({ id: this.eventId(), type: 'Comment', author_id: u.comment.authorId, body: u.comment.body, public: u.comment.public });
    if (u.status !== undefined && u.status !== ticket.status) {
      change('status', u.status, ticket.status);
      ticket.status = u.status;
    }
    if (u.priority !== undefined && u.priority !== ticket.priority) {
      change('priority', u.priority, ticket.priority);
      ticket.priority = u.priority;
    }
    if (u.requesterId !== undefined && u.requesterId !== ticket.requesterId) {
      change('requester_id', u.requesterId, ticket.requesterId);
      ticket.requesterId = u.requesterId;
    }
    if (u.assigneeId !== undefined && u.assigneeId !== ticket.assigneeId) {
      change('assignee_id', u.assigneeId, ticket.assigneeId);
      ticket.assigneeId = u.assigneeId;
    }
    const tags = [...ticket.tags.filter((t) => !(u.removeTags ?? []).includes(t)), ...(u.addTags ?? []).filter((t) => !ticket.tags.includes(t))];
    const uniqueTags = [...new Set(tags)];
    if (uniqueTags.length !== ticket.tags.length || uniqueTags.some((t, i) => t !== ticket.tags[i])) {
      change('tags', uniqueTags, [...ticket.tags]);
      ticket.tags = uniqueTags;
    }
    for (const f of u.customFields ?? []) {
      const before = ticket.customFields[String(f.id)] ?? null;
      if (before === f.value) continue;
      change(String(f.id), f.value, before);
      ticket.customFields[String(f.id)] = f.value;
    }
    if (events.length === 0) return null;
    if (u.comment?.public && u.comment.authorId !== ticket.requesterId) {
      events.push({ id: this.eventId(), type: 'Notification', subject: `[Ticket #${ticket.id}] ${ticket.subject}`, body: '{{ticket.latest_public_comment}}', recipients: [ticket.requesterId] });
    }
    const audit: FakeAudit = { id: this.nextIds.audit++, ticketId: ticket.id, createdAt: at, authorId: u.authorId, channel: u.channel ?? (u.authorId === SYSTEM_USER ? 'rule' : 'web'), events };
    ticket.audits.push(audit);
    if (Date.parse(at) > Date.parse(ticket.updatedAt)) ticket.updatedAt = at;
    ticket.generatedTimestamp = Math.max(ticket.generatedTimestamp, seconds(at));
    this.version++;
    return audit;
  }

  /** A system update that makes no audit (archiving, a satisfaction survey sent): only generated_timestamp moves. */
  touch(ticket: FakeTicket, at: string = this.tick()): void {
    ticket.generatedTimestamp = Math.max(ticket.generatedTimestamp, seconds(at));
    this.version++;
  }

  isAgent(userId: number): boolean {
    const role = this.users.get(userId)?.role;
    return role === 'agent' || role === 'admin';
  }
}

export interface GenerateOptions {
  seed: number;
  tickets: number;
  startAt?: string;
  /** This many tickets get a tag at one same second at the end (a bulk update): many pages, one second. */
  bulkSameSecond?: number;
}

const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
const TAGS = ['billing', 'bug', 'vip', 'question', 'mobile'];

/**
 * A seeded world: ~7 audits a ticket on average, with every kind of history the mapper must read.
 * Tickets are created over weeks, each living for hours to days; solved tickets untouched for four
 * days are closed by the system, as Zendesk's default automation does.
 */
export function generateWorld(options: GenerateOptions): FakeZendeskWorld {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new FakeZendeskWorld({ startAt: options.startAt ?? '2025-01-06T09:00:00Z' });
  const agents = ['Alice Agent', 'Bob Agent', 'Chen Agent', 'Dana Agent', 'Eve Agent', 'Femi Agent'].map((n) => world.addUser(n, 'agent'));
  const admins = [world.addUser('Ada Admin', 'admin')];
  const staff = [...agents, ...admins];
  const endUsers = Array.from({ length: 80 }, (_, i) => world.addUser(`Customer ${i + 1}`, 'end-user'));
  const organizations = [7001, 7002, 7003, 7004, null];
  const groups = [360_100_001, 360_100_002, 360_100_003];
  let t = world.clockMs;
  let last = t;

  for (let n = 0; n < options.tickets; n++) {
    t += (Math.floor(random() * 110 * 60) + 1) * 1000;
    const roll = random();
    const internal = roll < 0.03; // an agent's own ticket: the agent is the requester
    const agentCreated = !internal && roll < 0.18; // an agent files it for a customer (phone call)
    const requester = internal ? pick(agents) : pick(endUsers);
    const submitter = internal || agentCreated ? (internal ? requester : pick(staff)) : requester;
    const ticket = world.createTicket({
      at: iso(t),
      requesterId: requester.id,
      submitterId: submitter.id,
      subject: `${pick(['Cannot log in', 'Invoice wrong', 'App crashes', 'Feature request', 'Password reset'])} (${n + 1})`,
      status: agentCreated ? pick(['open', 'open', 'pending'] as const) : internal ? 'open' : 'new',
      priority: random() < 0.3 ? null : pick(PRIORITIES),
      type: random() < 0.2 ? null : pick(['question', 'incident', 'problem', 'task'] as const),
      tags: random() < 0.5 ? [pick(TAGS)] : [],
      groupId: pick(groups),
      organizationId: pick(organizations),
      public: agentCreated ? random() < 0.8 : true,
      channel: agentCreated ? 'web' : pick(['web', 'email'] as const),
    });
    let at = t;
    const later = (maxMinutes: number): string => iso((at += (Math.floor(random() * maxMinutes * 60) + 1) * 1000));
    // Triggers firing on creation: a separate audit in the same second, by the system.
    if (random() < 0.2) world.update(ticket, { authorId: SYSTEM_USER, at: iso(t), priority: ticket.priority ?? 'normal', assigneeId: pick(agents).id });

    const steps = Math.floor(random() * 9);
    for (let s = 0; s < steps && ticket.status !== 'closed'; s++) {
      const step = random();
      const agent = pick(staff);
      if (step < 0.15) {
        world.update(ticket, { authorId: agent.id, at: later(600), comment: { authorId: agent.id, body: 'Internal: checking with engineering.', public: false } });
      } else if (step < 0.42) {
        const status = random() < 0.6 ? 'pending' : random() < 0.5 ? 'open' : 'solved';
        world.update(ticket, { authorId: agent.id, at: later(900), status, comment: { authorId: agent.id, body: 'Could you send us a screenshot?', public: true } });
      } else if (step < 0.62) {
        // The requester (or a CC'd customer) answers: Zendesk reopens pending and solved tickets.
        const author = random() < 0.8 ? world.users.get(ticket.requesterId)! : pick(endUsers);
        const reopens = ticket.status === 'pending' || ticket.status === 'solved' || ticket.status === 'new';
        world.update(ticket, { authorId: author.id, at: later(3000), ...(reopens ? { status: 'open' as const } : {}), comment: { authorId: author.id, body: 'Here it is.', public: true } });
      } else if (step < 0.7) {
        world.update(ticket, { authorId: agent.id, at: later(600), status: 'hold', comment: { authorId: agent.id, body: 'Waiting on a third party.', public: false } });
      } else if (step < 0.8) {
        world.update(ticket, { authorId: agent.id, at: later(600), priority: pick([null, ...PRIORITIES]) });
      } else if (step < 0.9) {
        world.update(ticket, { authorId: agent.id, at: later(1200), status: 'solved', comment: { authorId: agent.id, body: 'Fixed, closing this.', public: random() < 0.85 } });
      } else if (step < 0.95) {
        world.update(ticket, { authorId: agent.id, at: later(300), addTags: [pick(TAGS)] });
      } else {
        // The requester moves to a colleague.
        world.update(ticket, { authorId: agent.id, at: later(300), requesterId: pick(endUsers).id });
      }
    }
    last = Math.max(last, at);
  }
  const end = last + 86_400_000;
  // Default automation: solved tickets untouched for 4 days are closed.
  for (const ticket of world.tickets.values()) {
    const closeAt = Date.parse(ticket.updatedAt) + 4 * 86_400_000;
    if (ticket.status === 'solved' && closeAt < end) world.update(ticket, { authorId: SYSTEM_USER, at: iso(closeAt), status: 'closed', channel: 'rule' });
  }
  world.clockMs = end;

  if (options.bulkSameSecond) {
    const at = world.tick();
    for (const ticket of [...world.tickets.values()].filter((tk) => tk.status !== 'closed').slice(0, options.bulkSameSecond)) {
      world.update(ticket, { authorId: admins[0]!.id, at, addTags: ['bulk_reviewed'] });
    }
    world.tick(120);
  }
  return world;
}
