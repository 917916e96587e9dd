// The demo's configuration as data (what `sla-sync config apply` takes): two policies with business
// hours in New York and US federal holidays (24x7 for S1), connections to the three loopback fakes
// with their priority mappings, three internal customers and the rule that gives Finance the gold
// policy. The story generator reads the same policies, so tickets are timed against their targets.
import type { Policy, Severity } from '../../src/core/types.ts';

export const DEMO_ZONE = 'America/New_York';

const ymd = (year: number, month: number, day: number): string => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;

/** The nth (1-based; -1: last) given weekday (0 = Sunday) of a month, as a local date. */
function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    return ymd(year, month, 1 + ((weekday - first + 7) % 7) + 7 * (n - 1));
  }
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const last = new Date(Date.UTC(year, month - 1, lastDay)).getUTCDay();
  return ymd(year, month, lastDay - ((last - weekday + 7) % 7));
}

/** The US federal holidays of a year, on their dates (5 U.S.C. 6103), without Saturday/Sunday observance shifts. */
export function usFederalHolidays(year: number): string[] {
  return [
    ymd(year, 1, 1),
    nthWeekday(year, 1, 1, 3), // Martin Luther King Jr. Day
    nthWeekday(year, 2, 1, 3), // Washington's Birthday
    nthWeekday(year, 5, 1, -1), // Memorial Day
    ymd(year, 6, 19),
    ymd(year, 7, 4),
    nthWeekday(year, 9, 1, 1), // Labor Day
    nthWeekday(year, 10, 1, 2), // Columbus Day
    ymd(year, 11, 11),
    nthWeekday(year, 11, 4, 4), // Thanksgiving Day
    ymd(year, 12, 25),
  ];
}

const weekdays = (hours: [string, string][]) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, hours]));

/** The policies, for a quarter ending at endMs (holidays of that year and its neighbours). */
export function demoPolicies(endMs: number): Record<'standard' | 'gold', Policy> {
  const year = new Date(endMs).getUTCFullYear();
  const holidays = [year - 1, year, year + 1].flatMap(usFederalHolidays);
  return {
    standard: {
      calendar: { timezone: DEMO_ZONE, week: weekdays([['09:00', '12:30'], ['13:30', '17:30']]), holidays },
      severities: {
        S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7', objectivePercent: 95 },
        S2: { firstResponseMinutes: 60, resolutionMinutes: 480, objectivePercent: 95 },
        S3: { firstResponseMinutes: 240, resolutionMinutes: 1440, objectivePercent: 90 },
        S4: { firstResponseMinutes: 480, resolutionMinutes: 2400, objectivePercent: 85 },
      },
      defaultSeverity: 'S3',
      pauseStatuses: ['pending', 'on_hold'],
      pauseFirstResponse: false,
      atRiskPercent: 75,
    },
    // Finance's agreement: longer hours, tighter targets, S1 and S2 around the clock.
    gold: {
      calendar: { timezone: DEMO_ZONE, week: weekdays([['08:00', '20:00']]), holidays },
      severities: {
        S1: { firstResponseMinutes: 15, resolutionMinutes: 180, calendar: '24x7', objectivePercent: 100 },
        S2: { firstResponseMinutes: 30, resolutionMinutes: 480, calendar: '24x7', objectivePercent: 95 },
        S3: { firstResponseMinutes: 120, resolutionMinutes: 960, objectivePercent: 95 },
        S4: { firstResponseMinutes: 240, resolutionMinutes: 1920, objectivePercent: 90 },
      },
      defaultSeverity: 'S3',
      pauseStatuses: ['pending', 'on_hold'],
      pauseFirstResponse: false,
      atRiskPercent: 75,
    },
  };
}

export const CONNECTIONS = { jira: 'jira-support', zendesk: 'zendesk-main', github: 'github-support' } as const;
export type DemoSource = keyof typeof CONNECTIONS;

/** Jira priority names and GitHub labels per severity (Zendesk's own priorities map by default). */
export const JIRA_PRIORITY: Record<Severity, string> = { S1: 'Highest', S2: 'High', S3: 'Medium', S4: 'Low' };
export const ZENDESK_PRIORITY: Record<Severity, 'urgent' | 'high' | 'normal' | 'low'> = { S1: 'urgent', S2: 'high', S3: 'normal', S4: 'low' };
export const GITHUB_LABEL: Record<Severity, string> = { S1: 'P1', S2: 'P2', S3: 'P3', S4: 'P4' };

/** What tells each customer's tickets apart in each tool (the worlds generate exactly these). */
export const CUSTOMER_MARKS = {
  finance: { githubRepository: 'acme/finance-app', jiraOrganization: 'Finance', zendeskOrganization: 7001 },
  marketing: { label: 'marketing' },
  platform: { jiraProject: 'OPS' },
} as const;
export const GITHUB_REPOSITORIES = ['acme/support', CUSTOMER_MARKS.finance.githubRepository];
export const JIRA_ORGANIZATIONS_FIELD = 'customfield_10002';
export const JIRA_SLA_DUE_FIELD = 'customfield_10050';
export const ZENDESK_SLA_DUE_FIELD = 360_000_111;

export interface FakeEndpoints {
  jira: { url: string; email: string; apiToken: string };
  zendesk: { url: string; email: string; apiToken: string };
  github: { url: string; token: string };
}

/** The config file, pointing at the fakes (literal secrets: these are the fakes' test credentials). */
export function demoConfig(fakes: FakeEndpoints, endMs: number) {
  // The fakes answer at loopback speed; a real vendor keeps sla-sync's published defaults.
  const rateLimit = { concurrency: 8, perSecond: 1000 };
  return {
    policies: demoPolicies(endMs),
    connections: {
      [CONNECTIONS.jira]: {
        source: 'jira',
        policy: 'standard',
        syncIntervalMinutes: 5,
        rateLimit,
        config: {
          siteUrl: fakes.jira.url,
          email: fakes.jira.email,
          apiToken: fakes.jira.apiToken,
          jql: 'project in (SUP, OPS)',
          slaDueFieldId: JIRA_SLA_DUE_FIELD,
          organizationsFieldId: JIRA_ORGANIZATIONS_FIELD,
        },
        priorityMappings: { ...Object.fromEntries(Object.entries(JIRA_PRIORITY).map(([s, name]) => [name, s])), Lowest: 'S4' },
      },
      [CONNECTIONS.zendesk]: {
        source: 'zendesk',
        policy: 'standard',
        syncIntervalMinutes: 5,
        rateLimit,
        config: {
          baseUrl: fakes.zendesk.url,
          email: fakes.zendesk.email,
          apiToken: fakes.zendesk.apiToken,
          slaDueFieldId: ZENDESK_SLA_DUE_FIELD,
          incrementalPerMinute: 1000,
        },
      },
      [CONNECTIONS.github]: {
        source: 'github',
        policy: 'standard',
        syncIntervalMinutes: 5,
        rateLimit,
        config: {
          baseUrl: fakes.github.url,
          token: fakes.github.token,
          repositories: GITHUB_REPOSITORIES,
          severityLabels: Object.fromEntries(Object.entries(GITHUB_LABEL).map(([s, label]) => [label, s])),
          pauseLabels: ['waiting-for-customer'],
        },
      },
    },
    customers: [
      {
        name: 'Finance',
        match: [
          { connection: CONNECTIONS.github, field: 'project', values: [CUSTOMER_MARKS.finance.githubRepository] },
          { connection: CONNECTIONS.jira, field: 'organization', values: [CUSTOMER_MARKS.finance.jiraOrganization] },
          { connection: CONNECTIONS.zendesk, field: 'organization', values: [String(CUSTOMER_MARKS.finance.zendeskOrganization)] },
        ],
      },
      { name: 'Marketing', match: [{ field: 'label', values: [CUSTOMER_MARKS.marketing.label] }] },
      { name: 'Platform', match: [{ connection: CONNECTIONS.jira, field: 'project', values: [CUSTOMER_MARKS.platform.jiraProject] }] },
    ],
    rules: [{ name: 'finance-gold', when: { customer: ['Finance'] }, policy: 'gold' }],
  };
}
