// /reports: one Chart.js line chart per severity from the trend in #trend-data (the same rows as
// GET /api/reports/trend), with the objective as a dashed line. No inline script: the page's
// Content-Security-Policy allows scripts from this origin only.
/* global Chart */
'use strict';

(function drawTrends() {
  const holder = document.getElementById('trend-data');
  if (!holder || typeof Chart === 'undefined') return;
  const trend = JSON.parse(holder.dataset.trend || '{"buckets":[],"rows":[]}');
  const labels = trend.buckets.map((b) => b.from.slice(0, 10));
  const colors = { resolution: '#0052cc', firstResponse: '#00875a', objective: '#bf2600' };
  for (const canvas of document.querySelectorAll('canvas[data-severity]')) {
    const severity = canvas.dataset.severity;
    const rowsOf = (metric) => trend.buckets.map((b) => trend.rows.find((r) => r.bucketFrom === b.from && r.metric === metric && r.severity === severity) || null);
    const series = (metric) => rowsOf(metric).map((r) => (r && r.percentMet !== null ? Math.floor(r.percentMet * 10 + 1e-9) / 10 : null));
    // The objective of each bucket (the strictest of the metrics that completed in it).
    const objective = trend.buckets.map((_b, i) => {
      const values = ['resolution', 'firstResponse'].map((m) => rowsOf(m)[i]).filter((r) => r && r.objectivePercent !== null).map((r) => r.objectivePercent);
      return values.length ? Math.max(...values) : null;
    });
    const chart = new Chart(canvas, {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: 'Resolution', data: series('resolution'), borderColor: colors.resolution, backgroundColor: colors.resolution, spanGaps: true, tension: 0.2 },
          { label: 'First response', data: series('firstResponse'), borderColor: colors.firstResponse, backgroundColor: colors.firstResponse, spanGaps: true, tension: 0.2 },
          { label: 'Objective', data: objective, borderColor: colors.objective, borderDash: [6, 4], pointRadius: 0, spanGaps: true, stepped: 'middle' },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } },
        plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y === null ? '–' : `${c.parsed.y}%`}` } } },
      },
    });
    canvas.dataset.rendered = String(chart.data.datasets.length);
  }
})();
