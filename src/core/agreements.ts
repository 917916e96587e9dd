// Which agreement applies to a case (issue 7): the internal customer it belongs to, and the policy
// chosen for it by an ordered list of rules, first match wins (as Zendesk orders its SLA policies
// and JSM its goals), else the connection's default policy. Pure: facts in, names out.

/** What rules can look at, extracted from a case's vendor attributes by src/sync. */
export interface CaseFacts {
  connection: string;
  source: string;
  /** Jira project key, GitHub "owner/name" repository; null where the source has none. */
  project: string | null;
  /** GitHub labels, Zendesk tags, Jira labels. */
  labels: readonly string[];
  issueType: string | null;
  /** Zendesk organization id, JSM organization names. */
  organizations: readonly string[];
  /** Zendesk group id. */
  group: string | null;
  /** Jira components. */
  components: readonly string[];
  requesterEmail: string | null;
  /** Custom field values by field id (Jira customfield_10010, Zendesk field ids). */
  fields: Readonly<Record<string, string>>;
}

export const CUSTOMER_MATCH_FIELDS = ['project', 'label', 'organization', 'group', 'component', 'issueType', 'requesterDomain', 'field'] as const;
export type CustomerMatchField = (typeof CUSTOMER_MATCH_FIELDS)[number];

/** One way to recognise a customer: a fact of a case of a connection (or any connection). */
export interface CustomerMatcher {
  connection?: string;
  field: CustomerMatchField;
  /** For field "field": the custom field id. */
  fieldId?: string;
  /** Any of these values matches (case-insensitive). */
  values: readonly string[];
}

export interface CustomerSpec {
  name: string;
  /** Any matcher recognises the customer. Customers are tried in order: the first one wins. */
  match: readonly CustomerMatcher[];
}

export const RULE_CONDITIONS = ['connection', 'project', 'customer', 'labels', 'issueType'] as const;
export type RuleCondition = (typeof RULE_CONDITIONS)[number];

/** Every given condition must hold; each condition holds when any of its values matches. */
export interface PolicyRule {
  name: string;
  when: Partial<Record<RuleCondition, readonly string[]>>;
  policy: string;
}

export interface Agreement {
  customer: string | null;
  /** Name of the rule that chose the policy; null when the connection's default applied. */
  rule: string | null;
  policy: string;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const anyOf = (values: readonly string[], candidates: readonly (string | null)[]): boolean =>
  values.some((v) => candidates.some((c) => c !== null && same(v, c)));

function factValues(facts: CaseFacts, matcher: CustomerMatcher): (string | null)[] {
  switch (matcher.field) {
    case 'project':
      return [facts.project];
    case 'label':
      return [...facts.labels];
    case 'organization':
      return [...facts.organizations];
    case 'group':
      return [facts.group];
    case 'component':
      return [...facts.components];
    case 'issueType':
      return [facts.issueType];
    case 'requesterDomain':
      return [facts.requesterEmail === null ? null : (facts.requesterEmail.split('@')[1] ?? null)];
    case 'field':
      return [matcher.fieldId === undefined ? null : (facts.fields[matcher.fieldId] ?? null)];
  }
}

export function matchesCustomer(customer: CustomerSpec, facts: CaseFacts): boolean {
  return customer.match.some(
    (m) => (m.connection === undefined || m.connection === facts.connection) && anyOf(m.values, factValues(facts, m)),
  );
}

export function matchesRule(rule: PolicyRule, facts: CaseFacts, customer: string | null): boolean {
  const w = rule.when;
  return (
    (w.connection === undefined || anyOf(w.connection, [facts.connection])) &&
    (w.project === undefined || anyOf(w.project, [facts.project])) &&
    (w.customer === undefined || anyOf(w.customer, [customer])) &&
    (w.labels === undefined || anyOf(w.labels, facts.labels)) &&
    (w.issueType === undefined || anyOf(w.issueType, [facts.issueType]))
  );
}

/** The first customer that recognises the case, then the first rule that matches, else the default. */
export function resolveAgreement(
  facts: CaseFacts,
  customers: readonly CustomerSpec[],
  rules: readonly PolicyRule[],
  defaultPolicy: string,
): Agreement {
  const customer = customers.find((c) => matchesCustomer(c, facts))?.name ?? null;
  const rule = rules.find((r) => matchesRule(r, facts, customer));
  return { customer, rule: rule?.name ?? null, policy: rule?.policy ?? defaultPolicy };
}
