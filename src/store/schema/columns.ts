// Column helpers and Postgres enum types shared by the entity files.
//
// Every instant is `timestamptz` read and written in drizzle's 'date' mode: the drivers hand back
// a JS Date whatever the session TimeZone is (mode 'string' returns Postgres' text form, whose
// offset follows the server's TimeZone setting). Repositories turn Dates into the ISO strings of
// src/core with `toIsoInstant` (src/store/instants.ts).
import { pgEnum, timestamp } from 'drizzle-orm/pg-core';
import { METRICS, METRIC_STATES, SEVERITIES, STATUSES } from '../../core/types.ts';
import type { EventType } from '../../core/types.ts';

export const SOURCES = ['jira', 'zendesk', 'github'] as const;
export type Source = (typeof SOURCES)[number];

// Core exports the type only; this list must name every event type (checked just below).
export const EVENT_TYPES = ['created', 'status', 'severity', 'agent_reply'] as const satisfies readonly EventType[];
type MissingEventType = Exclude<EventType, (typeof EVENT_TYPES)[number]>;
const _everyEventTypeListed: [MissingEventType] extends [never] ? true : MissingEventType = true;

export const WRITEBACK_OUTCOMES = ['ok', 'failed', 'skipped'] as const;
export type WritebackOutcome = (typeof WRITEBACK_OUTCOMES)[number];

export const sourceEnum = pgEnum('source', SOURCES);
export const severityEnum = pgEnum('severity', SEVERITIES);
export const statusEnum = pgEnum('status', STATUSES);
export const eventTypeEnum = pgEnum('event_type', EVENT_TYPES);
export const metricEnum = pgEnum('metric', METRICS);
export const metricStateEnum = pgEnum('metric_state', METRIC_STATES);
export const writebackOutcomeEnum = pgEnum('writeback_outcome', WRITEBACK_OUTCOMES);

/** A timestamptz column in 'date' mode (see the note at the top). */
export function timestamptz(name: string) {
  return timestamp(name, { withTimezone: true, mode: 'date' });
}
