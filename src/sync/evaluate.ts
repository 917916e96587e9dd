// From vendor events to stored events to SLA states. Raw priorities are kept with each stored event
// so that a changed priority mapping re-evaluates without re-fetching anything.
import type { CaseInput as SourceCase, SourceEvent } from '../connectors/types.ts';
import type { CompiledPolicy } from '../core/metrics.ts';
import { computeMetricStates } from '../core/metrics.ts';
import type { CaseEvaluation, CaseEvent, MetricName, Severity } from '../core/types.ts';
import { METRICS } from '../core/types.ts';
import type { CaseEventInput, CaseInput as StoreCase } from '../store/cases-repo.ts';

/** Raw vendor priority -> severity, as the admin set it. */
export type PriorityMap = ReadonlyMap<string, Severity>;

export function priorityMap(mappings: readonly { rawPriority: string; severity: Severity }[]): PriorityMap {
  return new Map(mappings.map((m) => [m.rawPriority, m.severity]));
}

/** Exact match first; then case-insensitively (GitHub labels and Jira priority names ignore case). */
export function mapPriority(raw: string | null | undefined, mapping: PriorityMap): Severity | undefined {
  if (raw === null || raw === undefined) return undefined;
  const exact = mapping.get(raw);
  if (exact) return exact;
  const lower = raw.toLowerCase();
  for (const [key, severity] of mapping) if (key.toLowerCase() === lower) return severity;
  return undefined;
}

function toStoredEvent(event: SourceEvent, mapping: PriorityMap, defaultSeverity: Severity): CaseEventInput {
  switch (event.type) {
    case 'created': {
      const severity = mapPriority(event.rawPriority, mapping);
      return {
        at: event.at,
        type: 'created',
        status: event.status,
        ...(severity ? { severity } : {}),
        data: { rawPriority: event.rawPriority, ...(event.rawStatus === undefined ? {} : { rawStatus: event.rawStatus }) },
      };
    }
    case 'priority':
      return {
        at: event.at,
        type: 'severity',
        severity: mapPriority(event.rawPriority, mapping) ?? defaultSeverity,
        data: { rawPriority: event.rawPriority },
      };
    case 'status':
      return { at: event.at, type: 'status', status: event.status, ...(event.rawStatus === undefined ? {} : { data: { rawStatus: event.rawStatus } }) };
    case 'agent_reply':
      return { at: event.at, type: 'agent_reply', ...(event.author === undefined ? {} : { data: { author: event.author } }) };
  }
}

/** A connector's case as the store keeps it, with severities mapped as of now. */
export function toStoreCase(source: SourceCase, mapping: PriorityMap, defaultSeverity: Severity): StoreCase {
  return {
    externalId: source.externalId,
    externalKey: source.externalKey,
    url: source.url,
    title: source.title,
    rawPriority: source.rawPriority,
    severity: mapPriority(source.rawPriority, mapping) ?? defaultSeverity,
    status: source.status,
    createdAt: source.createdAt,
    updatedAt: source.updatedAt,
    attributes: source.attributes,
    events: source.events.map((e) => toStoredEvent(e, mapping, defaultSeverity)),
  };
}

/** Stored events to the engine's, mapping raw priorities again with the current mapping. */
export function toCoreEvents(events: readonly CaseEventInput[], mapping: PriorityMap, defaultSeverity: Severity): CaseEvent[] {
  return events.map((event): CaseEvent => {
    const data = event.data;
    const hasRaw = data !== undefined && Object.hasOwn(data, 'rawPriority');
    const raw = hasRaw ? (data.rawPriority as string | null) : undefined;
    switch (event.type) {
      case 'created': {
        const severity = hasRaw ? mapPriority(raw, mapping) : event.severity;
        return { at: event.at, type: 'created', ...(event.status ? { status: event.status } : {}), ...(severity ? { severity } : {}) };
      }
      case 'severity':
        return { at: event.at, type: 'severity', severity: hasRaw ? (mapPriority(raw, mapping) ?? defaultSeverity) : event.severity };
      case 'status':
        return { at: event.at, type: 'status', status: event.status };
      case 'agent_reply':
        return { at: event.at, type: 'agent_reply' };
    }
  });
}

export function evaluateEvents(policy: CompiledPolicy, events: readonly CaseEventInput[], mapping: PriorityMap, nowMs: number): CaseEvaluation {
  return computeMetricStates(policy, toCoreEvents(events, mapping, policy.policy.defaultSeverity), nowMs);
}

/**
 * What writeback cares about: states and due times. Elapsed and remaining time change every
 * minute and are left out, so an unchanged SLA never causes a write.
 */
export function slaFingerprint(evaluation: { metrics: Record<MetricName, { state: string; dueAt: string | null; severity: Severity }> }): string {
  return METRICS.map((m) => {
    const s = evaluation.metrics[m];
    return `${m}:${s.state}:${s.severity}:${s.dueAt ?? '-'}`;
  }).join('|');
}
