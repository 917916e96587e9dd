// The case page for people signed in to sla-sync (issue 7): the ticking countdown of each clock and,
// below it, the explanation: the agreement that applies and why, then every event with what it did
// to each clock, ending in the same states the engine computes.
import { formatDuration } from '../../core/explain.ts';
import { METRICS } from '../../core/types.ts';
import type { CaseExplanation } from '../../sync/explain.ts';
import { METRIC_LABELS } from '../../sync/case-sla.ts';
import type { PageOptions } from './html.ts';
import { html, page } from './html.ts';

/** Where the page's countdown and JSON link read from; the signed-in API unless given (the Zendesk sidebar's signed links). */
export interface CasePageLinks {
  sla: string;
  explainJson: string;
}

export function casePage(explanation: CaseExplanation, options: PageOptions & { links?: CasePageLinks }): string {
  const c = explanation.case;
  const links = options.links ?? { sla: `/api/cases/${c.id}/sla`, explainJson: `/api/cases/${c.id}/explain` };
  return page(
    `${c.externalKey} SLA`,
    html`<h1><a href="${c.url}" rel="noopener">${c.externalKey}</a> ${c.title}</h1>
<div class="sla-panel" data-sla-src="${links.sla}"><p class="muted">Loading the SLA…</p></div>
<section id="explain">
<h2>Why this SLA</h2>
<table class="explain-agreement">
<tr><th>Connection</th><td>${c.connection}</td></tr>
<tr><th>Customer</th><td>${explanation.customer ?? 'none matched'}</td></tr>
<tr><th>Policy</th><td>${explanation.policy}</td></tr>
<tr><th>Chosen by</th><td>${explanation.rule === null ? 'the connection’s default policy (no rule matched)' : html`rule <strong>${explanation.rule}</strong>`}</td></tr>
<tr><th>Calendars</th><td>${Object.entries(explanation.calendars).map(([severity, label]) => html`${severity}: ${label}<br>`)}</td></tr>
</table>
<h3>Every clock change</h3>
<div class="table-wrap"><table class="explain-steps">
<thead><tr><th>When (UTC)</th><th>What happened</th><th>What it did to the clocks</th></tr></thead>
<tbody>
${explanation.steps.map(
  (s) => html`<tr${s.ignored ? html` class="muted"` : ''}><td>${s.at.replace('T', ' ').replace('Z', '')}</td><td>${s.what}</td><td>${
    s.ignored ? 'ignored: after now' : s.effects.length === 0 ? html`<span class="muted">no clock change</span>` : s.effects.map((e) => html`${METRIC_LABELS[e.metric]} ${e.change.replace('_', ' ')} (${e.detail})<br>`)
  }</td></tr>`,
)}
<tr><td>${explanation.now.replace('T', ' ').replace('Z', '')}</td><td>now</td><td>${METRICS.map((metric) => {
      const m = explanation.result.metrics[metric];
      return html`${METRIC_LABELS[metric]}: <span class="state-${m.state}">${m.state.replace('_', ' ')}</span>, ${formatDuration(m.elapsedSeconds)} of ${formatDuration(m.targetSeconds)} used (${m.severity})${m.dueAt ? `, due ${m.dueAt}` : ''}<br>`;
    })}</td></tr>
</tbody></table></div>
<p><a href="${links.explainJson}">This explanation as JSON</a></p>
</section>`,
    { ...options, scripts: ['/assets/sla-countdown.js'], styles: ['/assets/sla-countdown.css'] },
  );
}
