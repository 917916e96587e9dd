// /reports (issue 6, item 3): compliance per severity against its objective for one period, by
// source, connection and customer, a trend chart per severity, the breaches, and the open cases
// already breached or at risk. Every number comes from src/sync's report verbs, which the JSON API
// and the CLI print too; every table links its JSON and CSV export.
import type { CaseList } from '../../../sync/report-lists.ts';
import type { ReportOverview } from '../../../sync/report-page.ts';
import type { PeriodPreset } from '../../../sync/report-period.ts';
import type { TrendBucket } from '../../../store/report-repo.ts';
import type { PageOptions, SafeHtml } from '../html.ts';
import { html, page } from '../html.ts';
import { complianceTable, exportLinks, formatDay, formatUtc, headlineList, METRIC_LABELS } from './format.ts';

export interface ReportPageModel {
  user: NonNullable<PageOptions['user']>;
  csrfToken: string | null;
  /** The form as submitted (or the defaults). */
  form: { period: PeriodPreset | 'custom'; at: string; from: string; to: string; bucket: TrendBucket | '' };
  /** The period shown; absent when the form was refused. */
  shown?: { fromMs: number; toMs: number; bucket: TrendBucket; previous: string; next: string; overview: ReportOverview };
  errors?: readonly string[];
}

const PRESET_LABELS: Record<PeriodPreset | 'custom', string> = { week: 'Week', month: 'Month', quarter: 'Quarter', custom: 'Custom (from, to)' };

function periodForm(model: ReportPageModel): SafeHtml {
  const f = model.form;
  const option = (value: string, label: string, selected: string) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
  return html`<form class="period-form" method="get" action="/reports">
<p><label for="period">Period</label><br><select id="period" name="period">${(['week', 'month', 'quarter', 'custom'] as const).map((p) => option(p, PRESET_LABELS[p], f.period))}</select></p>
<p><label for="at">Holding the date</label><br><input id="at" name="at" type="date" value="${f.at}"></p>
<p><label for="from">From (custom)</label><br><input id="from" name="from" type="date" value="${f.from}"></p>
<p><label for="to">To, excluded (custom)</label><br><input id="to" name="to" type="date" value="${f.to}"></p>
<p><label for="bucket">Trend by</label><br><select id="bucket" name="bucket">${option('', 'automatic', f.bucket)}${option('week', 'week', f.bucket)}${option('month', 'month', f.bucket)}</select></p>
<p><button type="submit">Show</button></p>
</form>`;
}

function caseTable(list: CaseList, id: string, kind: 'breaches' | 'open'): SafeHtml {
  if (list.total === 0) return html`<p class="muted" id="${id}">${kind === 'breaches' ? 'No breach in the period.' : 'No open case is breached or at risk.'}</p>`;
  const when = kind === 'breaches' ? 'Completed' : 'Due';
  return html`<p class="muted">${list.rows.length < list.total ? `The first ${list.rows.length} of ${list.total}; the export has up to 10,000.` : `${list.total} in all.`}</p>
<div class="table-wrap"><table id="${id}" class="cases">
<thead><tr><th>Ticket</th><th>Title</th><th>Source</th><th>Customer</th><th>Metric</th><th>Severity</th><th>State</th><th>Breached at</th><th>${when}</th><th>Why</th></tr></thead>
<tbody>${list.rows.map(
    (r) => html`<tr data-case="${r.caseId}" data-metric="${r.metric}">
<td><a href="${r.url}" rel="noopener noreferrer" target="_blank">${r.key}</a></td><td class="title">${r.title}</td><td>${r.connection} (${r.source})</td><td>${r.customer ?? ''}</td>
<td>${METRIC_LABELS[r.metric]}</td><td>${r.severity}</td><td><span class="lozenge state-${r.state}">${r.state.replace('_', ' ')}</span></td>
<td>${formatUtc(r.breachedAt)}</td><td>${formatUtc(kind === 'breaches' ? r.completedAt : r.dueAt)}</td><td><a href="${r.explainUrl}">explain</a></td></tr>`,
  )}</tbody></table></div>`;
}

function trendSection(overview: ReportOverview): SafeHtml {
  const trend = overview.trend;
  const severities = [...new Set(trend.rows.filter((r) => r.severity !== 'all').map((r) => r.severity))].sort();
  // The chart script (assets/reports.js) reads the trend from this attribute: no inline script (CSP).
  const data = JSON.stringify({ buckets: trend.buckets, rows: trend.rows });
  return html`<div id="trend-data" data-trend="${data}" data-bucket="${trend.bucket}"></div>
${severities.length === 0 ? html`<p class="muted">Nothing completed in the period: no trend to draw.</p>` : ''}
<div class="trend-grid">${severities.map(
    (s) => html`<figure class="trend"><figcaption>${s}: % within target per ${trend.bucket}, objective dashed</figcaption><div class="chart-box"><canvas id="trend-${s}" data-severity="${s}" role="img" aria-label="${s} compliance per ${trend.bucket}"></canvas></div></figure>`,
  )}</div>`;
}

export function reportPage(model: ReportPageModel): string {
  const shown = model.shown;
  const body = html`<h1>Compliance reports</h1>
${model.user.role === 'admin' ? html`<p><a href="/reports/share-links">Customer SLA pages: share links</a></p>` : ''}
${periodForm(model)}
${model.errors && model.errors.length > 0 ? html`<div role="alert" id="report-errors"><ul>${model.errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
${shown ? shownReport(shown) : ''}`;
  return page('Reports', body, {
    user: model.user,
    csrfToken: model.csrfToken,
    scripts: ['/assets/vendor/chart.umd.min.js', '/assets/reports.js'],
  });
}

function shownReport(shown: NonNullable<ReportPageModel['shown']>): SafeHtml {
  const o = shown.overview;
  const exact = (ms: number) => (ms % 86_400_000 === 0 ? formatDay(ms) : new Date(ms).toISOString());
  const period = new URLSearchParams({ from: exact(shown.fromMs), to: exact(shown.toMs) });
  const withPeriod = (extra: Record<string, string> = {}) => new URLSearchParams([...period, ...Object.entries(extra)]);
  return html`<p class="period" id="period-bounds" data-from="${o.bySeverity.from}" data-to="${o.bySeverity.to}">Period: <strong>${formatUtc(o.bySeverity.from)}</strong> to <strong>${formatUtc(o.bySeverity.to)}</strong> (excluded). A metric counts in the period it completed in; open cases count apart.
<span class="step"><a href="${shown.previous}">← previous</a> · <a href="${shown.next}">next →</a></span></p>
<section id="headline"><h2>Against the objective, per severity</h2>
<div class="cards">${(['resolution', 'firstResponse'] as const).map((m) => html`<div class="card"><h3>${METRIC_LABELS[m]}</h3>${headlineList(o.bySeverity, m)}</div>`)}</div>
${complianceTable(o.bySeverity, { id: 'by-severity' })}
${exportLinks('/api/reports/compliance', withPeriod({ groupBy: 'severity' }))}
</section>
<section id="trend"><h2>Trend</h2>${trendSection(o)}${exportLinks('/api/reports/trend', withPeriod({ bucket: shown.bucket }))}</section>
<section id="sources"><h2>By source</h2>${complianceTable(o.bySource, { id: 'by-source', groupTitle: 'Source' })}${exportLinks('/api/reports/compliance', withPeriod({ groupBy: 'source' }))}</section>
<section id="connections"><h2>By connection</h2>${complianceTable(o.byConnection, { id: 'by-connection', groupTitle: 'Connection' })}${exportLinks('/api/reports/compliance', withPeriod({ groupBy: 'connection' }))}</section>
<section id="customers"><h2>By customer</h2>${complianceTable(o.byCustomer, { id: 'by-customer', groupTitle: 'Customer' })}${exportLinks('/api/reports/compliance', withPeriod({ groupBy: 'customer' }))}</section>
<section id="breaches"><h2>Breaches in the period</h2><p class="muted">Metrics completed in the period that missed their target.</p>${caseTable(o.breaches, 'breach-list', 'breaches')}${exportLinks('/api/reports/breaches', withPeriod({ limit: '10000' }))}</section>
<section id="open"><h2>Open cases breached or at risk</h2><p class="muted">As of each case's last evaluation, whatever the period.</p>${caseTable(o.open, 'open-list', 'open')}${exportLinks('/api/reports/at-risk', new URLSearchParams({ limit: '10000' }))}</section>`;
}
