// The preview of a mapping or policy change: how many cases would change SLA state, and how.
import { METRICS, METRIC_STATES } from '../../../core/types.ts';
import type { ConfigPreview } from '../../../sync/admin-config.ts';
import { html } from '../html.ts';
import type { SafeHtml } from '../html.ts';

const METRIC_LABEL = { firstResponse: 'First response', resolution: 'Resolution' } as const;
const state = (s: string | null) => (s === null ? html`<span class="muted">none</span>` : html`<span class="lozenge state-${s}">${s.replace('_', ' ')}</span>`);

export function previewBox(preview: ConfigPreview): SafeHtml {
  return html`<section class="preview card" id="preview" role="status" aria-live="polite">
<h2>Preview: <span id="preview-count" data-changed="${preview.changedCases}">${preview.changedCases}</span> of ${preview.cases} cases would change SLA state</h2>
${preview.transitions.length === 0
    ? html`<p>No case would change state. Saving still records the change.</p>`
    : html`<div class="table-wrap"><table id="preview-transitions"><thead><tr><th>Metric</th><th>From</th><th>To</th><th class="num">Cases</th></tr></thead><tbody>
${preview.transitions.map((t) => html`<tr><td>${METRIC_LABEL[t.metric]}</td><td>${state(t.from)}</td><td>${state(t.to)}</td><td class="num">${t.cases}</td></tr>`)}
</tbody></table></div>`}
<h3>After saving</h3>
<div class="table-wrap"><table id="preview-after"><thead><tr><th>Metric</th>${METRIC_STATES.map((s) => html`<th class="num">${s.replace('_', ' ')}</th>`)}</tr></thead><tbody>
${METRICS.map((m) => html`<tr><td>${METRIC_LABEL[m]}</td>${METRIC_STATES.map((s) => html`<td class="num" data-metric="${m}" data-state="${s}">${preview.after[m][s] ?? 0}</td>`)}</tr>`)}
</tbody></table></div>
${preview.examples.length > 0 ? html`<details><summary>Cases that change (${preview.examples.length === 20 ? 'first 20' : preview.examples.length})</summary><ul>${preview.examples.map((e) => html`<li>${e.externalKey}: ${METRIC_LABEL[e.metric]} ${state(e.from)} → ${state(e.to)}</li>`)}</ul></details>` : ''}
<p class="muted">A dry run over the stored cases at this minute; nothing has been saved yet.</p>
</section>`;
}
