/*
 * sla-sync countdown: renders a case's SLA (the CaseSlaView of src/sync/case-sla.ts) and ticks every
 * second, in business time. Used by the case page, the Jira issue panel and the Zendesk sidebar
 * (which bundles this file), so it is plain browser JavaScript with no imports and no innerHTML.
 *
 *   <div data-sla-view='{...CaseSlaView JSON...}'></div>   rendered from the embedded view
 *   <div data-sla-src="/api/cases/12/sla"></div>            fetched (same origin), refreshed each minute
 *   SlaCountdown.render(element, view)                      from a script (the Zendesk sidebar)
 *
 * The server's evaluation instant is the clock's origin (so a wrong clock on the agent's machine does
 * not shift the countdown); a counting clock advances only inside the business intervals the server
 * sent, and turns "at risk" and "breached" at the instants the engine computed.
 */
(function (global) {
  'use strict';

  var LABELS = { running: 'On track', at_risk: 'At risk', breached: 'Breached', paused: 'Paused', met: 'Met' };

  function businessMsBetween(intervals, from, to) {
    var sum = 0;
    for (var i = 0; i < intervals.length; i++) {
      var a = Math.max(intervals[i][0], from);
      var b = Math.min(intervals[i][1], to);
      if (b > a) sum += b - a;
    }
    return sum;
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  /** "1d 02h 03m 04s", "2h 03m 04s", "3m 04s", "4s": every second shows. */
  function formatClock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    if (d > 0) return d + 'd ' + pad(h) + 'h ' + pad(m) + 'm ' + pad(sec) + 's';
    if (h > 0) return h + 'h ' + pad(m) + 'm ' + pad(sec) + 's';
    if (m > 0) return m + 'm ' + pad(sec) + 's';
    return sec + 's';
  }

  /** "2h 10m", "1d 3h", "35m": for "ago" and "missed by". */
  function formatShort(seconds) {
    var minutes = Math.max(0, Math.floor(seconds / 60));
    var d = Math.floor(minutes / 1440);
    var h = Math.floor((minutes % 1440) / 60);
    var m = minutes % 60;
    if (d > 0) return h > 0 ? d + 'd ' + h + 'h' : d + 'd';
    if (h > 0) return m > 0 ? h + 'h ' + m + 'm' : h + 'h';
    return m + 'm';
  }

  function formatInstant(iso, timeZone) {
    if (!iso) return '';
    var date = new Date(iso);
    try {
      return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: timeZone, timeZoneName: 'short' }).format(date);
    } catch {
      return date.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /** What a metric shows at instant t (ms, server clock). */
  function metricAt(metric, evaluatedMs, t) {
    if (metric.completedAt) {
      if (metric.state === 'breached') return { state: 'breached', clock: 'Missed by ' + formatShort(metric.elapsedSeconds - metric.targetSeconds), detail: 'Completed ' + formatInstant(metric.completedAt, metric.timezone) };
      return { state: 'met', clock: 'Met', detail: 'Completed ' + formatInstant(metric.completedAt, metric.timezone) };
    }
    if (metric.state === 'paused') {
      return { state: 'paused', clock: 'Paused · ' + formatClock(metric.remainingSeconds) + ' left', detail: 'The clock resumes when the case does' };
    }
    var dueMs = metric.dueAt ? Date.parse(metric.dueAt) : null;
    var breachedMs = metric.breachedAt ? Date.parse(metric.breachedAt) : dueMs !== null && t >= dueMs ? dueMs : null;
    if (metric.state === 'breached' || breachedMs !== null) {
      var since = breachedMs !== null ? breachedMs : evaluatedMs;
      var ago = (t - since) / 1000;
      return { state: 'breached', clock: ago < 60 ? 'Breached just now' : 'Breached ' + formatShort(ago) + ' ago', detail: dueMs !== null ? 'Was due ' + formatInstant(metric.dueAt, metric.timezone) : '' };
    }
    var spent = metric.ticking ? businessMsBetween(metric.ticking, evaluatedMs, t) / 1000 : 0;
    var remaining = metric.remainingSeconds - spent;
    var atRisk = metric.state === 'at_risk' || (metric.atRiskAt !== null && t >= Date.parse(metric.atRiskAt));
    return { state: atRisk ? 'at_risk' : 'running', clock: formatClock(remaining) + ' left', detail: dueMs !== null ? 'Due ' + formatInstant(metric.dueAt, metric.timezone) : '' };
  }

  function build(container, view) {
    container.textContent = '';
    container.classList.add('sla-view');
    var head = el('div', 'sla-head');
    var title = el('div', 'sla-case');
    var link = el('a', null, view.case.externalKey);
    link.href = view.case.url;
    link.target = '_blank';
    link.rel = 'noopener';
    title.appendChild(link);
    title.appendChild(document.createTextNode(' · ' + view.case.severity + ' · ' + view.case.status.replace('_', ' ')));
    head.appendChild(title);
    head.appendChild(el('div', 'sla-agreement', 'Policy ' + view.policy + (view.customer ? ' for ' + view.customer : '') + (view.rule ? ' (rule ' + view.rule + ')' : ' (default)')));
    container.appendChild(head);
    var rows = [];
    view.metrics.forEach(function (metric) {
      var box = el('div', 'sla-metric');
      box.setAttribute('data-metric', metric.metric);
      var label = el('div', 'sla-label');
      label.appendChild(el('span', null, metric.label));
      var lozenge = el('span', 'lozenge');
      label.appendChild(lozenge);
      box.appendChild(label);
      var clock = el('div', 'sla-clock');
      clock.setAttribute('role', 'timer');
      box.appendChild(clock);
      var detail = el('div', 'sla-detail');
      box.appendChild(detail);
      box.appendChild(el('div', 'sla-calendar', metric.severity + ' target ' + formatShort(metric.targetSeconds) + ' · ' + metric.calendar));
      if (metric.pauseReason) box.appendChild(el('div', 'sla-pause', 'Paused: ' + metric.pauseReason));
      container.appendChild(box);
      rows.push({ metric: metric, box: box, lozenge: lozenge, clock: clock, detail: detail });
    });
    var why = el('a', 'sla-explain', 'Why this SLA? See every clock change');
    why.href = view.explainUrl;
    why.target = '_blank';
    why.rel = 'noopener';
    container.appendChild(why);
    return rows;
  }

  /** Renders view into container and ticks every second; returns { stop() }. */
  function render(container, view, options) {
    var evaluatedMs = Date.parse(view.evaluatedAt);
    var skew = evaluatedMs - ((options && options.now) || Date.now)();
    var now = function () {
      return ((options && options.now) || Date.now)() + skew;
    };
    var rows = build(container, view);
    function tick() {
      var t = now();
      rows.forEach(function (row) {
        var shown = metricAt(row.metric, evaluatedMs, t);
        row.box.className = 'sla-metric state-' + shown.state;
        row.box.setAttribute('data-state', shown.state);
        row.lozenge.className = 'lozenge state-' + shown.state;
        row.lozenge.textContent = LABELS[shown.state];
        row.clock.textContent = shown.clock;
        row.detail.textContent = shown.detail;
      });
    }
    tick();
    var timer = setInterval(tick, 1000);
    return {
      stop: function () {
        clearInterval(timer);
      },
    };
  }

  function showError(container, message) {
    container.textContent = '';
    container.appendChild(el('p', 'sla-error', message));
  }

  function fromSource(container) {
    var src = container.getAttribute('data-sla-src');
    var current = null;
    function load() {
      fetch(src, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body && body.message ? body.message : 'HTTP ' + response.status);
            return body;
          });
        })
        .then(function (view) {
          if (current) current.stop();
          current = render(container, view);
        })
        .catch(function (error) {
          showError(container, 'Could not load the SLA: ' + error.message);
        });
    }
    load();
    setInterval(load, 60000);
  }

  function init() {
    var embedded = document.querySelectorAll('[data-sla-view]');
    for (var i = 0; i < embedded.length; i++) {
      try {
        render(embedded[i], JSON.parse(embedded[i].getAttribute('data-sla-view')));
      } catch (e) {
        showError(embedded[i], 'Could not show the SLA: ' + e.message);
      }
    }
    var fetched = document.querySelectorAll('[data-sla-src]');
    for (var j = 0; j < fetched.length; j++) fromSource(fetched[j]);
  }

  global.SlaCountdown = { render: render, metricAt: metricAt, formatClock: formatClock, businessMsBetween: businessMsBetween };
  if (typeof document !== 'undefined') {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
    else init();
  }
})(typeof window !== 'undefined' ? window : globalThis);
