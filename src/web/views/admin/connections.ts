// Admin pages for connections: the list (with last sync), the add/edit form (secrets never shown
// back), the delete confirmation, and the mapping page (raw priorities seen, unmapped highlighted).
import { SECRET_FIELDS } from '../../../connectors/registry.ts';
import type { Source } from '../../../connectors/types.ts';
import { SOURCES } from '../../../connectors/types.ts';
import { SEVERITIES } from '../../../core/types.ts';
import type { Severity } from '../../../core/types.ts';
import type { Connection } from '../../../store/connections-repo.ts';
import type { SyncRun } from '../../../store/sync-runs-repo.ts';
import type { ConnectionTestResult } from '../../../sync/admin-connection-test.ts';
import type { ConfigPreview } from '../../../sync/admin-config.ts';
import type { CaseSlaRow } from '../../../sync/admin-data.ts';
import { isEnvReference } from '../../../sync/secrets.ts';
import { html } from '../html.ts';
import type { AdminView, FieldErrors } from './layout.ts';
import { adminPage, csrfField, describedBy, fieldError, formErrors, idOf, selectField, textField, when } from './layout.ts';
import { previewBox } from './preview.ts';

export interface ConnectionRow {
  connection: Connection;
  policy: string | null;
  cases: number;
  pending: number;
  lastRun: SyncRun | null;
  unmapped: number;
}

function runCell(run: SyncRun | null) {
  if (!run) return html`<span class="muted">never</span>`;
  const status = run.status === 'failed' ? html`<span class="lozenge fail">failed</span>` : run.status === 'ok' ? html`<span class="lozenge pass">ok</span>` : html`<span class="lozenge state-running">running</span>`;
  return html`${status} ${when(run.startedAt)} <small class="muted">(${run.trigger}, ${run.cases} cases)</small>${run.error ? html`<br><span class="sync-error">${run.error}</span>` : ''}`;
}

export function connectionsListPage(view: AdminView, rows: readonly ConnectionRow[], options: { notice?: string | null; testResult?: { name: string; result: ConnectionTestResult } | null; warnings?: string[] } = {}): string {
  const test = options.testResult;
  return adminPage(
    view,
    'Connections',
    '/admin/connections',
    html`<h1>Connections</h1>
${test ? html`<p id="test-result" class="${test.result.ok ? 'notice' : 'field-error'}" role="${test.result.ok ? 'status' : 'alert'}"><strong>Test of ${test.name}:</strong> ${test.result.message}</p>` : ''}
<p><a class="button" href="/admin/connections/new">Add a connection</a></p>
${rows.length === 0
    ? html`<p>No connections yet. <a href="/admin/connections/new">Create your first connection</a>.</p>`
    : html`<div class="table-wrap"><table id="connections"><thead><tr><th>Name</th><th>Source</th><th>Policy</th><th>State</th><th class="num">Cases</th><th>Last sync</th><th>Actions</th></tr></thead><tbody>
${rows.map(({ connection: c, policy, cases, pending, lastRun, unmapped }) => html`<tr data-connection="${c.name}">
<td><a href="/admin/connections/${c.id}">${c.name}</a></td><td>${c.source}</td><td>${policy ?? html`<span class="field-error">none</span>`}</td>
<td>${c.enabled ? 'active' : html`<span class="lozenge state-paused">paused</span>`}</td>
<td class="num">${cases}${pending > 0 ? html`<br><small class="muted">${pending} writeback pending</small>` : ''}</td>
<td>${runCell(lastRun)}</td>
<td class="actions">
<a href="/admin/connections/${c.id}/mapping">Priorities${unmapped > 0 ? html` <span class="lozenge state-at_risk">${unmapped} unmapped</span>` : ''}</a>
<form method="post" action="/admin/connections/${c.id}/test">${csrfField(view)}<button type="submit" class="secondary">Test</button></form>
<form method="post" action="/admin/connections/${c.id}/sync">${csrfField(view)}<button type="submit" class="secondary">Sync now</button></form>
<form method="post" action="/admin/connections/${c.id}/enabled">${csrfField(view)}<input type="hidden" name="enabled" value="${c.enabled ? 'false' : 'true'}"><button type="submit" class="secondary">${c.enabled ? 'Pause' : 'Resume'}</button></form>
<a href="/admin/connections/${c.id}/delete">Delete</a>
</td></tr>`)}
</tbody></table></div>`}`,
    { notice: options.notice ?? null, warnings: options.warnings ?? [] },
  );
}

export interface ConnectionFormValues {
  name: string;
  source: Source;
  policy: string;
  enabled: boolean;
  syncIntervalMinutes: string;
  /** Per secret field: an env: reference to show again, or '' (never a literal). */
  secrets: Record<string, string>;
  /** Which secrets are stored as literals (shown as "stored; leave blank to keep"). */
  storedLiterals: string[];
  /** The non-secret config as YAML. */
  settings: string;
}

/** What a new connection's settings look like, per source (the README's examples). */
export const SETTINGS_TEMPLATES: Record<Source, string> = {
  github: 'baseUrl: https://api.github.com\nrepositories: [acme/support]\nseverityLabels: { P1: S1, P2: S2, P3: S3, P4: S4 }\npauseLabels: [waiting-for-customer]\n',
  jira: 'siteUrl: https://acme.atlassian.net\nemail: sla-bot@acme.example\njql: project in (SUP)\n',
  zendesk: 'subdomain: acme\nemail: sla-bot@acme.example\n',
};

/** Shown in a secret's field: env references only; a literal is never echoed back. */
export function shownSecret(value: unknown): string {
  return isEnvReference(value) ? value : '';
}

export function connectionFormPage(view: AdminView, form: { id: number | null; values: ConnectionFormValues; policies: readonly string[]; errors: FieldErrors; warnings?: string[] }): string {
  const { id, values: v, errors } = form;
  const action = id === null ? '/admin/connections' : `/admin/connections/${id}`;
  return adminPage(
    view,
    id === null ? 'New connection' : `Connection ${v.name}`,
    '/admin/connections',
    html`<h1>${id === null ? 'New connection' : html`Connection <code>${v.name}</code>`}</h1>
${id === null ? html`<form method="get" action="/admin/connections/new" class="inline-form"><label for="pick-source">Source</label> <select id="pick-source" name="source">${SOURCES.map((s) => html`<option value="${s}"${s === v.source ? html` selected` : ''}>${s}</option>`)}</select> <button type="submit" class="secondary">Change source</button></form>` : ''}
${formErrors(errors)}
<form method="post" action="${action}" class="stack" id="connection-form" novalidate>
${csrfField(view)}
<input type="hidden" name="source" value="${v.source}">
${id === null ? textField(errors, 'name', 'Name', v.name, { required: true, hint: 'letters, digits, . _ -; used in webhook URLs' }) : html`<input type="hidden" name="name" value="${v.name}"><p>Source: <strong>${v.source}</strong></p>`}
${selectField(errors, 'policy', 'Default policy', v.policy, ['', ...form.policies].map((p) => ({ value: p, label: p === '' ? '(choose a policy)' : p })))}
<p><label><input type="checkbox" name="enabled" value="true"${v.enabled ? html` checked` : ''}> Enabled (unchecked: paused, no sync and no writeback)</label> ${fieldError(errors, 'enabled')}</p>
${textField(errors, 'syncIntervalMinutes', 'Sync every (minutes)', v.syncIntervalMinutes, { type: 'number', hint: 'a divisor of 60, or whole hours dividing a day' })}
<fieldset><legend>Secrets</legend>
<p class="muted">Write <code>env:NAME</code> to read a variable where sla-sync runs, or paste the secret itself. A stored secret is never shown; leave a field blank to keep it.</p>
${SECRET_FIELDS[v.source].map((key) => {
      const name = `secret.${key}`;
      const stored = v.storedLiterals.includes(key);
      return html`<p><label for="${idOf(name)}">${key}</label><br><input id="${idOf(name)}" name="${name}" type="text" autocomplete="off" spellcheck="false" value="${v.secrets[key] ?? ''}" placeholder="${stored ? 'stored (hidden); leave blank to keep' : 'env:NAME or the value'}"${describedBy(errors, name)}> ${fieldError(errors, name)}</p>`;
    })}
</fieldset>
<p><label for="${idOf('settings')}">Settings (YAML)</label><br><textarea id="${idOf('settings')}" name="settings" rows="10" spellcheck="false"${describedBy(errors, 'settings')}>${v.settings}</textarea>
<small class="muted">The connector's other settings, as in <code>sla-sync config apply</code> files.</small> ${fieldError(errors, 'settings')}</p>
<p><button type="submit">${id === null ? 'Create connection' : 'Save'}</button> <a href="/admin/connections">Cancel</a></p>
</form>`,
    { warnings: form.warnings ?? [] },
  );
}

export function deleteConnectionPage(view: AdminView, connection: Connection, cases: number): string {
  return adminPage(
    view,
    `Delete ${connection.name}`,
    '/admin/connections',
    html`<h1>Delete connection <code>${connection.name}</code>?</h1>
<p>This deletes the connection, its priority mapping and its <strong>${cases}</strong> synced cases with their SLA history. Tickets at ${connection.source} are not touched. It cannot be undone; to stop syncing for a while, pause it instead.</p>
<form method="post" action="/admin/connections/${connection.id}/delete">${csrfField(view)}<button type="submit" class="danger" id="confirm-delete">Delete ${connection.name}</button> <a href="/admin/connections">Cancel</a></form>`,
  );
}

export interface MappingRow {
  rawPriority: string;
  cases: number;
  /** The severity chosen (stored or submitted); null: unmapped. */
  severity: Severity | null;
  /** What the connection's config implies for it (GitHub severityLabels, Zendesk defaults). */
  implied: Severity | null;
}

export function mappingPage(
  view: AdminView,
  data: {
    connection: Connection;
    rows: readonly MappingRow[];
    noPriorityCases: number;
    defaultSeverity: Severity | null;
    cases: readonly CaseSlaRow[];
    preview: ConfigPreview | null;
    errors: FieldErrors;
    newRaw: string;
    newSeverity: string;
    notice?: string | null;
  },
): string {
  const { connection: c, errors } = data;
  const options = (selected: Severity | null, implied: Severity | null) => html`<option value=""${selected === null ? html` selected` : ''}>${implied ? `(config: ${implied})` : '(unmapped)'}</option>${SEVERITIES.map((s) => html`<option value="${s}"${s === selected ? html` selected` : ''}>${s}</option>`)}`;
  return adminPage(
    view,
    `Priorities of ${c.name}`,
    '/admin/connections',
    html`<h1>Priority to severity: <code>${c.name}</code></h1>
<p class="muted">Raw priorities as ${c.source} names them, seen in this connection's synced cases. An unmapped priority gets the policy's default severity${data.defaultSeverity ? html` (<strong>${data.defaultSeverity}</strong>)` : ''}.</p>
${formErrors(errors)}
${data.preview ? previewBox(data.preview) : ''}
<form method="post" action="/admin/connections/${c.id}/mapping" class="stack" id="mapping-form">
${csrfField(view)}
<div class="table-wrap"><table id="mapping"><thead><tr><th>Raw priority</th><th class="num">Cases</th><th>Severity</th></tr></thead><tbody>
${data.rows.map((r, i) => {
      const unmapped = r.severity === null && r.implied === null;
      return html`<tr class="${unmapped ? 'unmapped' : ''}" data-raw="${r.rawPriority}"><td><input type="hidden" name="raw.${i}" value="${r.rawPriority}">${r.rawPriority}${unmapped ? html` <span class="lozenge state-at_risk">unmapped</span>` : ''}</td>
<td class="num">${r.cases}</td>
<td><label class="visually-hidden" for="${idOf(`severity.${i}`)}">Severity of ${r.rawPriority}</label><select id="${idOf(`severity.${i}`)}" name="severity.${i}"${describedBy(errors, `severity.${i}`)}>${options(r.severity, r.implied)}</select> ${fieldError(errors, `severity.${i}`)}</td></tr>`;
    })}
${data.noPriorityCases > 0 ? html`<tr><td class="muted">(no priority)</td><td class="num">${data.noPriorityCases}</td><td class="muted">policy default</td></tr>` : ''}
<tr><td><label class="visually-hidden" for="${idOf('newRaw')}">Another raw priority</label><input id="${idOf('newRaw')}" name="newRaw" placeholder="another raw priority" value="${data.newRaw}"${describedBy(errors, 'newRaw')}> ${fieldError(errors, 'newRaw')}</td><td></td>
<td><label class="visually-hidden" for="${idOf('newSeverity')}">Its severity</label><select id="${idOf('newSeverity')}" name="newSeverity"${describedBy(errors, 'newSeverity')}><option value="">(choose)</option>${SEVERITIES.map((s) => html`<option value="${s}"${s === data.newSeverity ? html` selected` : ''}>${s}</option>`)}</select> ${fieldError(errors, 'newSeverity')}</td></tr>
</tbody></table></div>
<p><button type="submit" name="intent" value="preview" class="secondary" id="preview-button">Preview</button> <button type="submit" name="intent" value="save" id="save-button">Save mapping</button></p>
</form>
<h2>Cases</h2>
${data.cases.length === 0 ? html`<p class="muted">No synced cases yet.</p>` : html`<div class="table-wrap"><table id="cases"><thead><tr><th>Case</th><th>Raw priority</th><th>Severity</th><th>First response</th><th>Resolution</th><th>Writeback</th></tr></thead><tbody>
${data.cases.map((k) => html`<tr data-case="${k.externalKey}"><td><a href="${k.url}" rel="noopener noreferrer">${k.externalKey}</a> <small class="muted">${k.title}</small></td><td>${k.rawPriority ?? '—'}</td><td class="case-severity">${k.severity ?? '—'}</td>
<td>${k.firstResponse ? html`<span class="lozenge state-${k.firstResponse}">${k.firstResponse.replace('_', ' ')}</span>` : '—'}</td>
<td class="case-resolution">${k.resolution ? html`<span class="lozenge state-${k.resolution}">${k.resolution.replace('_', ' ')}</span>` : '—'}</td>
<td class="case-writeback">${k.writebackPending ? html`<span class="lozenge state-paused">pending</span>` : html`<span class="muted">in line</span>`}</td></tr>`)}
</tbody></table></div>`}`,
    { notice: data.notice ?? null },
  );
}
