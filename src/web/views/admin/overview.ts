// The admin overview, the syncs and dead-letter jobs page, and the audit log.
import type { AuditEntry } from '../../../store/audit-log-repo.ts';
import type { SyncRun } from '../../../store/sync-runs-repo.ts';
import type { DeadLetter } from '../../../sync/queue.ts';
import { html } from '../html.ts';
import type { AdminView } from './layout.ts';
import { adminPage, csrfField, when } from './layout.ts';

export function overviewPage(view: AdminView, data: { connections: number; paused: number; policies: number; unmapped: number; failedSyncs: number; deadLetters: number | null }): string {
  return adminPage(
    view,
    'Admin',
    '/admin',
    html`<h1>Configuration</h1>
<div class="cards">
<div class="card"><h2><a href="/admin/connections">Connections</a></h2><p><strong>${data.connections}</strong> connections${data.paused > 0 ? html`, ${data.paused} paused` : ''}</p>${data.connections === 0 ? html`<p><a href="/admin/connections/new">Create your first connection</a></p>` : ''}${data.unmapped > 0 ? html`<p class="unmapped">${data.unmapped} raw priorities seen but unmapped</p>` : ''}</div>
<div class="card"><h2><a href="/admin/policies">Policies</a></h2><p><strong>${data.policies}</strong> policies</p></div>
<div class="card"><h2><a href="/admin/jobs">Syncs &amp; jobs</a></h2><p>${data.failedSyncs} failed syncs in the last 24 hours</p><p>${data.deadLetters === null ? html`<span class="muted">no job queue in this process</span>` : html`${data.deadLetters} dead-letter jobs`}</p></div>
<div class="card"><h2><a href="/admin/audit">Audit log</a></h2><p>Every configuration change, who made it and when.</p></div>
</div>`,
  );
}

export function jobsPage(view: AdminView, data: { runs: readonly { name: string; id: number; enabled: boolean; run: SyncRun | null; lastError: string | null }[]; deadLetters: readonly DeadLetter[] | null; notice: string | null }): string {
  return adminPage(
    view,
    'Syncs & jobs',
    '/admin/jobs',
    html`<h1>Syncs &amp; jobs</h1>
<h2>Last sync of each connection</h2>
${data.runs.length === 0 ? html`<p class="muted">No connections.</p>` : html`<div class="table-wrap"><table id="sync-runs"><thead><tr><th>Connection</th><th>Started</th><th>Finished</th><th>Status</th><th class="num">Cases</th><th class="num">Pages</th><th>Error</th><th></th></tr></thead><tbody>
${data.runs.map((r) => html`<tr data-connection="${r.name}"><td>${r.name}${r.enabled ? '' : html` <span class="lozenge state-paused">paused</span>`}</td>
${r.run ? html`<td>${when(r.run.startedAt)}<br><small class="muted">${r.run.mode}, ${r.run.trigger}</small></td><td>${when(r.run.finishedAt)}</td><td><span class="lozenge ${r.run.status === 'failed' ? 'fail' : r.run.status === 'ok' ? 'pass' : 'state-running'}">${r.run.status}</span></td><td class="num">${r.run.cases}</td><td class="num">${r.run.pages}</td><td class="sync-error">${r.run.error ?? ''}</td>` : html`<td colspan="5" class="muted">never synced</td><td class="sync-error">${r.lastError ?? ''}</td>`}
<td><form method="post" action="/admin/connections/${r.id}/sync">${csrfField(view)}<input type="hidden" name="back" value="jobs"><button type="submit" class="secondary">Sync now</button></form></td></tr>`)}
</tbody></table></div>`}
<h2>Dead-letter jobs</h2>
${data.deadLetters === null
      ? html`<p class="muted">No job queue in this process.</p>`
      : data.deadLetters.length === 0
        ? html`<p id="dead-letters-empty">None: every job succeeded or is still being retried.</p>`
        : html`<div class="table-wrap"><table id="dead-letters"><thead><tr><th>Failed</th><th>Job</th><th>Payload</th><th class="num">Attempts</th><th>Error</th></tr></thead><tbody>
${data.deadLetters.map((d) => html`<tr><td>${when(d.failedAt.toISOString())}</td><td>${d.name}</td><td><code>${JSON.stringify(d.payload)}</code></td><td class="num">${d.attempts}</td><td>${d.errorCode ? html`<code>${d.errorCode}</code> ` : ''}${d.error}</td></tr>`)}
</tbody></table></div>`}`,
    { notice: data.notice },
  );
}

export function auditPage(view: AdminView, data: { entries: readonly AuditEntry[]; entity: string | null; entities: readonly string[]; nextBeforeId: number | null }): string {
  const json = (v: unknown) => (v === null || v === undefined ? '—' : JSON.stringify(v, null, 2));
  return adminPage(
    view,
    'Audit log',
    '/admin/audit',
    html`<h1>Audit log</h1>
<form method="get" action="/admin/audit" class="inline-form"><label for="audit-entity">Show</label> <select id="audit-entity" name="entity"><option value="">every change</option>${data.entities.map((e) => html`<option value="${e}"${e === data.entity ? html` selected` : ''}>${e}</option>`)}</select> <button type="submit" class="secondary">Filter</button></form>
${data.entries.length === 0 ? html`<p class="muted">No changes recorded yet.</p>` : html`<div class="table-wrap"><table id="audit"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Before</th><th>After</th></tr></thead><tbody>
${data.entries.map((e) => html`<tr data-entity="${e.entity}" data-key="${e.entityKey}"><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action} ${e.entity} <strong>${e.entityKey}</strong></td>
<td><details><summary>before</summary><pre>${json(e.before)}</pre></details></td><td><details><summary>after</summary><pre>${json(e.after)}</pre></details></td></tr>`)}
</tbody></table></div>`}
${data.nextBeforeId === null ? '' : html`<p><a href="/admin/audit?before=${data.nextBeforeId}${data.entity ? `&entity=${encodeURIComponent(data.entity)}` : ''}">Older changes</a></p>`}`,
  );
}
