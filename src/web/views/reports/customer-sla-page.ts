// The customer SLA page (/sla/:token): the agreement in one screen and its compliance this month and
// last month, by severity and by customer. Public by its link: no navigation, no internal links, no
// ticket keys, titles or URLs; aggregates only.
import type { CalendarInput, MetricName, Policy, Severity } from '../../../core/types.ts';
import { SEVERITIES, WEEKDAYS } from '../../../core/types.ts';
import { DEFAULT_AT_RISK_PERCENT, DEFAULT_OBJECTIVE_PERCENT, DEFAULT_PAUSE_STATUSES } from '../../../core/metrics.ts';
import { formatPercent } from '../../../core/compliance.ts';
import type { CustomerSlaView, SharedPeriod } from '../../../sync/report-share.ts';
import type { ReportRow } from '../../../sync/report.ts';
import type { SafeHtml } from '../html.ts';
import { html, page } from '../html.ts';
import { formatDay, METRIC_LABELS, percentText, verdict } from './format.ts';

/** "30 min", "4 h", "1 d 6 h" (a day is 24 hours of the calendar's counted time). */
export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = Math.round(minutes % 60);
  return [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
}

const DAY_NAMES: Record<(typeof WEEKDAYS)[number], string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

function calendarName(calendar: CalendarInput | undefined): string {
  if (calendar === undefined || calendar === '24x7') return 'around the clock (24x7)';
  return `business hours, ${calendar.timezone}`;
}

function calendarBlock(title: string, calendar: CalendarInput | undefined): SafeHtml {
  if (calendar === undefined || calendar === '24x7') return html`<div class="card"><h3>${title}</h3><p>Around the clock, every day (24x7); no holidays.</p></div>`;
  return html`<div class="card"><h3>${title}</h3><p>Time zone <strong>${calendar.timezone}</strong></p>
<table class="hours"><tbody>${WEEKDAYS.map((d) => {
    const intervals = calendar.week[d] ?? [];
    return html`<tr><th>${DAY_NAMES[d]}</th><td>${intervals.length === 0 ? html`<span class="muted">closed</span>` : intervals.map(([a, b]) => `${a}–${b}`).join(', ')}</td></tr>`;
  })}</tbody></table>
<p>Holidays: ${calendar.holidays && calendar.holidays.length > 0 ? calendar.holidays.join(', ') : 'none'}</p></div>`;
}

function agreement(policy: Policy): SafeHtml {
  const severities = SEVERITIES.filter((s) => policy.severities[s] !== undefined);
  const overrides = severities.filter((s) => policy.severities[s]!.calendar !== undefined && JSON.stringify(policy.severities[s]!.calendar) !== JSON.stringify(policy.calendar));
  return html`<section id="agreement"><h2>The agreement</h2>
<div class="table-wrap"><table id="targets"><thead><tr><th>Severity</th><th>First response</th><th>Resolution</th><th>Counted</th><th class="num">Objective</th></tr></thead>
<tbody>${severities.map((s) => {
    const t = policy.severities[s]!;
    return html`<tr data-severity="${s}"><th>${s}</th><td>${formatMinutes(t.firstResponseMinutes)}</td><td>${formatMinutes(t.resolutionMinutes)}</td><td>${calendarName(t.calendar ?? policy.calendar)}</td><td class="num">${formatPercent(t.objectivePercent ?? DEFAULT_OBJECTIVE_PERCENT)}% within target</td></tr>`;
  })}</tbody></table></div>
<div class="cards">${calendarBlock('Hours', policy.calendar)}${overrides.map((s) => calendarBlock(`Hours for ${s}`, policy.severities[s]!.calendar))}
<div class="card"><h3>How the clocks run</h3><ul>
<li>First response: from the ticket's creation to the first agent reply${policy.pauseFirstResponse ? ', paused while waiting on you' : ''}.</li>
<li>Resolution: from creation to solved, paused while the ticket is ${(policy.pauseStatuses ?? DEFAULT_PAUSE_STATUSES).join(' or ').replaceAll('_', ' ')}; a reopened ticket resumes its clock.</li>
<li>A ticket is at risk once ${policy.atRiskPercent ?? DEFAULT_AT_RISK_PERCENT}% of its time is used. Tickets without a priority are ${policy.defaultSeverity}.</li>
</ul></div></div></section>`;
}

function resultTable(rows: readonly ReportRow[], id: string, grouped: boolean): SafeHtml {
  if (rows.length === 0) return html`<p class="muted" id="${id}">No ticket completed in this period and none is open.</p>`;
  return html`<div class="table-wrap"><table id="${id}"><thead><tr>${grouped ? html`<th>Customer</th>` : ''}<th>Metric</th><th>Severity</th><th class="num">Completed</th><th class="num">Within target</th><th class="num">Objective</th><th>Result</th><th class="num">Open, breached</th><th class="num">Open, at risk</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr class="${r.severity === 'all' ? 'total' : ''}" data-group="${r.group}" data-metric="${r.metric}" data-severity="${r.severity}">${grouped ? html`<td>${r.group}</td>` : ''}<td>${METRIC_LABELS[r.metric as MetricName]}</td><td>${r.severity === 'all' ? 'All' : (r.severity as Severity)}</td>
<td class="num" data-field="completed">${r.completed}</td><td class="num" data-field="percentMet">${percentText(r.percentMet)}</td><td class="num">${r.objectivePercent === null ? '' : `${formatPercent(r.objectivePercent)}%`}</td><td>${verdict(r.pass)}</td>
<td class="num" data-field="openBreached">${r.openBreached}</td><td class="num" data-field="openAtRisk">${r.openAtRisk}</td></tr>`,
  )}</tbody></table></div>`;
}

function periodSection(p: SharedPeriod, index: number, narrowed: boolean): SafeHtml {
  const toDate = p.toDateMs < p.period.toMs;
  const last = formatDay(p.period.toMs - 86_400_000);
  return html`<section class="shared-period" id="period-${index}" data-from="${p.bySeverity.from}" data-to="${p.bySeverity.to}"><h2>${p.label}: ${formatDay(p.period.fromMs)} to ${last}${toDate ? ' (so far)' : ''}</h2>
<ul class="headlines">${p.bySeverity.rows.filter((r) => r.metric === 'resolution').map((r) => html`<li class="${r.pass === null ? '' : r.pass ? 'pass' : 'fail'}" data-headline data-metric="${r.metric}" data-severity="${r.severity}">${r.headline}</li>`)}</ul>
<h3>By severity</h3>${resultTable(p.bySeverity.rows, `period-${index}-severity`, false)}
${narrowed ? '' : html`<h3>By customer</h3>${resultTable(p.byCustomer.rows, `period-${index}-customer`, true)}`}
</section>`;
}

export function customerSlaPage(view: CustomerSlaView): string {
  const body = html`<h1>${view.title}</h1>
<p class="muted">Service level agreement <strong>${view.policyName}</strong>${view.customer ? html` for <strong>${view.customer}</strong>` : ''}. Months are calendar months in UTC; a ticket counts in the month its clock completed in, and open tickets are counted apart.</p>
${agreement(view.policy)}
${view.periods.map((p, i) => periodSection(p, i, view.customer !== null))}`;
  return page(`SLA: ${view.title}`, body, { bodyClass: 'shared' });
}

export function shareLinkGonePage(status: 404 | 410): string {
  return page(
    'SLA page unavailable',
    html`<h1>This SLA page is not available</h1><p>${status === 410 ? 'The link was revoked.' : 'No SLA page has this link.'} Ask your service team for a current link.</p>`,
    { bodyClass: 'shared' },
  );
}
