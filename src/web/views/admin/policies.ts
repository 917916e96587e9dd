// Admin pages for policies: the list, the form (targets per severity and metric, objectives, at-risk
// %, pause statuses, business hours per weekday, an IANA zone picker, holidays and .ics import), and
// the delete confirmation.
import { SEVERITIES, STATUSES, WEEKDAYS } from '../../../core/types.ts';
import type { StoredPolicy } from '../../../store/policies-repo.ts';
import type { ConfigPreview } from '../../../sync/admin-config.ts';
import { html } from '../html.ts';
import type { AdminView, FieldErrors } from './layout.ts';
import { adminPage, csrfField, describedBy, fieldError, formErrors, idOf, selectField, textField } from './layout.ts';
import { previewBox } from './preview.ts';

export interface SeverityFormValues {
  use: boolean;
  firstResponseMinutes: string;
  resolutionMinutes: string;
  objectivePercent: string;
  /** '' (the policy's calendar), '24x7', or 'keep' (its own calendar object, kept as stored). */
  calendar: string;
}

export interface PolicyFormValues {
  name: string;
  calendarMode: 'business' | '24x7';
  timezone: string;
  week: Record<(typeof WEEKDAYS)[number], string>;
  holidays: string;
  ics: string;
  severities: Record<(typeof SEVERITIES)[number], SeverityFormValues>;
  /** Severities whose stored calendar is an object of their own (offered as 'keep'). */
  ownCalendars: string[];
  defaultSeverity: string;
  pauseStatuses: string[];
  pauseFirstResponse: boolean;
  atRiskPercent: string;
}

const DAY_LABEL = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' } as const;

export function policiesListPage(view: AdminView, policies: readonly { policy: StoredPolicy; connections: string[] }[], notice: string | null): string {
  return adminPage(
    view,
    'Policies',
    '/admin/policies',
    html`<h1>Policies</h1>
<p><a class="button" href="/admin/policies/new">Add a policy</a></p>
${policies.length === 0 ? html`<p>No policies yet.</p>` : html`<div class="table-wrap"><table id="policies"><thead><tr><th>Name</th><th>Hours</th>${SEVERITIES.map((s) => html`<th>${s}</th>`)}<th>Used by</th><th></th></tr></thead><tbody>
${policies.map(({ policy: p, connections }) => {
      const cal = p.definition.calendar;
      return html`<tr data-policy="${p.name}"><td><a href="/admin/policies/${p.id}">${p.name}</a></td><td>${cal === undefined || cal === '24x7' ? '24x7' : cal.timezone}</td>
${SEVERITIES.map((s) => {
        const t = p.definition.severities[s];
        return html`<td>${t ? html`${t.firstResponseMinutes} / ${t.resolutionMinutes} min<br><small class="muted">${t.objectivePercent ?? 100}%</small>` : html`<span class="muted">—</span>`}</td>`;
      })}
<td>${connections.join(', ') || html`<span class="muted">none</span>`}</td><td><a href="/admin/policies/${p.id}/delete">Delete</a></td></tr>`;
    })}
</tbody></table></div><p class="muted">Targets: first response / resolution, objective below.</p>`}`,
    { notice },
  );
}

export function policyFormPage(view: AdminView, form: { id: number | null; values: PolicyFormValues; zones: readonly string[]; errors: FieldErrors; preview: ConfigPreview | null; notice?: string | null; warnings?: string[] }): string {
  const { id, values: v, errors } = form;
  const action = id === null ? '/admin/policies' : `/admin/policies/${id}`;
  return adminPage(
    view,
    id === null ? 'New policy' : `Policy ${v.name}`,
    '/admin/policies',
    html`<h1>${id === null ? 'New policy' : html`Policy <code>${v.name}</code>`}</h1>
${formErrors(errors)}
${form.preview ? previewBox(form.preview) : ''}
<form method="post" action="${action}" class="stack" id="policy-form" novalidate>
${csrfField(view)}
${id === null ? textField(errors, 'name', 'Name', v.name, { required: true }) : html`<input type="hidden" name="name" value="${v.name}">`}
<fieldset><legend>Targets per severity</legend>
<div class="table-wrap"><table id="targets"><thead><tr><th>Severity</th><th>Used</th><th>First response (min)</th><th>Resolution (min)</th><th>Objective %</th><th>Hours</th></tr></thead><tbody>
${SEVERITIES.map((s) => {
      const t = v.severities[s];
      const f = (k: string) => `sev.${s}.${k}`;
      const num = (k: 'firstResponseMinutes' | 'resolutionMinutes' | 'objectivePercent', label: string) =>
        html`<td><label class="visually-hidden" for="${idOf(f(k))}">${s} ${label}</label><input id="${idOf(f(k))}" name="${f(k)}" inputmode="numeric" size="6" value="${t[k]}"${describedBy(errors, f(k))}> ${fieldError(errors, f(k))}</td>`;
      return html`<tr><th scope="row">${s}</th><td><input type="checkbox" name="${f('use')}" value="true" aria-label="${s} used"${t.use ? html` checked` : ''}> ${fieldError(errors, f('use'))}</td>
${num('firstResponseMinutes', 'first response minutes')}${num('resolutionMinutes', 'resolution minutes')}${num('objectivePercent', 'objective percent')}
<td><select name="${f('calendar')}" aria-label="${s} hours"${describedBy(errors, f('calendar'))}><option value=""${t.calendar === '' ? html` selected` : ''}>the policy's</option><option value="24x7"${t.calendar === '24x7' ? html` selected` : ''}>24x7</option>${v.ownCalendars.includes(s) ? html`<option value="keep"${t.calendar === 'keep' ? html` selected` : ''}>its own (as stored)</option>` : ''}</select> ${fieldError(errors, f('calendar'))}</td></tr>`;
    })}
</tbody></table></div>
${selectField(errors, 'defaultSeverity', 'Default severity (a case without a mapped priority)', v.defaultSeverity, SEVERITIES)}
${textField(errors, 'atRiskPercent', 'At risk at (% of the target used)', v.atRiskPercent, { hint: 'blank: never at risk' })}
</fieldset>
<fieldset><legend>Pauses</legend>
<p>Statuses that pause the resolution clock: ${STATUSES.filter((s) => s !== 'solved' && s !== 'closed').map((s) => html`<label class="check"><input type="checkbox" name="pauseStatuses" value="${s}"${v.pauseStatuses.includes(s) ? html` checked` : ''}> ${s}</label> `)} ${fieldError(errors, 'pauseStatuses')}</p>
<p><label class="check"><input type="checkbox" name="pauseFirstResponse" value="true"${v.pauseFirstResponse ? html` checked` : ''}> Pauses also stop the first-response clock</label></p>
</fieldset>
<fieldset><legend>Business hours</legend>
<p><label class="check"><input type="radio" name="calendarMode" value="business"${v.calendarMode === 'business' ? html` checked` : ''}> Business hours below</label>
<label class="check"><input type="radio" name="calendarMode" value="24x7"${v.calendarMode === '24x7' ? html` checked` : ''}> Around the clock (24x7)</label> ${fieldError(errors, 'calendarMode')}</p>
${selectField(errors, 'timezone', 'Time zone', v.timezone, form.zones)}
<p class="muted">Hours per day as <code>09:00-12:00, 13:00-17:30</code>; blank: closed. An overnight shift is <code>22:00-24:00</code> plus <code>00:00-06:00</code> the next day.</p>
${WEEKDAYS.map((d) => textField(errors, `week.${d}`, DAY_LABEL[d], v.week[d], { placeholder: 'closed' }))}
${fieldError(errors, 'week')}
<p><label for="${idOf('holidays')}">Holidays (one YYYY-MM-DD date a line)</label><br><textarea id="${idOf('holidays')}" name="holidays" rows="6"${describedBy(errors, 'holidays')}>${v.holidays}</textarea> ${fieldError(errors, 'holidays')}</p>
<div class="ics-import"><p><label for="${idOf('ics')}">Import holidays from an .ics calendar</label><br>
<input type="file" id="ics-file" accept=".ics,text/calendar" hidden data-target="${idOf('ics')}">
<textarea id="${idOf('ics')}" name="ics" rows="3" placeholder="Paste the text of an .ics file (or choose the file above)"${describedBy(errors, 'ics')}>${v.ics}</textarea>
<small class="muted">All-day events become holidays; yearly ones are expanded from last year to three years ahead.</small> ${fieldError(errors, 'ics')}</p>
<p><button type="submit" name="intent" value="import" class="secondary" id="import-button">Add the calendar's holidays</button></p></div>
</fieldset>
<p>${id === null ? '' : html`<button type="submit" name="intent" value="preview" class="secondary" id="preview-button">Preview</button> `}<button type="submit" name="intent" value="save" id="save-button">${id === null ? 'Create policy' : 'Save policy'}</button> <a href="/admin/policies">Cancel</a></p>
</form>`,
    { notice: form.notice ?? null, warnings: form.warnings ?? [], scripts: ['/assets/admin.js'] },
  );
}

export function deletePolicyPage(view: AdminView, policy: StoredPolicy, connections: string[], error: string | null): string {
  return adminPage(
    view,
    `Delete ${policy.name}`,
    '/admin/policies',
    html`<h1>Delete policy <code>${policy.name}</code>?</h1>
${error ? html`<p role="alert" id="delete-error">${error}</p>` : ''}
${connections.length > 0 ? html`<p>It is the default policy of ${connections.join(', ')}: choose another policy for them first.</p>` : html`<p>A policy that a rule or a case still uses is not deleted.</p>`}
<form method="post" action="/admin/policies/${policy.id}/delete">${csrfField(view)}<button type="submit" class="danger" id="confirm-delete">Delete ${policy.name}</button> <a href="/admin/policies">Cancel</a></form>`,
  );
}
