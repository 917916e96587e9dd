// The GitHub pipeline's configuration against the fake API, shared by the pipeline tests and the
// benchmarks (a *.test.ts cannot be imported for it: vitest would collect its tests twice, and
// outside vitest its `describe` throws).
export const REPOS = ['acme/support', 'acme/platform'];

/** The env: references of pipelineConfig, with the values the fake accepts. */
export const PIPELINE_ENV = { SLA_SYNC_TEST_GITHUB_TOKEN: 'test-token', SLA_SYNC_TEST_GITHUB_SECRET: 'hook-secret' };

export function pipelineConfig(baseUrl: string, rateLimit: { concurrency?: number; perSecond?: number } = { concurrency: 8, perSecond: 5000 }) {
  return {
    policies: {
      standard: {
        calendar: {
          timezone: 'Europe/Berlin',
          week: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '12:00'], ['13:00', '17:00']]])),
          holidays: ['2025-01-01', '2025-04-18', '2025-04-21'],
        },
        severities: {
          S1: { firstResponseMinutes: 30, resolutionMinutes: 240, calendar: '24x7', objectivePercent: 100 },
          S2: { firstResponseMinutes: 60, resolutionMinutes: 480, objectivePercent: 95 },
          S3: { firstResponseMinutes: 240, resolutionMinutes: 1440, objectivePercent: 90 },
          S4: { firstResponseMinutes: 480, resolutionMinutes: 2400, objectivePercent: 90 },
        },
        defaultSeverity: 'S3',
      },
    },
    connections: {
      'gh-main': {
        source: 'github',
        policy: 'standard',
        // The fake answers at loopback speed; the real GitHub keeps the published defaults.
        rateLimit,
        config: {
          baseUrl,
          token: 'env:SLA_SYNC_TEST_GITHUB_TOKEN',
          repositories: REPOS,
          severityLabels: { P1: 'S1', 'priority: critical': 'S1', 'severity/1': 'S1', P2: 'S2', P3: 'S3', P4: 'S4' },
          webhookSecret: 'env:SLA_SYNC_TEST_GITHUB_SECRET',
        },
      },
    },
  };
}
