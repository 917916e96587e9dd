// Ticket lives for the demo, independent of the tool they happen in: when a ticket is opened, at
// which severity, and when agents reply, ask the customer for something (a pause), solve, see it
// reopened, or raise its priority. Replies and solves are timed against the ticket's own targets in
// business time (the engine's calendars), so most meet them and some miss them, as in a real
// quarter. Deterministic: the same seed and end give the same stories.
import { compileCalendar } from '../../src/core/calendar.ts';
import type { BusinessCalendar } from '../../src/core/calendar.ts';
import type { Policy, Severity } from '../../src/core/types.ts';
import { seededRandom } from '../../test/fakes/loopback.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type Customer = 'finance' | 'marketing' | 'platform' | null;

export type Step =
  /** An agent's public reply; `pause`: it asks the customer something (pending, waiting for customer). */
  | { kind: 'reply'; at: number; pause?: boolean }
  /** The customer writes; `resume`: it answers a pause; `reopen`: it reopens a solved ticket. */
  | { kind: 'customer'; at: number; resume?: boolean; reopen?: boolean }
  /** An agent's internal note (never a reply). */
  | { kind: 'note'; at: number }
  | { kind: 'priority'; at: number; severity: Severity }
  | { kind: 'solve'; at: number };

export interface Story {
  createdAt: number;
  /** The severity it was opened with (a priority step may change it). */
  severity: Severity;
  customer: Customer;
  subject: string;
  /** In time order, all before the end. */
  steps: Step[];
}

export interface StoryOptions {
  seed: number;
  /** The quarter ends here (the demo's now). */
  endMs: number;
  count: number;
  /** Share of tickets per customer (the rest have none). */
  customers: Partial<Record<Exclude<Customer, null>, number>>;
  policies: Record<'standard' | 'gold', Policy>;
  subjects: readonly string[];
}

const SEVERITY_WEIGHTS: [Severity, number][] = [['S1', 0.08], ['S2', 0.2], ['S3', 0.45], ['S4', 0.27]];
const ORDER: readonly Severity[] = ['S1', 'S2', 'S3', 'S4'];

interface Targets {
  firstResponseMs: number;
  resolutionMs: number;
  calendar: BusinessCalendar;
}

function targetsOf(policy: Policy, severity: Severity): Targets {
  const t = policy.severities[severity]!;
  return { firstResponseMs: t.firstResponseMinutes * MINUTE, resolutionMs: t.resolutionMinutes * MINUTE, calendar: compileCalendar(t.calendar ?? policy.calendar) };
}

/** The quarter's tickets (plus a few opened just now, at risk), sorted by creation. */
export function generateStories(options: StoryOptions): Story[] {
  const random = seededRandom(options.seed);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const weighted = <T>(items: readonly [T, number][]): T => {
    let roll = random() * items.reduce((sum, [, w]) => sum + w, 0);
    for (const [item, w] of items) if ((roll -= w) <= 0) return item;
    return items[items.length - 1]![0];
  };
  const officeHours = compileCalendar(options.policies.standard.calendar);
  const start = options.endMs - 91 * DAY;
  const customerShares = Object.entries(options.customers) as [Exclude<Customer, null>, number][];

  const stories: Story[] = [];
  for (let n = 0; n < options.count; n++) {
    // Most tickets come in during office hours; some at night and at weekends.
    let createdAt = Math.round(between(start, options.endMs - 2 * HOUR));
    for (let tries = 0; tries < 6 && random() < 0.8 && officeHours.businessMsBetween(createdAt, createdAt + MINUTE) === 0; tries++) {
      createdAt = Math.round(between(start, options.endMs - 2 * HOUR));
    }
    let customer: Customer = null;
    let roll = random();
    for (const [name, share] of customerShares) {
      if (roll < share) {
        customer = name;
        break;
      }
      roll -= share;
    }
    const finalSeverity = weighted(SEVERITY_WEIGHTS);
    stories.push(liveOf({ createdAt, customer, finalSeverity, subject: pick(options.subjects) }));
  }

  function liveOf(init: { createdAt: number; customer: Customer; finalSeverity: Severity; subject: string }): Story {
    const { createdAt, finalSeverity } = init;
    const policy = init.customer === 'finance' ? options.policies.gold : options.policies.standard;
    const t = targetsOf(policy, finalSeverity);
    const cal = t.calendar;
    const steps: Step[] = [];
    // One ticket in seven is opened at a neighbouring priority and changed by triage: raising it
    // can breach at once, retroactively.
    let severity = finalSeverity;
    if (random() < 0.14) {
      const i = ORDER.indexOf(finalSeverity);
      severity = ORDER[i === 3 ? 2 : i === 0 ? 1 : random() < 0.5 ? i - 1 : i + 1]!;
      steps.push({ kind: 'priority', at: createdAt + Math.round(between(5, 50) * MINUTE), severity: finalSeverity });
    }
    if (random() < 0.015) {
      // Nobody ever answered: the first response is breached and still open.
      return { createdAt, severity, customer: init.customer, subject: init.subject, steps: finish(steps) };
    }
    const frFactor = random() < 0.06 ? between(1.1, 2.6) : between(0.05, 0.9);
    const replyAt = Math.max(cal.addBusinessMs(createdAt, Math.round(t.firstResponseMs * frFactor)), createdAt + MINUTE);
    if (random() < 0.25) steps.push({ kind: 'note', at: createdAt + Math.round((replyAt - createdAt) * between(0.2, 0.8)) });
    const pause = random() < 0.35;
    steps.push({ kind: 'reply', at: replyAt, ...(pause ? { pause: true } : {}) });
    let resumeAt = replyAt;
    if (pause) {
      resumeAt = replyAt + Math.round(between(1 * HOUR, 3 * DAY));
      steps.push({ kind: 'customer', at: resumeAt, resume: true });
    }
    if (random() < 0.03) return { createdAt, severity, customer: init.customer, subject: init.subject, steps: finish(steps) }; // stuck: never solved
    // Resolution: business time spent before the pause, the rest after it.
    const resFactor = random() < 0.06 ? between(1.05, 1.9) : between(0.2, 0.95);
    const budget = Math.round(t.resolutionMs * resFactor);
    const used = cal.businessMsBetween(createdAt, replyAt);
    const solveAt = Math.max(cal.addBusinessMs(resumeAt, Math.max(budget - used, 10 * MINUTE)), resumeAt + 10 * MINUTE);
    if (random() < 0.3) steps.push({ kind: 'customer', at: resumeAt + Math.round((solveAt - resumeAt) * between(0.1, 0.6)) });
    steps.push({ kind: 'solve', at: solveAt });
    if (random() < 0.1) {
      // "It's back": the customer reopens it and the same resolution clock resumes.
      const reopenAt = solveAt + Math.round(between(3 * HOUR, 4 * DAY));
      steps.push({ kind: 'customer', at: reopenAt, reopen: true });
      steps.push({ kind: 'reply', at: cal.addBusinessMs(reopenAt, Math.round(t.firstResponseMs * between(0.1, 0.8))) });
      steps.push({ kind: 'solve', at: cal.addBusinessMs(reopenAt, Math.round(t.resolutionMs * between(0.05, 0.4))) });
    }
    return { createdAt, severity, customer: init.customer, subject: init.subject, steps: finish(steps) };
  }

  /** Time order, and nothing after the end: those steps have not happened yet. */
  function finish(steps: Step[]): Step[] {
    return steps.filter((s) => s.at < options.endMs - MINUTE).sort((a, b) => a.at - b.at);
  }

  // Opened just now, S1 around the clock: at risk whenever the demo starts (then breaching while it
  // runs, so breach timers flip their labels live). Two on resolution, one on first response.
  const s1 = targetsOf(options.policies.standard, 'S1');
  for (const share of [0.8, 0.86]) {
    const createdAt = options.endMs - Math.round(s1.resolutionMs * share);
    stories.push({ createdAt, severity: 'S1', customer: null, subject: pick(options.subjects), steps: [{ kind: 'reply', at: createdAt + Math.round(s1.firstResponseMs * 0.4) }] });
  }
  stories.push({ createdAt: options.endMs - Math.round(s1.firstResponseMs * 0.82), severity: 'S1', customer: null, subject: pick(options.subjects), steps: [] });

  return stories.sort((a, b) => a.createdAt - b.createdAt);
}
