// Admin configuration pages (/admin, issue 6 item 2), for admins only. "Routers validate input, call
// a verb, map errors" (STYLE.md): the forms are read here, the verbs in src/sync/admin-*.ts run them
// through applyConfig (the validation and transaction of `sla-sync config apply`, with audit rows),
// and a ConfigError's paths come back as the form's field errors (HTTP 400, nothing stored).
import type { Request, Response } from 'express';
import { Router } from 'express';
import YAML from 'yaml';
import { SECRET_FIELDS, isBuiltSource } from '../../connectors/registry.ts';
import type { Source } from '../../connectors/types.ts';
import { SOURCES } from '../../connectors/types.ts';
import { isIanaZone } from '../../core/calendar.ts';
import type { CalendarInput, Policy, Severity } from '../../core/types.ts';
import { SEVERITIES, WEEKDAYS } from '../../core/types.ts';
import { listAuditEntries } from '../../store/audit-log-repo.ts';
import type { Connection } from '../../store/connections-repo.ts';
import { getConnection, listConnections, listPriorityMappings } from '../../store/connections-repo.ts';
import { getPolicy, listPolicies } from '../../store/policies-repo.ts';
import { getSyncCursor } from '../../store/sync-cursors-repo.ts';
import { countFailedSyncRuns, latestSyncRuns } from '../../store/sync-runs-repo.ts';
import type { AdminContext, ConfigPreview } from '../../sync/admin-config.ts';
import {
  KEEP_SECRET,
  deleteConnectionAudited,
  deletePolicyAudited,
  impliedMappings,
  previewMappings,
  previewPolicy,
  saveConnection,
  saveMappings,
  savePolicy,
  setConnectionEnabled,
} from '../../sync/admin-config.ts';
import { testConnection } from '../../sync/admin-connection-test.ts';
import { caseCountsByConnection, listCaseSla, rawPrioritiesSeen } from '../../sync/admin-data.ts';
import { ConfigError } from '../../sync/config.ts';
import { IcsError, holidaysFromIcs } from '../../sync/ics.ts';
import { requireAuth } from '../auth/context.ts';
import { requireRole } from '../auth/require-role.ts';
import type { AreaDeps } from '../deps.ts';
import { HttpError } from '../errors.ts';
import type { ConnectionFormValues, ConnectionRow, MappingRow } from '../views/admin/connections.ts';
import { SETTINGS_TEMPLATES, connectionFormPage, connectionsListPage, deleteConnectionPage, mappingPage, shownSecret } from '../views/admin/connections.ts';
import type { AdminView, FieldErrors } from '../views/admin/layout.ts';
import { auditPage, jobsPage, overviewPage } from '../views/admin/overview.ts';
import type { PolicyFormValues } from '../views/admin/policies.ts';
import { deletePolicyPage, policiesListPage, policyFormPage } from '../views/admin/policies.ts';

/** Notices after a redirect, by key: the query string never carries text to show. */
const NOTICES: Record<string, string> = {
  'connection-created': 'Connection created.',
  'connection-saved': 'Connection saved.',
  'connection-paused': 'Connection paused: no sync and no writeback until it is resumed.',
  'connection-resumed': 'Connection resumed.',
  'connection-deleted': 'Connection deleted.',
  'sync-queued': 'Sync queued: a worker runs it shortly.',
  'policy-created': 'Policy created.',
  'policy-saved': 'Policy saved.',
  'policy-deleted': 'Policy deleted.',
  'mapping-saved': 'Mapping saved.',
};

function noticeOf(req: Request): string | null {
  const key = req.query['notice'];
  if (typeof key !== 'string' || !Object.hasOwn(NOTICES, key)) return null;
  const changed = Number(req.query['changed']);
  const queued = Number(req.query['queued']);
  const counts = Number.isInteger(changed) && changed >= 0 ? ` ${changed} cases changed SLA state; writebacks ${Number.isInteger(queued) && queued >= 0 ? `queued for ${queued} cases` : 'pending'}.` : '';
  return `${NOTICES[key]}${counts}`;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '');
export const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
export const body = (req: Request): Record<string, unknown> => (typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {});

/** "path: message" lines of a ConfigError into field errors, by a path-to-field function. */
export function fieldErrors(lines: readonly string[], fieldOf: (path: string) => string): FieldErrors {
  const errors: FieldErrors = {};
  for (const line of lines) {
    const at = line.indexOf(': ');
    const path = at < 0 ? '' : line.slice(0, at);
    const message = at < 0 ? line : line.slice(at + 2);
    const field = fieldOf(path);
    (errors[field] ??= []).push(field === 'settings' || field === 'form' ? `${path.replace(/^connections\.[^.]+\.(config\.)?/, '')}: ${message}` : message);
  }
  return errors;
}

/** A form number: blank is absent, a number is a number, anything else is passed on for the schema to refuse. */
function formNumber(value: string): number | string | undefined {
  const t = value.trim();
  if (t === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : t;
}

export function parseId(req: Request): number {
  const id = Number(req.params['id']);
  if (!Number.isInteger(id) || id <= 0 || id > 2 ** 31 - 1) throw new HttpError(404, 'not_found', `no such item: ${String(req.params['id'])}`);
  return id;
}

/** Every IANA zone this runtime knows, plus UTC. */
const ZONES: readonly string[] = (() => {
  const zones = new Set<string>(['UTC', ...Intl.supportedValuesOf('timeZone')]);
  return [...zones].filter(isIanaZone).sort((a, b) => (a === 'UTC' ? -1 : b === 'UTC' ? 1 : a.localeCompare(b)));
})();

// ---------------------------------------------------------------- connections: form <-> entry

function connectionFormFrom(connection: Connection | null, source: Source, policyName: string): ConnectionFormValues {
  if (!connection) {
    return { name: '', source, policy: policyName, enabled: true, syncIntervalMinutes: '5', secrets: {}, storedLiterals: [], settings: SETTINGS_TEMPLATES[source] };
  }
  const secrets: Record<string, string> = {};
  const storedLiterals: string[] = [];
  for (const key of SECRET_FIELDS[connection.source]) {
    const value = connection.config[key];
    if (value === undefined) continue;
    secrets[key] = shownSecret(value);
    if (secrets[key] === '') storedLiterals.push(key);
  }
  const settings = Object.fromEntries(Object.entries(connection.config).filter(([k]) => !SECRET_FIELDS[connection.source].includes(k)));
  return {
    name: connection.name,
    source: connection.source,
    policy: policyName,
    enabled: connection.enabled,
    syncIntervalMinutes: String(connection.syncIntervalMinutes),
    secrets,
    storedLiterals,
    settings: Object.keys(settings).length === 0 ? '' : YAML.stringify(settings),
  };
}

/** The posted form: its values to show again (never a literal secret) and the entry to apply. */
function readConnectionForm(req: Request, existing: Connection | null): { values: ConnectionFormValues; entry: Record<string, unknown> | null; errors: FieldErrors } {
  const b = body(req);
  const errors: FieldErrors = {};
  const sourceRaw = existing ? existing.source : str(b['source']);
  const source: Source = (SOURCES as readonly string[]).includes(sourceRaw) && isBuiltSource(sourceRaw) ? (sourceRaw as Source) : 'github';
  if (!existing && source !== sourceRaw) errors['source'] = [`"${sourceRaw}" is not a source (${SOURCES.join(', ')})`];
  const name = existing ? existing.name : str(b['name']).trim();
  const settingsText = str(b['settings']);
  let settings: Record<string, unknown> = {};
  try {
    const parsed: unknown = settingsText.trim() === '' ? {} : YAML.parse(settingsText, { uniqueKeys: true });
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) errors['settings'] = ['is not a YAML mapping of settings (key: value lines)'];
    else settings = parsed as Record<string, unknown>;
  } catch (error) {
    errors['settings'] = [`is not YAML (${(error as Error).message.split('\n')[0]})`];
  }
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings)) {
    if (SECRET_FIELDS[source].includes(k)) (errors['settings'] ??= []).push(`${k}: is a secret: enter it in its own field`);
    else config[k] = v;
  }
  const secrets: Record<string, string> = {};
  for (const key of SECRET_FIELDS[source]) {
    const given = str(b[`secret.${key}`]).trim();
    secrets[key] = shownSecret(given);
    if (given !== '') config[key] = given;
    // Blank on a stored connection keeps the stored secret (applyConfig's redacted-secret rule).
    else if (existing && existing.config[key] !== undefined) config[key] = KEEP_SECRET;
  }
  const interval = formNumber(str(b['syncIntervalMinutes']));
  const values: ConnectionFormValues = {
    name,
    source,
    policy: str(b['policy']),
    enabled: str(b['enabled']) === 'true',
    syncIntervalMinutes: str(b['syncIntervalMinutes']),
    secrets,
    storedLiterals: existing ? SECRET_FIELDS[source].filter((k) => existing.config[k] !== undefined && shownSecret(existing.config[k]) === '') : [],
    settings: settingsText,
  };
  if (name === '') errors['name'] = ['is required'];
  if (values.policy === '') errors['policy'] = ['is required: choose a policy'];
  const entry = { source, policy: values.policy, enabled: values.enabled, ...(interval === undefined ? {} : { syncIntervalMinutes: interval }), config };
  return { values, entry: Object.keys(errors).length === 0 ? entry : null, errors };
}

function connectionFieldOf(name: string, source: Source) {
  const prefix = `connections.${name}`;
  return (path: string): string => {
    if (!path.startsWith(`${prefix}.`)) return 'name';
    const rest = path.slice(prefix.length + 1);
    if (rest === 'config') return 'settings';
    if (rest.startsWith('config.')) {
      const key = rest.slice(7).split(/[.[]/)[0]!;
      return SECRET_FIELDS[source].includes(key) ? `secret.${key}` : 'settings';
    }
    const top = rest.split(/[.[]/)[0]!;
    return ['policy', 'enabled', 'syncIntervalMinutes', 'source'].includes(top) ? top : 'form';
  };
}

// ---------------------------------------------------------------- policies: form <-> definition

const DEFAULT_HOURS = '09:00-17:00';

function policyFormFrom(name: string, p: Policy | null): PolicyFormValues {
  const cal = p?.calendar;
  const spec = cal !== undefined && cal !== '24x7' ? cal : null;
  const severities = Object.fromEntries(
    SEVERITIES.map((s) => {
      const t = p?.severities[s];
      const calendar = t?.calendar === undefined ? '' : t.calendar === '24x7' ? '24x7' : 'keep';
      return [s, { use: p ? t !== undefined : true, firstResponseMinutes: t ? String(t.firstResponseMinutes) : '', resolutionMinutes: t ? String(t.resolutionMinutes) : '', objectivePercent: t?.objectivePercent === undefined ? '' : String(t.objectivePercent), calendar }];
    }),
  ) as PolicyFormValues['severities'];
  return {
    name,
    calendarMode: p && !spec ? '24x7' : 'business',
    timezone: spec?.timezone ?? 'UTC',
    week: Object.fromEntries(WEEKDAYS.map((d) => [d, spec ? (spec.week[d] ?? []).map(([a, b]) => `${a}-${b}`).join(', ') : ['sat', 'sun'].includes(d) ? '' : DEFAULT_HOURS])) as PolicyFormValues['week'],
    holidays: (spec?.holidays ?? []).join('\n'),
    ics: '',
    severities,
    ownCalendars: SEVERITIES.filter((s) => { const c = p?.severities[s]?.calendar; return c !== undefined && c !== '24x7'; }),
    defaultSeverity: p?.defaultSeverity ?? 'S3',
    pauseStatuses: p ? [...(p.pauseStatuses ?? ['pending', 'on_hold'])] : ['pending', 'on_hold'],
    pauseFirstResponse: p?.pauseFirstResponse ?? false,
    atRiskPercent: p?.atRiskPercent === undefined ? (p ? '' : '75') : String(p.atRiskPercent),
  };
}

/** "09:00-12:00, 13:00-17:30" into intervals; pieces that are no "a-b" are form errors. */
function parseDayHours(text: string): { intervals: [string, string][]; bad: string[] } {
  const intervals: [string, string][] = [];
  const bad: string[] = [];
  for (const piece of text.split(/[,;]/).map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\S+?)\s*[-–]\s*(\S+)$/.exec(piece);
    if (m) intervals.push([m[1]!, m[2]!]);
    else bad.push(piece);
  }
  return { intervals, bad };
}

function readPolicyForm(req: Request, stored: Policy | null, nowMs: number): { values: PolicyFormValues; definition: Record<string, unknown>; errors: FieldErrors; imported: string | null } {
  const b = body(req);
  const errors: FieldErrors = {};
  const values: PolicyFormValues = {
    ...policyFormFrom(str(b['name']).trim(), stored),
    calendarMode: str(b['calendarMode']) === '24x7' ? '24x7' : 'business',
    timezone: str(b['timezone']),
    week: Object.fromEntries(WEEKDAYS.map((d) => [d, str(b[`week.${d}`])])) as PolicyFormValues['week'],
    holidays: str(b['holidays']),
    ics: str(b['ics']),
    defaultSeverity: str(b['defaultSeverity']),
    pauseStatuses: list(b['pauseStatuses']),
    pauseFirstResponse: str(b['pauseFirstResponse']) === 'true',
    atRiskPercent: str(b['atRiskPercent']),
  };
  for (const s of SEVERITIES) {
    const f = (k: string) => str(b[`sev.${s}.${k}`]);
    values.severities[s] = { use: f('use') === 'true', firstResponseMinutes: f('firstResponseMinutes'), resolutionMinutes: f('resolutionMinutes'), objectivePercent: f('objectivePercent'), calendar: f('calendar') };
  }
  if (values.name === '') errors['name'] = ['is required'];
  // An .ics calendar adds its all-day events to the holidays.
  let imported: string | null = null;
  if (values.ics.trim() !== '') {
    const year = new Date(nowMs).getUTCFullYear();
    try {
      const found = holidaysFromIcs(values.ics, { fromYear: year - 1, toYear: year + 3 });
      const existing = values.holidays.split(/[\s,]+/).filter(Boolean);
      const merged = [...new Set([...existing, ...found.dates])].sort();
      imported = `Imported ${found.dates.length} holiday dates from ${found.events} all-day events${found.timedEvents > 0 ? ` (${found.timedEvents} timed events left out)` : ''}.`;
      values.holidays = merged.join('\n');
      values.ics = '';
    } catch (error) {
      if (!(error instanceof IcsError)) throw error;
      errors['ics'] = [error.message];
    }
  }
  const week: Record<string, [string, string][]> = {};
  for (const d of WEEKDAYS) {
    const { intervals, bad } = parseDayHours(values.week[d]);
    if (bad.length > 0) errors[`week.${d}`] = bad.map((p) => `"${p}" is not HH:MM-HH:MM`);
    if (intervals.length > 0) week[d] = intervals;
  }
  const holidays = values.holidays.split(/[\s,]+/).filter(Boolean);
  const calendar: CalendarInput | Record<string, unknown> = values.calendarMode === '24x7' ? '24x7' : { timezone: values.timezone, week, ...(holidays.length > 0 ? { holidays } : {}) };
  const severities: Record<string, unknown> = {};
  for (const s of SEVERITIES) {
    const v = values.severities[s];
    if (!v.use) continue;
    const own = stored?.severities[s]?.calendar;
    const sevCalendar = v.calendar === '24x7' ? '24x7' : v.calendar === 'keep' && own !== undefined ? own : undefined;
    const objective = formNumber(v.objectivePercent);
    severities[s] = {
      firstResponseMinutes: formNumber(v.firstResponseMinutes),
      resolutionMinutes: formNumber(v.resolutionMinutes),
      ...(objective === undefined ? {} : { objectivePercent: objective }),
      ...(sevCalendar === undefined ? {} : { calendar: sevCalendar }),
    };
  }
  const atRisk = formNumber(values.atRiskPercent);
  const definition = {
    calendar,
    severities,
    defaultSeverity: values.defaultSeverity,
    pauseStatuses: values.pauseStatuses,
    pauseFirstResponse: values.pauseFirstResponse,
    ...(atRisk === undefined ? {} : { atRiskPercent: atRisk }),
  };
  return { values, definition, errors, imported };
}

function policyFieldOf(name: string) {
  const prefix = `policies.${name}`;
  return (path: string): string => {
    if (!path.startsWith(`${prefix}.`)) return 'name';
    const parts = path.slice(prefix.length + 1).split(/\.|\[/);
    const [first, second, third] = parts;
    if (first === 'calendar') {
      if (second === 'week') return third && (WEEKDAYS as readonly string[]).includes(third) ? `week.${third}` : 'week';
      if (second === 'timezone' || second === 'holidays') return second;
      return 'calendarMode';
    }
    if (first === 'severities') {
      if (!second || !(SEVERITIES as readonly string[]).includes(second)) return 'form';
      if (third === 'firstResponseMinutes' || third === 'resolutionMinutes' || third === 'objectivePercent' || third === 'calendar') return `sev.${second}.${third}`;
      return `sev.${second}.use`;
    }
    if (first === 'pauseStatuses') return 'pauseStatuses';
    return first && ['defaultSeverity', 'atRiskPercent', 'pauseFirstResponse'].includes(first) ? first : 'form';
  };
}

// ---------------------------------------------------------------- the router

/** What every admin router needs: the page's user and CSRF token, the verbs' context, sending a page. */
export function adminKit(deps: AreaDeps) {
  const viewOf = (res: Response): AdminView => {
    const auth = requireAuth(res);
    return { user: auth.user, csrfToken: auth.via === 'session' ? auth.session.csrfToken : null };
  };
  const contextOf = (res: Response): AdminContext => {
    const { user } = requireAuth(res);
    return { handle: deps.handle, now: deps.now, actor: { name: user.email, userId: user.id }, ...(deps.queue ? { queue: deps.queue } : {}) };
  };
  const send = (res: Response, status: number, page: string) => void res.status(status).type('html').send(page);
  return { viewOf, contextOf, send };
}

export function adminRoutes(deps: AreaDeps): Router {
  const router = Router();
  const admins = requireRole('admin');
  const { db } = deps;

  const { viewOf, contextOf, send } = adminKit(deps);
  const policyNames = async () => (await listPolicies(db)).map((p) => p.name);
  const policyNameOf = async (c: Connection) => (c.policyId === null ? '' : ((await getPolicy(db, c.policyId))?.name ?? ''));

  async function connectionRows(): Promise<ConnectionRow[]> {
    const [connections, policies, counts, runs] = await Promise.all([listConnections(db), listPolicies(db), caseCountsByConnection(db), latestSyncRuns(db)]);
    const nameOf = new Map(policies.map((p) => [p.id, p.name]));
    const rows: ConnectionRow[] = [];
    for (const c of connections) {
      const mapped = new Set([...(await listPriorityMappings(db, c.id)).map((m) => m.rawPriority.toLowerCase()), ...Object.keys(impliedMappings(c.source, c.config)).map((k) => k.toLowerCase())]);
      const seen = await rawPrioritiesSeen(db, c.id);
      rows.push({
        connection: c,
        policy: c.policyId === null ? null : (nameOf.get(c.policyId) ?? null),
        cases: counts.get(c.id)?.cases ?? 0,
        pending: counts.get(c.id)?.pending ?? 0,
        lastRun: runs.get(c.id) ?? null,
        unmapped: seen.filter((r) => r.rawPriority !== null && !mapped.has(r.rawPriority.toLowerCase())).length,
      });
    }
    return rows;
  }

  router.get('/admin', admins, async (_req, res) => {
    const rows = await connectionRows();
    const deadLetters = deps.queue ? (await deps.queue.listDeadLetters()).length : null;
    send(res, 200, overviewPage(viewOf(res), {
      connections: rows.length,
      paused: rows.filter((r) => !r.connection.enabled).length,
      policies: (await listPolicies(db)).length,
      unmapped: rows.reduce((n, r) => n + r.unmapped, 0),
      failedSyncs: await countFailedSyncRuns(db, new Date(deps.now() - 24 * 3600_000)),
      deadLetters,
    }));
  });

  // ------------------------------------------------------------ connections

  router.get('/admin/connections', admins, async (req, res) => {
    send(res, 200, connectionsListPage(viewOf(res), await connectionRows(), { notice: noticeOf(req) }));
  });

  router.get('/admin/connections/new', admins, async (req, res) => {
    const requested = str(req.query['source']);
    const source: Source = (SOURCES as readonly string[]).includes(requested) ? (requested as Source) : 'github';
    const policies = await policyNames();
    send(res, 200, connectionFormPage(viewOf(res), { id: null, values: connectionFormFrom(null, source, policies[0] ?? ''), policies, errors: {}, warnings: policies.length === 0 ? ['there is no policy yet: create one first (Policies)'] : [] }));
  });

  async function postConnection(req: Request, res: Response, existing: Connection | null): Promise<void> {
    const form = readConnectionForm(req, existing);
    const render = async (status: number, errors: FieldErrors) =>
      send(res, status, connectionFormPage(viewOf(res), { id: existing?.id ?? null, values: form.values, policies: await policyNames(), errors }));
    if (!form.entry) return render(400, form.errors);
    try {
      const saved = await saveConnection(contextOf(res), form.values.name, form.entry as Parameters<typeof saveConnection>[2], { isNew: existing === null });
      const r = saved.summary.reevaluated;
      const notice = existing ? 'connection-saved' : 'connection-created';
      // Saved, with something to know (an env variable this process lacks, a schedule not set): say it now.
      if (saved.warnings.length > 0) return send(res, 200, connectionsListPage(viewOf(res), await connectionRows(), { notice: NOTICES[notice]!, warnings: saved.warnings }));
      res.redirect(303, `/admin/connections?notice=${notice}${r.checked > 0 ? `&changed=${r.changed}` : ''}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      await render(400, fieldErrors(error.errors, connectionFieldOf(form.values.name, form.values.source)));
    }
  }

  router.post('/admin/connections', admins, (req, res) => postConnection(req, res, null));

  const loadConnection = async (req: Request): Promise<Connection> => {
    const connection = await getConnection(db, parseId(req));
    if (!connection) throw new HttpError(404, 'not_found', `no connection with id ${String(req.params['id'])}`);
    return connection;
  };

  router.get('/admin/connections/:id', admins, async (req, res) => {
    const c = await loadConnection(req);
    send(res, 200, connectionFormPage(viewOf(res), { id: c.id, values: connectionFormFrom(c, c.source, await policyNameOf(c)), policies: await policyNames(), errors: {} }));
  });

  router.post('/admin/connections/:id', admins, async (req, res) => postConnection(req, res, await loadConnection(req)));

  router.post('/admin/connections/:id/test', admins, async (req, res) => {
    const c = await loadConnection(req);
    const result = await testConnection(db, c.id, { ...(deps.env ? { env: deps.env } : {}) });
    send(res, result.ok ? 200 : 502, connectionsListPage(viewOf(res), await connectionRows(), { testResult: { name: c.name, result } }));
  });

  router.post('/admin/connections/:id/enabled', admins, async (req, res) => {
    const c = await loadConnection(req);
    const value = str(body(req)['enabled']);
    if (value !== 'true' && value !== 'false') {
      send(res, 400, connectionsListPage(viewOf(res), await connectionRows(), { warnings: ['enabled: is not true or false'] }));
      return;
    }
    try {
      await setConnectionEnabled(contextOf(res), c.id, value === 'true');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      send(res, 400, connectionsListPage(viewOf(res), await connectionRows(), { warnings: error.errors }));
      return;
    }
    res.redirect(303, `/admin/connections?notice=${value === 'true' ? 'connection-resumed' : 'connection-paused'}`);
  });

  router.get('/admin/connections/:id/delete', admins, async (req, res) => {
    const c = await loadConnection(req);
    send(res, 200, deleteConnectionPage(viewOf(res), c, (await caseCountsByConnection(db)).get(c.id)?.cases ?? 0));
  });

  router.post('/admin/connections/:id/delete', admins, async (req, res) => {
    const deleted = await deleteConnectionAudited(contextOf(res), parseId(req));
    if (!deleted) throw new HttpError(404, 'not_found', `no connection with id ${String(req.params['id'])}`);
    res.redirect(303, '/admin/connections?notice=connection-deleted');
  });

  router.post('/admin/connections/:id/sync', admins, async (req, res) => {
    const c = await loadConnection(req);
    if (!deps.queue) throw new HttpError(503, 'no_queue', 'this process has no job queue: run `sla-sync sync` or start a worker');
    await deps.queue.send('sync', { connectionId: c.id });
    res.redirect(303, `${str(body(req)['back']) === 'jobs' ? '/admin/jobs' : '/admin/connections'}?notice=sync-queued`);
  });

  // ------------------------------------------------------------ priority mappings

  async function renderMapping(res: Response, c: Connection, status: number, form: { chosen?: Map<string, Severity | null>; extra?: string[]; preview?: ConfigPreview | null; errors?: FieldErrors; newRaw?: string; newSeverity?: string; notice?: string | null } = {}) {
    const stored = new Map((await listPriorityMappings(db, c.id)).map((m) => [m.rawPriority, m.severity]));
    const implied = impliedMappings(c.source, c.config);
    const seen = await rawPrioritiesSeen(db, c.id);
    const raws = [...new Set([...seen.flatMap((r) => (r.rawPriority === null ? [] : [r.rawPriority])), ...stored.keys(), ...(form.extra ?? [])])];
    const countOf = new Map(seen.map((r) => [r.rawPriority, r.cases]));
    const rows: MappingRow[] = raws.map((raw) => ({
      rawPriority: raw,
      cases: countOf.get(raw) ?? 0,
      severity: form.chosen?.has(raw) ? form.chosen.get(raw)! : (stored.get(raw) ?? null),
      implied: implied[raw] ?? null,
    }));
    const policy = c.policyId === null ? null : await getPolicy(db, c.policyId);
    send(res, status, mappingPage(viewOf(res), {
      connection: c,
      rows,
      noPriorityCases: countOf.get(null) ?? 0,
      defaultSeverity: policy?.definition.defaultSeverity ?? null,
      cases: await listCaseSla(db, c.id),
      preview: form.preview ?? null,
      errors: form.errors ?? {},
      newRaw: form.newRaw ?? '',
      newSeverity: form.newSeverity ?? '',
      notice: form.notice ?? null,
    }));
  }

  router.get('/admin/connections/:id/mapping', admins, async (req, res) => renderMapping(res, await loadConnection(req), 200, { notice: noticeOf(req) }));

  router.post('/admin/connections/:id/mapping', admins, async (req, res) => {
    const c = await loadConnection(req);
    const b = body(req);
    const errors: FieldErrors = {};
    const chosen = new Map<string, Severity | null>();
    const isSeverity = (v: string): v is Severity => (SEVERITIES as readonly string[]).includes(v);
    for (const key of Object.keys(b)) {
      const m = /^raw\.(\d{1,4})$/.exec(key);
      if (!m) continue;
      const raw = str(b[key]);
      const severity = str(b[`severity.${m[1]}`]);
      if (raw === '') continue;
      if (severity !== '' && !isSeverity(severity)) errors[`severity.${m[1]}`] = [`"${severity}" is not a severity (S1..S4)`];
      chosen.set(raw, severity !== '' && isSeverity(severity) ? severity : null);
    }
    const newRaw = str(b['newRaw']).trim();
    const newSeverity = str(b['newSeverity']);
    if (newRaw !== '' || newSeverity !== '') {
      if (newRaw === '') errors['newRaw'] = ['is required with a severity'];
      if (!isSeverity(newSeverity)) errors['newSeverity'] = [newSeverity === '' ? 'is required with a raw priority' : `"${newSeverity}" is not a severity (S1..S4)`];
      if (newRaw !== '' && isSeverity(newSeverity)) chosen.set(newRaw, newSeverity);
    }
    const extra = newRaw !== '' && isSeverity(newSeverity) ? [newRaw] : [];
    const formState = { chosen, extra, newRaw: extra.length > 0 ? '' : newRaw, newSeverity: extra.length > 0 ? '' : newSeverity };
    if (Object.keys(errors).length > 0) return renderMapping(res, c, 400, { ...formState, errors });
    const mappings = Object.fromEntries([...chosen].filter((e): e is [string, Severity] => e[1] !== null));
    const ctx = contextOf(res);
    try {
      if (str(b['intent']) === 'preview') {
        const preview = await previewMappings(ctx, c.id, mappings);
        return renderMapping(res, c, 200, { ...formState, preview });
      }
      const saved = await saveMappings(ctx, c.id, mappings);
      const r = saved!.summary.reevaluated;
      res.redirect(303, `/admin/connections/${c.id}/mapping?notice=mapping-saved&changed=${r.changed}${deps.queue ? `&queued=${r.changed}` : ''}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return renderMapping(res, c, 400, { ...formState, errors: fieldErrors(error.errors, () => 'form') });
    }
  });

  // ------------------------------------------------------------ policies

  router.get('/admin/policies', admins, async (req, res) => {
    const connections = await listConnections(db);
    const policies = (await listPolicies(db)).map((policy) => ({ policy, connections: connections.filter((c) => c.policyId === policy.id).map((c) => c.name) }));
    send(res, 200, policiesListPage(viewOf(res), policies, noticeOf(req)));
  });

  router.get('/admin/policies/new', admins, async (_req, res) => {
    send(res, 200, policyFormPage(viewOf(res), { id: null, values: policyFormFrom('', null), zones: ZONES, errors: {}, preview: null }));
  });

  const loadPolicy = async (req: Request) => {
    const policy = await getPolicy(db, parseId(req));
    if (!policy) throw new HttpError(404, 'not_found', `no policy with id ${String(req.params['id'])}`);
    return policy;
  };

  async function postPolicy(req: Request, res: Response, id: number | null): Promise<void> {
    const stored = id === null ? null : await loadPolicy(req);
    const form = readPolicyForm(req, stored?.definition ?? null, deps.now());
    if (stored) form.values.name = stored.name;
    const render = (status: number, extra: { errors?: FieldErrors; preview?: ConfigPreview | null; notice?: string | null }) =>
      send(res, status, policyFormPage(viewOf(res), { id, values: form.values, zones: ZONES, errors: extra.errors ?? {}, preview: extra.preview ?? null, notice: extra.notice ?? null }));
    if (Object.keys(form.errors).length > 0) return render(400, { errors: form.errors });
    const intent = str(body(req)['intent']);
    if (intent === 'import') return render(200, { notice: form.imported ?? 'No calendar to import: paste or choose an .ics file.' });
    const ctx = contextOf(res);
    try {
      if (intent === 'preview' && stored) return render(200, { preview: await previewPolicy(ctx, stored.name, form.definition), notice: form.imported });
      const saved = await savePolicy(ctx, form.values.name, form.definition);
      const r = saved.summary.reevaluated;
      res.redirect(303, `/admin/policies?notice=${stored ? 'policy-saved' : 'policy-created'}${r.checked > 0 ? `&changed=${r.changed}${deps.queue ? `&queued=${r.changed}` : ''}` : ''}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return render(400, { errors: fieldErrors(error.errors, policyFieldOf(form.values.name)) });
    }
  }

  router.post('/admin/policies', admins, (req, res) => postPolicy(req, res, null));

  router.get('/admin/policies/:id', admins, async (req, res) => {
    const p = await loadPolicy(req);
    send(res, 200, policyFormPage(viewOf(res), { id: p.id, values: policyFormFrom(p.name, p.definition), zones: ZONES, errors: {}, preview: null }));
  });

  router.post('/admin/policies/:id', admins, (req, res) => postPolicy(req, res, parseId(req)));

  const usersOf = async (policyId: number) => (await listConnections(db)).filter((c) => c.policyId === policyId).map((c) => c.name);

  router.get('/admin/policies/:id/delete', admins, async (req, res) => {
    const p = await loadPolicy(req);
    send(res, 200, deletePolicyPage(viewOf(res), p, await usersOf(p.id), null));
  });

  router.post('/admin/policies/:id/delete', admins, async (req, res) => {
    const p = await loadPolicy(req);
    const outcome = await deletePolicyAudited(contextOf(res), p.id);
    if (outcome === 'not_found') throw new HttpError(404, 'not_found', `no policy with id ${p.id}`);
    if (outcome === 'in_use') {
      send(res, 409, deletePolicyPage(viewOf(res), p, await usersOf(p.id), `${p.name} is still in use (by a connection, a rule or stored cases) and was not deleted.`));
      return;
    }
    res.redirect(303, '/admin/policies?notice=policy-deleted');
  });

  // ------------------------------------------------------------ audit log, syncs and jobs

  const AUDIT_PAGE = 100;
  router.get('/admin/audit', admins, async (req, res) => {
    const entity = str(req.query['entity']) || null;
    const before = Number(str(req.query['before']));
    const entries = await listAuditEntries(db, { limit: AUDIT_PAGE + 1, ...(entity ? { entity } : {}), ...(Number.isInteger(before) && before > 0 ? { beforeId: before } : {}) });
    const shown = entries.slice(0, AUDIT_PAGE);
    send(res, 200, auditPage(viewOf(res), { entries: shown, entity, entities: ['connection', 'mapping', 'policy', 'customers', 'rules'], nextBeforeId: entries.length > AUDIT_PAGE ? shown[shown.length - 1]!.id : null }));
  });

  router.get('/admin/jobs', admins, async (req, res) => {
    const runs = await latestSyncRuns(db);
    const rows = [];
    for (const c of await listConnections(db)) {
      rows.push({ name: c.name, id: c.id, enabled: c.enabled, run: runs.get(c.id) ?? null, lastError: (await getSyncCursor(db, c.id))?.lastError ?? null });
    }
    const deadLetters = deps.queue ? await deps.queue.listDeadLetters({ limit: 200 }) : null;
    send(res, 200, jobsPage(viewOf(res), { runs: rows, deadLetters: deadLetters ? [...deadLetters].reverse() : null, notice: noticeOf(req) }));
  });

  return router;
}
