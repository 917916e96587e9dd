// Benchmark section "engine" (issue 2, item 7): SLA case evaluations per second on a generated
// corpus. Policies are compiled once each (as the sync layer will do), the corpus is evaluated once
// untimed (JIT warm-up, and the calendars' lazy ~50-day chunks get built), then batches of cases
// are timed. The `compute(input)` path (ISO `now`, policy object in the input) is timed
// the same way, plus a smaller run where every input carries its own copy of the policy, as when
// the CLI parses a JSON array of inputs (compilePolicy's identity cache misses every time).
import { compilePolicy, computeMetricStates } from '../src/core/metrics.ts';
import type { CompiledPolicy } from '../src/core/metrics.ts';
import { compute } from '../src/core/compute.ts';
import { validateComputeInput } from '../src/core/validate.ts';
import type { CaseEvaluation, ComputeInput, MetricStateName } from '../src/core/types.ts';
import { METRIC_STATES } from '../src/core/types.ts';
import { BENCH_ZONES, benchPolicies, fmtInt, generateCases, table, timeSeconds } from './corpus.ts';
import type { BenchCase } from './corpus.ts';

const SEED = 20_260_101;

export interface EngineOptions {
  /** Cases in the corpus (default 50,000). */
  cases?: number;
  /** Seconds of timed evaluation per path (default 1). */
  seconds?: number;
}

/** Fold an evaluation into a number, so no work can be optimised away and runs can be compared. */
function digest(e: CaseEvaluation): number {
  return e.metrics.resolution.elapsedSeconds + e.metrics.firstResponse.elapsedSeconds + (e.metrics.resolution.dueAt?.length ?? 0);
}

const BATCH = 5_000;

interface Measured {
  cases: number;
  medianRate: number;
  bestRate: number;
}

/**
 * Times `evaluate` over consecutive batches of `batch` items (cycling through them) until `seconds`
 * have been spent, and at least 5 batches. The median batch rate is the figure; the best batch is
 * shown too, as the machine's other tenants make single batches slower, never faster.
 */
function measure<T>(items: readonly T[], evaluate: (item: T) => number, seconds: number, batch = BATCH): Measured {
  const rates: number[] = [];
  let spent = 0;
  let done = 0;
  let sink = 0;
  for (let offset = 0; spent < seconds || rates.length < 5; offset = (offset + batch) % items.length) {
    const end = Math.min(offset + batch, items.length);
    const s = timeSeconds(() => {
      for (let i = offset; i < end; i++) sink += evaluate(items[i]!);
    });
    spent += s;
    done += end - offset;
    rates.push((end - offset) / s);
  }
  if (Number.isNaN(sink)) throw new Error('evaluation produced NaN');
  rates.sort((a, b) => a - b);
  return { cases: done, medianRate: rates[rates.length >> 1]!, bestRate: rates[rates.length - 1]! };
}

export function runEngineBench(options: EngineOptions = {}): string[] {
  const count = options.cases ?? 50_000;
  const seconds = options.seconds ?? 1;

  const policies = benchPolicies();
  let cases: BenchCase[] = [];
  const genSeconds = timeSeconds(() => {
    cases = generateCases(count, policies.length, SEED);
  });
  const eventCount = cases.reduce((n, c) => n + c.events.length, 0);
  const eventsPerCase = eventCount / cases.length;

  // The corpus must be valid input of the public contract: check a sample (untimed).
  for (const c of cases.slice(0, 500)) {
    const checked = validateComputeInput({ now: c.now, policy: policies[c.policyIndex], case: { events: c.events } });
    if (!checked.ok) throw new Error(`bench corpus produced invalid input: ${checked.errors.join('; ')}`);
  }

  // Policies compiled once each, as the sync layer will.
  const compiled: CompiledPolicy[] = policies.map(compilePolicy);
  const viaEngine = (c: BenchCase): number => digest(computeMetricStates(compiled[c.policyIndex]!, c.events, c.nowMs));
  const inputs: ComputeInput[] = cases.map((c) => ({ now: c.now, policy: policies[c.policyIndex]!, case: { events: c.events } }));
  const viaCompute = (input: ComputeInput): number => digest(compute(input));
  // As the CLI gets them from a JSON array: every input has its own policy object.
  // Exactly one pass over them (5 batches of 2,000), so no policy object is met twice.
  const freshInputs: ComputeInput[] = inputs.slice(0, 10_000).map((i) => JSON.parse(JSON.stringify(i)) as ComputeInput);

  // Warm-up (untimed): JIT, and every calendar chunk the corpus touches; also the mix of outcomes,
  // so the corpus is seen to exercise every state.
  const mix = new Map<MetricStateName, number>(METRIC_STATES.map((s) => [s, 0]));
  let warm = 0;
  const warmSeconds = timeSeconds(() => {
    for (const c of cases) {
      const e = computeMetricStates(compiled[c.policyIndex]!, c.events, c.nowMs);
      warm += digest(e);
      for (const m of [e.metrics.firstResponse, e.metrics.resolution]) mix.set(m.state, mix.get(m.state)! + 1);
    }
  });
  // The two paths must agree.
  for (let i = 0; i < BATCH; i++) {
    if (viaCompute(inputs[i]!) !== viaEngine(cases[i]!)) throw new Error(`compute and computeMetricStates disagree on case ${i}`);
  }

  const engine = measure(cases, viaEngine, seconds);
  const full = measure(inputs, viaCompute, seconds);
  const fresh = measure(freshInputs, viaCompute, 0, 2_000);

  const mixTotal = 2 * cases.length;

  const row = (label: string, m: Measured): string[] => [
    label,
    fmtInt(m.cases),
    fmtInt(m.medianRate),
    fmtInt(m.medianRate * eventsPerCase),
    `${(1e6 / m.medianRate).toFixed(1)} us`,
    fmtInt(m.bestRate),
  ];
  return [
    `corpus: ${fmtInt(cases.length)} cases, ${fmtInt(eventCount)} events (${eventsPerCase.toFixed(1)} a case), ` +
      `${policies.length} policies over ${BENCH_ZONES.length} zones, seed ${SEED}; generated in ${genSeconds.toFixed(2)} s, warm-up pass ${warmSeconds.toFixed(2)} s (digest ${warm.toFixed(0)})`,
    `metric states: ${[...mix].map(([s, n]) => `${s} ${((100 * n) / mixTotal).toFixed(1)}%`).join(', ')}`,
    '',
    ...table(
      ['path (one core, timed in batches)', 'cases', 'cases/s', 'events/s', 'per case', 'best batch/s'],
      [
        row('computeMetricStates(compiled policy, events, now ms)', engine),
        row('compute(input): ISO now, shared policy object', full),
        row('compute(input): own policy copy per input (CLI array)', fresh),
      ],
    ),
    '',
    `target >= 100,000 case evaluations/s (computeMetricStates, median): ${fmtInt(engine.medianRate)} -> ${engine.medianRate >= 100_000 ? 'MET' : 'NOT MET'}`,
  ];
}
