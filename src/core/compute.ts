// The public `compute` contract (issue 2): one validated input object to one case evaluation.
import { computeMetricStates } from './metrics.ts';
import type { CaseEvaluation, ComputeInput } from './types.ts';

export function compute(input: ComputeInput): CaseEvaluation {
  return computeMetricStates(input.policy, input.case.events, input.now);
}
