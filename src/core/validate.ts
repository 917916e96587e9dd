// Validation of the `compute` contract's input (issue 2): every bad field is reported by its path
// and value, e.g. `policy.calendar.week.mon[0][0]: "9am" is not HH:MM`. Used by the CLI, the API
// and the config loader, so a policy that passes here can never make the engine throw.
import { z } from 'zod';
import { isIanaZone, parseLocalDate, parseWallClock } from './calendar.ts';
import type { CalendarInput, ComputeInput, Policy, Severity } from './types.ts';
import { SEVERITIES, STATUSES, WEEKDAYS } from './types.ts';

const wallClock = z.string({ error: 'is not HH:MM' }).refine((s) => parseWallClock(s) !== null, { error: 'is not HH:MM' });

const interval = z
  .tuple([wallClock, wallClock], { error: 'is not a ["HH:MM","HH:MM"] interval' })
  .refine(([s, e]) => parseWallClock(s)! < parseWallClock(e)!, {
    error: 'ends before it starts (write an overnight shift as "22:00"-"24:00" plus "00:00"-"06:00" of the next day)',
  });

const dayHours = z.array(interval, { error: 'is not a list of intervals' }).superRefine((intervals, ctx) => {
  const sorted = intervals
    .map(([s, e], index) => ({ s: parseWallClock(s) ?? 0, e: parseWallClock(e) ?? 0, index }))
    .sort((a, b) => a.s - b.s);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.s < sorted[i - 1]!.e) {
      ctx.addIssue({ code: 'custom', message: `overlaps interval [${sorted[i - 1]!.index}]`, path: [sorted[i]!.index], input: intervals[sorted[i]!.index] });
    }
  }
});

const week = z.strictObject(
  Object.fromEntries(WEEKDAYS.map((d) => [d, dayHours.optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<typeof dayHours>>,
  { error: 'is not an object of weekdays (mon..sun)' },
);

const calendarSpec = z
  .strictObject(
    {
      timezone: z.string({ error: 'is not an IANA zone' }).refine(isIanaZone, { error: 'is not an IANA zone' }),
      week,
      holidays: z.array(z.string({ error: 'is not a YYYY-MM-DD date' }).refine((d) => parseLocalDate(d) !== null, { error: 'is not a YYYY-MM-DD date' })).optional(),
    },
    { error: 'is not a calendar object or "24x7"' },
  )
  .superRefine((c, ctx) => {
    if (!Object.values(c.week).some((day) => (day?.length ?? 0) > 0)) {
      ctx.addIssue({ code: 'custom', message: 'has no business hours on any day', path: ['week'], input: c.week });
    }
  });

export const calendarInputSchema: z.ZodType<CalendarInput> = z.union([z.literal('24x7'), calendarSpec], {
  error: (issue) => (typeof issue.input === 'string' ? 'is not "24x7" or a calendar object' : undefined),
});

const severity = z.enum(SEVERITIES, { error: 'is not a severity (S1..S4)' });
const status = z.enum(STATUSES, { error: `is not a status (${STATUSES.join(', ')})` });
const minutes = z.number({ error: 'is not a number of minutes' }).int({ error: 'is not a whole number of minutes' }).positive({ error: 'is not a positive number of minutes' });
const percent = z.number({ error: 'is not a percentage' }).min(0, { error: 'is not between 0 and 100' }).max(100, { error: 'is not between 0 and 100' });

const severityTargets = z.strictObject({
  firstResponseMinutes: minutes,
  resolutionMinutes: minutes,
  calendar: calendarInputSchema.optional(),
  objectivePercent: percent.optional(),
});

export const policySchema = z
  .strictObject({
    calendar: calendarInputSchema.optional(),
    severities: z.strictObject(
      Object.fromEntries(SEVERITIES.map((s) => [s, severityTargets.optional()])) as Record<(typeof SEVERITIES)[number], z.ZodOptional<typeof severityTargets>>,
      { error: 'is not an object of severities (S1..S4)' },
    ),
    defaultSeverity: severity,
    pauseStatuses: z.array(status).optional(),
    pauseFirstResponse: z.boolean({ error: 'is not true or false' }).optional(),
    atRiskPercent: percent.optional(),
  })
  .superRefine((policy, ctx) => {
    if (!policy.severities[policy.defaultSeverity]) {
      ctx.addIssue({ code: 'custom', message: 'has no targets in policy.severities', path: ['defaultSeverity'], input: policy.defaultSeverity });
    }
    for (const done of ['solved', 'closed'] as const) {
      const index = policy.pauseStatuses?.indexOf(done) ?? -1;
      if (index >= 0) ctx.addIssue({ code: 'custom', message: 'completes the clock and cannot pause it', path: ['pauseStatuses', index], input: done });
    }
  }) as z.ZodType<Policy>;

const instant = z.iso.datetime({ offset: true, error: 'is not an ISO 8601 instant with a zone (e.g. 2026-12-28T15:00:00Z)' });

const event = z.discriminatedUnion(
  'type',
  [
    z.looseObject({ at: instant, type: z.literal('created'), status: status.optional(), severity: severity.optional() }),
    z.looseObject({ at: instant, type: z.literal('status'), status }),
    z.looseObject({ at: instant, type: z.literal('severity'), severity }),
    z.looseObject({ at: instant, type: z.literal('agent_reply') }),
  ],
  { error: 'is not an event of type created, status, severity or agent_reply' },
);

export const computeInputSchema = z
  .looseObject({
    now: instant,
    policy: policySchema,
    case: z.looseObject({ events: z.array(event, { error: 'is not a list of events' }).min(1, { error: 'is empty: a case needs its created event' }) }),
  }, { error: 'is not an object with now, policy and case' })
  .superRefine((input, ctx) => {
    const events = input.case.events;
    const defined = input.policy.severities;
    let previous = Number.NEGATIVE_INFINITY;
    events.forEach((e, i) => {
      if (i === 0 && e.type !== 'created') ctx.addIssue({ code: 'custom', message: 'is not "created": a case starts with its created event', path: ['case', 'events', 0, 'type'], input: e.type });
      if (i > 0 && e.type === 'created') ctx.addIssue({ code: 'custom', message: 'is a second created event', path: ['case', 'events', i, 'type'], input: e.type });
      const at = Date.parse(e.at);
      if (at < previous) ctx.addIssue({ code: 'custom', message: `is earlier than case.events[${i - 1}].at: events are in time order`, path: ['case', 'events', i, 'at'], input: e.at });
      previous = Math.max(previous, at);
      const eventSeverity = (e as { severity?: Severity }).severity;
      if (eventSeverity !== undefined && !defined[eventSeverity]) {
        ctx.addIssue({ code: 'custom', message: 'has no targets in policy.severities', path: ['case', 'events', i, 'severity'], input: eventSeverity });
      }
    });
  }) as unknown as z.ZodType<ComputeInput>;

/** `a.b[0][1].c` from a zod path. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Parse with a schema, turning every issue into `path: value message`. */
export function validateWith<T>(schema: z.ZodType<T>, raw: unknown, prefix = ''): Validated<T> {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  const errors: string[] = [];
  const visit = (issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[]): void => {
    for (const issue of issues) {
      const path = [...base, ...issue.path];
      // A calendar is "24x7" or an object: report the object's own problems, not the union.
      if (issue.code === 'invalid_union' && issue.errors.length > 0) {
        const objectBranch = issue.errors.find((branch) => branch.some((i) => i.path.length > 0 || i.code !== 'invalid_value'));
        if (objectBranch && typeof issue.input === 'object' && issue.input !== null) {
          visit(objectBranch, path);
          continue;
        }
      }
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) errors.push(`${formatPath([...path, key], prefix)}: is not a known field`);
        continue;
      }
      const where = formatPath(path, prefix) || '(input)';
      if (issue.input === undefined) {
        errors.push(`${where}: is required`);
        continue;
      }
      // A discriminated union reports the whole object at the discriminator's path: show the value.
      const last = path[path.length - 1];
      const shown = issue.code === 'invalid_union' && typeof last === 'string' && typeof issue.input === 'object' && issue.input !== null && last in issue.input
        ? (issue.input as Record<string, unknown>)[last]
        : issue.input;
      errors.push(`${where}: ${describeValue(shown)} ${issue.message}`);
    }
  };
  visit(result.error.issues, []);
  return { ok: false, errors: [...new Set(errors)] };
}

export function validateComputeInput(raw: unknown, prefix = ''): Validated<ComputeInput> {
  return validateWith(computeInputSchema, raw, prefix);
}

export function validatePolicy(raw: unknown, prefix = 'policy'): Validated<Policy> {
  return validateWith(policySchema, raw, prefix);
}
