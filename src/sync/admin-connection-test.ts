// "Test" on the admin page (issue 6): a live call through the connector with the stored config,
// reporting what it could read ("read 3 issues from acme/support") or the error, plainly. It reads
// the first page of a full sync and stores nothing.
import { ConnectorError } from '../connectors/types.ts';
import type { CaseInput } from '../connectors/types.ts';
import type { Db } from '../store/db.ts';
import type { RuntimeDeps } from './connection.ts';
import { loadConnectionRuntime } from './connection.ts';

export type ConnectionTestResult =
  | { ok: true; message: string; cases: number; groups: { name: string; cases: number }[] }
  | { ok: false; message: string };

const NOUN = { github: 'issues', jira: 'issues', zendesk: 'tickets' } as const;

/** Where a case lives, as people name it: a repository, a Jira project, a Zendesk account. */
function groupOf(c: CaseInput): string {
  const a = c.attributes;
  const name = a['repository'] ?? a['projectKey'] ?? a['brandId'] ?? null;
  return typeof name === 'string' || typeof name === 'number' ? String(name) : 'the account';
}

export async function testConnection(db: Db, id: number, deps: RuntimeDeps & { timeoutMs?: number } = {}): Promise<ConnectionTestResult> {
  const controller = new AbortController();
  const timeoutMs = deps.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const runtime = await loadConnectionRuntime(db, id, deps);
    const pages = runtime.connector.fetchChanges(runtime.config, null, { ...runtime.ctx, signal: controller.signal })[Symbol.asyncIterator]();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new ConnectorError('unavailable', `no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
    });
    let first: IteratorResult<{ cases: CaseInput[] }>;
    try {
      first = await Promise.race([pages.next(), timeout]);
    } finally {
      await pages.return?.(undefined).catch(() => undefined);
    }
    const read = first.done ? [] : first.value.cases;
    const counts = new Map<string, number>();
    for (const c of read) counts.set(groupOf(c), (counts.get(groupOf(c)) ?? 0) + 1);
    const groups = [...counts].map(([name, cases]) => ({ name, cases })).sort((a, b) => b.cases - a.cases || a.name.localeCompare(b.name));
    const noun = NOUN[runtime.connection.source];
    const message =
      read.length === 0
        ? `connected to ${runtime.connection.source}, but read no ${noun}: check what the connection selects`
        : `read ${groups.map((g) => `${g.cases} ${g.cases === 1 ? noun.slice(0, -1) : noun} from ${g.name}`).join(', ')} (first page)`;
    return { ok: true, message, cases: read.length, groups };
  } catch (error) {
    const message = error instanceof ConnectorError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    return { ok: false, message };
  } finally {
    clearTimeout(timer);
  }
}
