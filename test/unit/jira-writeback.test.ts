// The pure parts of the Jira writeback: the status lozenge, the SLA due value, the labels wanted and
// the fingerprint that keeps an unchanged SLA from being written again.
import { describe, expect, it } from 'vitest';
import type { MetricState, MetricStateName } from '../../src/core/types.ts';
import type { SlaSnapshot } from '../../src/connectors/types.ts';
import { formatShortDuration, propertiesFingerprint, slaDueValue, slaLozenge, statusPropertyKey, wantedSlaLabels } from '../../src/connectors/jira/writeback.ts';

function metric(state: MetricStateName, over: Partial<MetricState> = {}): MetricState {
  return {
    state,
    severity: 'S2',
    targetSeconds: 4 * 3600,
    elapsedSeconds: 3600,
    remainingSeconds: 3 * 3600,
    dueAt: '2025-03-03T17:00:00Z',
    atRiskAt: '2025-03-03T16:00:00Z',
    breachedAt: null,
    completedAt: null,
    ...over,
  };
}

const snapshot = (firstResponse: MetricState, resolution: MetricState, evaluatedAt = '2025-03-03T12:00:00Z'): SlaSnapshot => ({
  evaluation: { severity: 'S2', status: 'open', metrics: { firstResponse, resolution } },
  timezones: { firstResponse: 'Europe/Berlin', resolution: 'Europe/Berlin' },
  evaluatedAt,
});
const met = metric('met', { completedAt: '2025-03-03T10:00:00Z', remainingSeconds: 0 });

describe('slaLozenge', () => {
  it.each<[string, SlaSnapshot, string, string]>([
    ['the smaller time left of the running metrics', snapshot(metric('running', { remainingSeconds: 2 * 3600 + 10 * 60 + 59 }), metric('running', { remainingSeconds: 9 * 3600 })), '2h 10m left', 'inprogress'],
    ['an at-risk metric', snapshot(met, metric('at_risk', { remainingSeconds: 25 * 60 })), '25m left', 'moved'],
    ['a running metric beside a paused one', snapshot(metric('paused', { remainingSeconds: 60 }), metric('running', { remainingSeconds: 26 * 3600 })), '1d 2h left', 'inprogress'],
    ['every open metric paused', snapshot(met, metric('paused')), 'Paused', 'default'],
    ['a breach 35 minutes ago', snapshot(met, metric('breached', { breachedAt: '2025-03-03T11:25:00Z', remainingSeconds: 0 })), 'Breached 35m ago', 'removed'],
    ['a breach this minute', snapshot(met, metric('breached', { breachedAt: '2025-03-03T11:59:30Z', remainingSeconds: 0 })), 'Breached just now', 'removed'],
    ['the earlier of two breaches', snapshot(metric('breached', { breachedAt: '2025-03-01T09:00:00Z' }), metric('breached', { breachedAt: '2025-03-03T11:00:00Z' })), 'Breached 2d 3h ago', 'removed'],
    ['a solved case that met both', snapshot(met, metric('met', { completedAt: '2025-03-03T11:00:00Z' })), 'Met', 'success'],
    ['a solved case that missed one', snapshot(met, metric('breached', { breachedAt: '2025-03-03T09:00:00Z', completedAt: '2025-03-03T11:00:00Z' })), 'Missed', 'removed'],
  ])('%s', (_name, sla, label, type) => {
    expect(slaLozenge(sla)).toEqual({ type: 'lozenge', value: { label, type } });
  });

  it('formats durations with their two largest units', () => {
    expect([0, 59, 60, 3600, 3660, 86_400, 90_000, 93_600 + 120].map(formatShortDuration)).toEqual(['0m', '0m', '1m', '1h', '1h 1m', '1d', '1d 1h', '1d 2h']);
  });
});

describe('the other writeback values', () => {
  it('wants a label per state present', () => {
    expect(wantedSlaLabels(snapshot(met, metric('running')))).toEqual([]);
    expect(wantedSlaLabels(snapshot(metric('at_risk'), metric('breached')))).toEqual(['sla-at-risk', 'sla-breached']);
  });

  it('sets SLA due to the earliest due time of a metric still running, in Jira datetime form, or clears it', () => {
    expect(slaDueValue(snapshot(metric('running', { dueAt: '2025-03-03T17:00:00Z' }), metric('running', { dueAt: '2025-03-04T09:30:00Z' })))).toBe('2025-03-03T17:00:00.000+0000');
    expect(slaDueValue(snapshot(met, metric('breached', { dueAt: '2025-03-03T11:00:00Z' })))).toBe('2025-03-03T11:00:00.000+0000');
    expect(slaDueValue(snapshot(met, metric('met', { completedAt: '2025-03-03T11:00:00Z' })))).toBeNull();
    expect(slaDueValue(snapshot(met, metric('paused', { dueAt: null })))).toBeNull();
  });

  it('keeps the fingerprint while only the clock moves, and changes it with a state or a due time', () => {
    const now = snapshot(met, metric('running', { remainingSeconds: 3 * 3600 }));
    const later = snapshot(met, metric('running', { remainingSeconds: 2 * 3600, elapsedSeconds: 7200 }), '2025-03-03T13:00:00Z');
    expect(propertiesFingerprint(later)).toBe(propertiesFingerprint(now));
    expect(propertiesFingerprint(snapshot(met, metric('at_risk')))).not.toBe(propertiesFingerprint(now));
    expect(propertiesFingerprint(snapshot(met, metric('running', { dueAt: '2025-03-03T18:00:00Z' })))).not.toBe(propertiesFingerprint(now));
  });

  it('names the context status property after the app and module keys', () => {
    expect(statusPropertyKey({ appKey: 'sla-sync', moduleKey: 'sla-panel' })).toBe('com.atlassian.jira.issue:sla-sync:sla-panel:status');
  });
});
