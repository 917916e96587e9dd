// Formatting shared by the report pages: instants, percentages and compliance tables.
import type { ComplianceRow } from '../../../core/compliance.ts';
import { formatPercent } from '../../../core/compliance.ts';
import type { ComplianceReport, ReportRow } from '../../../sync/report.ts';
import type { SafeHtml } from '../html.ts';
import { html } from '../html.ts';

/** "2027-01-01 00:00 UTC" (the reports' periods are in UTC). */
export function formatUtc(iso: string | null): string {
  if (iso === null) return '';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "2027-01-01": a period bound at midnight UTC, as the date the period starts or ends before. */
export function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export const METRIC_LABELS = { firstResponse: 'First response', resolution: 'Resolution' } as const;

export function percentText(value: number | null): string {
  return value === null ? '–' : `${formatPercent(value)}%`;
}

export function verdict(pass: boolean | null): SafeHtml | string {
  if (pass === null) return '';
  return pass ? html`<span class="lozenge pass">pass</span>` : html`<span class="lozenge fail">fail</span>`;
}

/** The headline lines of one metric, each carrying its row's key for tests and scripts. */
export function headlineList(report: ComplianceReport, metric: ComplianceRow['metric']): SafeHtml {
  const rows = report.rows.filter((r) => r.metric === metric);
  if (rows.length === 0) return html`<p class="muted">Nothing completed in the period and nothing open.</p>`;
  return html`<ul class="headlines">${rows.map(
    (r) => html`<li class="${r.pass === null ? '' : r.pass ? 'pass' : 'fail'}" data-headline data-group="${r.group}" data-metric="${r.metric}" data-severity="${r.severity}">${r.headline}</li>`,
  )}</ul>`;
}

/** A compliance table: one row per group, metric and severity, the numbers of the JSON API. */
export function complianceTable(report: ComplianceReport, options: { groupTitle?: string; id: string }): SafeHtml {
  const grouped = report.groupBy !== 'severity';
  if (report.rows.length === 0) return html`<p class="muted" id="${options.id}">Nothing completed in the period and nothing open.</p>`;
  return html`<div class="table-wrap"><table id="${options.id}" class="compliance">
<thead><tr>${grouped ? html`<th>${options.groupTitle ?? 'Group'}</th>` : ''}<th>Metric</th><th>Severity</th><th class="num">Completed</th><th class="num">Met</th><th class="num">Breached</th><th class="num">Within target</th><th class="num">Objective</th><th>Result</th><th class="num">Open breached</th><th class="num">Open at risk</th></tr></thead>
<tbody>${report.rows.map((r: ReportRow) => complianceRow(r, grouped))}</tbody>
</table></div>`;
}

function complianceRow(r: ReportRow, grouped: boolean): SafeHtml {
  const objective = r.objectivePercent === null ? '' : `${formatPercent(r.objectivePercent)}%${r.objectiveMixed ? ' (strictest)' : ''}`;
  return html`<tr class="${r.severity === 'all' ? 'total' : ''}" data-group="${r.group}" data-metric="${r.metric}" data-severity="${r.severity}">
${grouped ? html`<td>${r.group}</td>` : ''}<td>${METRIC_LABELS[r.metric]}</td><td>${r.severity === 'all' ? 'All' : r.severity}</td>
<td class="num" data-field="completed">${r.completed}</td><td class="num" data-field="met">${r.met}</td><td class="num" data-field="breached">${r.breached}</td>
<td class="num" data-field="percentMet">${percentText(r.percentMet)}</td><td class="num">${objective}</td><td>${verdict(r.pass)}</td>
<td class="num" data-field="openBreached">${r.openBreached}</td><td class="num" data-field="openAtRisk">${r.openAtRisk}</td></tr>`;
}

/** "Export: JSON · CSV" for one table, both from its API route with the page's query. */
export function exportLinks(path: string, query: URLSearchParams): SafeHtml {
  const q = query.toString();
  return html`<p class="exports">Export: <a href="${path}?${q}">JSON</a> · <a href="${path}.csv?${q}" download>CSV</a></p>`;
}
