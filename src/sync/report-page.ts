// Everything /reports shows for one period, from the same verbs as the JSON API and the CLI
// (complianceReport, complianceTrend, breachList, openAtRiskList), so the page's numbers are theirs.
import type { Db } from '../store/db.ts';
import type { TrendBucket } from '../store/report-repo.ts';
import type { CaseList } from './report-lists.ts';
import { breachList, openAtRiskList } from './report-lists.ts';
import type { ComplianceTrend } from './report-trend.ts';
import { complianceTrend } from './report-trend.ts';
import type { ComplianceReport } from './report.ts';
import { complianceReport } from './report.ts';

export interface ReportOverview {
  bySeverity: ComplianceReport;
  bySource: ComplianceReport;
  byConnection: ComplianceReport;
  byCustomer: ComplianceReport;
  trend: ComplianceTrend;
  breaches: CaseList;
  open: CaseList;
}

export async function reportOverview(db: Db, query: { fromMs: number; toMs: number; bucket: TrendBucket; listLimit: number }): Promise<ReportOverview> {
  const period = { fromMs: query.fromMs, toMs: query.toMs };
  return {
    bySeverity: await complianceReport(db, { ...period, groupBy: 'severity' }),
    bySource: await complianceReport(db, { ...period, groupBy: 'source' }),
    byConnection: await complianceReport(db, { ...period, groupBy: 'connection' }),
    byCustomer: await complianceReport(db, { ...period, groupBy: 'customer' }),
    trend: await complianceTrend(db, { ...period, bucket: query.bucket }),
    breaches: await breachList(db, { ...period, limit: query.listLimit, offset: 0 }),
    open: await openAtRiskList(db, { limit: query.listLimit, offset: 0 }),
  };
}
