// `npm run bench [-- SECTION...]` (issue 2, item 7). Each section is a function returning the lines
// it prints; with no argument every section runs, in order; with names, only those. New sections
// (sync throughput, reports) are one import and one entry in SECTIONS.
//
// Figures are wall time on one core (everything here is single-threaded); nothing is asserted on
// them: a target line says MET or NOT MET and the exit code stays 0.
import os from 'node:os';
import { runEngineBench } from './engine.ts';
import { runCalendarBench } from './calendar-vs-moment.ts';
import { runSyncBench } from './sync.ts';
import { runWebhookLatencyBench } from './webhook-latency.ts';
import { runReportBench } from './report.ts';

interface Section {
  name: string;
  title: string;
  run: () => string[] | Promise<string[]>;
}

const SECTIONS: readonly Section[] = [
  { name: 'engine', title: 'SLA engine: case evaluations per second', run: () => runEngineBench() },
  { name: 'calendar', title: 'add N business minutes: ours vs moment-business-time', run: () => runCalendarBench() },
  { name: 'sync', title: 'GitHub sync throughput from the fake API into each store', run: () => runSyncBench() },
  { name: 'webhook-latency', title: 'webhook-to-writeback latency for a burst of 1,000 GitHub webhooks', run: () => runWebhookLatencyBench() },
  { name: 'report', title: 'compliance report for one quarter, by severity and by source (Postgres 1M cases, PGlite 100k)', run: () => runReportBench() },
];

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: npm run bench [-- SECTION...]\nsections: ${SECTIONS.map((s) => `${s.name} (${s.title})`).join(', ')}`);
    return 0;
  }
  const unknown = argv.filter((a) => !SECTIONS.some((s) => s.name === a));
  if (unknown.length > 0) {
    console.error(`unknown bench section: ${unknown.join(', ')} (known: ${SECTIONS.map((s) => s.name).join(', ')})`);
    return 2;
  }
  const chosen = argv.length === 0 ? SECTIONS : SECTIONS.filter((s) => argv.includes(s.name));
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  // The load average says how much the machine's other work may have slowed the figures down.
  console.log(
    `sla-sync bench: node ${process.version}, ${os.platform()}/${os.arch()}, ${cpu}, ${os.cpus().length} cores (one used), ` +
      `load average ${os.loadavg()[0]!.toFixed(2)} at start`,
  );
  for (const section of chosen) {
    console.log(`\n== ${section.name}: ${section.title}\n`);
    const start = process.hrtime.bigint();
    const lines = await section.run();
    for (const line of lines) console.log(line);
    console.log(`(${section.name}: ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s)`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
