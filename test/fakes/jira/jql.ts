// The slice of JQL the fake understands: clauses on project, issuetype, status, labels, id/issue/key,
// created and updated (=, !=, <, <=, >, >=, in, not in), joined with AND / OR / NOT and parentheses,
// and ORDER BY. Dates are read in the API user's zone at minute precision, as Jira does. Anything
// else is refused with a JqlError (Jira answers 400), so a query the fake cannot judge fails the test
// instead of passing unnoticed.
import { DateTime } from 'luxon';
import type { FakeIssue, FakeJiraWorld } from './world.ts';

export class JqlError extends Error {}

type Token = { kind: 'word' | 'string' | 'op' | 'punct'; text: string };

function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:("(?:[^"\\]|\\.)*")|('(?:[^'\\]|\\.)*')|(!=|>=|<=|=|<|>|~)|([(),])|([A-Za-z0-9_.\-:/]+))\s*/y;
  for (let at = jql.search(/\S|$/); at < jql.length; at = re.lastIndex) {
    re.lastIndex = at;
    const m = re.exec(jql);
    if (!m) throw new JqlError(`Error in the JQL Query: unexpected text at "${jql.slice(at, at + 20)}"`);
    if (m[1] || m[2]) tokens.push({ kind: 'string', text: (m[1] ?? m[2]!).slice(1, -1).replace(/\\(.)/g, '$1') });
    else if (m[3]) tokens.push({ kind: 'op', text: m[3] });
    else if (m[4]) tokens.push({ kind: 'punct', text: m[4] });
    else tokens.push({ kind: 'word', text: m[5]! });
  }
  return tokens;
}

type Predicate = (issue: FakeIssue) => boolean;
export interface OrderKey {
  field: string;
  direction: 1 | -1;
}
export interface ParsedJql {
  where: Predicate | null;
  orderBy: OrderKey[];
}

const FIELDS = new Set(['project', 'issuetype', 'type', 'status', 'labels', 'id', 'issue', 'issuekey', 'key', 'created', 'updated']);
const ORDERABLE = new Set(['created', 'updated', 'key', 'issuekey', 'id', 'priority']);

export function parseJql(jql: string, world: FakeJiraWorld): ParsedJql {
  const tokens = tokenize(jql);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isWord = (text: string): boolean => peek()?.kind === 'word' && peek()!.text.toLowerCase() === text;
  const next = (): Token => {
    const t = tokens[pos++];
    if (!t) throw new JqlError('Error in the JQL Query: the query ends too early');
    return t;
  };
  const expect = (text: string): void => {
    const t = next();
    if (t.text.toLowerCase() !== text) throw new JqlError(`Error in the JQL Query: expected "${text}", found "${t.text}"`);
  };

  const value = (): string => {
    const t = next();
    if (t.kind === 'string' || t.kind === 'word') return t.text;
    throw new JqlError(`Error in the JQL Query: expected a value, found "${t.text}"`);
  };

  const dateValue = (text: string): number => {
    const zone = world.apiUserTimeZone;
    for (const format of ['yyyy-MM-dd HH:mm', 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd', 'yyyy/MM/dd']) {
      const dt = DateTime.fromFormat(text, format, { zone });
      if (dt.isValid) return dt.toMillis();
    }
    throw new JqlError(`Date value '${text}' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd'`);
  };

  const fieldValue = (issue: FakeIssue, field: string): (string | number)[] => {
    switch (field) {
      case 'project':
        return [issue.project.key.toLowerCase(), issue.project.id, issue.project.name.toLowerCase()];
      case 'issuetype':
      case 'type':
        return [issue.issueType.toLowerCase()];
      case 'status':
        return [world.statuses.get(issue.statusId)!.name.toLowerCase(), issue.statusId];
      case 'labels':
        return issue.labels.map((l) => l.toLowerCase());
      case 'id':
      case 'issue':
      case 'issuekey':
      case 'key':
        return [issue.id, issue.key.toLowerCase()];
      default:
        throw new JqlError(`Field '${field}' does not exist or you do not have permission to view it.`);
    }
  };

  const clause = (): Predicate => {
    if (isWord('not')) {
      next();
      const inner = clause();
      return (i) => !inner(i);
    }
    if (peek()?.text === '(') {
      next();
      const inner = orExpr();
      expect(')');
      return inner;
    }
    const fieldToken = next();
    const field = fieldToken.text.toLowerCase();
    if (fieldToken.kind !== 'word' || !FIELDS.has(field)) throw new JqlError(`Field '${fieldToken.text}' does not exist or you do not have permission to view it.`);
    let op: string;
    if (isWord('in')) {
      next();
      op = 'in';
    } else if (isWord('not')) {
      next();
      expect('in');
      op = 'not in';
    } else {
      const t = next();
      if (t.kind !== 'op' || t.text === '~') throw new JqlError(`The operator '${t.text}' is not supported by the '${field}' field.`);
      op = t.text;
    }
    if (field === 'created' || field === 'updated') {
      if (!['=', '!=', '<', '<=', '>', '>='].includes(op)) throw new JqlError(`The operator '${op}' is not supported by the '${field}' field.`);
      const at = dateValue(value());
      const get = (i: FakeIssue): number => Math.floor((field === 'created' ? i.created : i.updated) / 60_000) * 60_000; // minute precision
      const cmp: Record<string, (a: number) => boolean> = { '=': (a) => a === at, '!=': (a) => a !== at, '<': (a) => a < at, '<=': (a) => a <= at, '>': (a) => a > at, '>=': (a) => a >= at };
      return (i) => cmp[op]!(get(i));
    }
    let values: string[];
    if (op === 'in' || op === 'not in') {
      expect('(');
      values = [value()];
      while (peek()?.text === ',') {
        next();
        values.push(value());
      }
      expect(')');
    } else {
      if (op !== '=' && op !== '!=') throw new JqlError(`The operator '${op}' is not supported by the '${field}' field.`);
      values = [value()];
    }
    const wanted = new Set(values.map((v) => v.toLowerCase()));
    const has = (i: FakeIssue): boolean => fieldValue(i, field).some((v) => wanted.has(String(v)));
    return op === '=' || op === 'in' ? has : (i) => !has(i);
  };

  const andExpr = (): Predicate => {
    let left = clause();
    while (isWord('and')) {
      next();
      const l = left;
      const r = clause();
      left = (i) => l(i) && r(i);
    }
    return left;
  };
  function orExpr(): Predicate {
    let left = andExpr();
    while (isWord('or')) {
      next();
      const l = left;
      const r = andExpr();
      left = (i) => l(i) || r(i);
    }
    return left;
  }

  const where = peek() && !isWord('order') ? orExpr() : null;
  const orderBy: OrderKey[] = [];
  if (isWord('order')) {
    next();
    expect('by');
    do {
      if (peek()?.text === ',') next();
      const field = next().text.toLowerCase();
      if (!ORDERABLE.has(field)) throw new JqlError(`Not able to sort using field '${field}'.`);
      let direction: 1 | -1 = 1;
      if (isWord('asc')) next();
      else if (isWord('desc')) {
        next();
        direction = -1;
      }
      orderBy.push({ field, direction });
    } while (peek()?.text === ',');
    if (orderBy.length > 7) throw new JqlError('The ORDER BY clause can contain a maximum of 7 fields.');
  }
  if (pos < tokens.length) throw new JqlError(`Error in the JQL Query: unexpected "${tokens[pos]!.text}"`);
  return { where, orderBy };
}

/** The issues a query selects, in its order (then by id, as a stable tie-break). */
export function runJql(jql: string, world: FakeJiraWorld): FakeIssue[] {
  const { where, orderBy } = parseJql(jql, world);
  // The enhanced search refuses unbounded queries ("order by key desc" alone).
  if (!where) throw new JqlError('Unbounded JQL queries are not allowed here. Please add a search restriction to your query.');
  const keyOf = (i: FakeIssue, field: string): number | string => {
    switch (field) {
      case 'created':
        return i.created;
      case 'updated':
        return i.updated;
      case 'priority':
        return i.priorityId === null ? 99 : Number(i.priorityId);
      case 'id':
        return Number(i.id);
      default:
        return `${i.project.key}-${String(Number(i.key.split('-')[1])).padStart(9, '0')}`;
    }
  };
  return world.issues
    .filter(where)
    .sort((a, b) => {
      for (const { field, direction } of orderBy) {
        const x = keyOf(a, field);
        const y = keyOf(b, field);
        if (x !== y) return (x < y ? -1 : 1) * direction;
      }
      return Number(a.id) - Number(b.id);
    });
}
