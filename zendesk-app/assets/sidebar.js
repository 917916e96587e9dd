/*
 * The sla-sync ticket sidebar (issue 5 item 6). Asks sla-sync for the open ticket's SLA and renders
 * it with the countdown sla-sync's own pages use (sla-countdown.js, bundled into the app), ticking
 * every second and reloading every minute and after the agent submits the ticket.
 *
 * The request goes through Zendesk's proxy (client.request, secure: true): Zendesk puts the app's
 * secure setting into the Authorization header on its servers, so the secret never reaches the
 * browser. https://developer.zendesk.com/documentation/apps/app-developer-guide/making-api-requests-from-a-zendesk-app/
 */
(function () {
  'use strict';

  var RELOAD_MS = 60000;
  var AFTER_SUBMIT_MS = 5000;
  var root = document.getElementById('sla-sidebar');
  var client = window.ZAFClient.init();
  var current = null;

  function fit() {
    client.invoke('resize', { width: '100%', height: Math.max(60, document.documentElement.scrollHeight) + 'px' });
  }

  function say(message, problem) {
    if (current) current.stop();
    current = null;
    root.textContent = '';
    var p = document.createElement('p');
    p.className = problem ? 'sla-status sla-problem' : 'sla-status';
    p.textContent = message;
    root.appendChild(p);
    fit();
  }

  /** What to tell the agent about a refused or failed request (ZAF rejects with the response). */
  function problemOf(error) {
    var status = error && typeof error.status === 'number' ? error.status : 0;
    var body = error && error.responseJSON;
    if (!body && error && typeof error.responseText === 'string') {
      try {
        body = JSON.parse(error.responseText);
      } catch {
        body = null;
      }
    }
    var detail = body && typeof body.message === 'string' ? body.message : '';
    if (status === 404) return detail || 'This ticket is not tracked by sla-sync.';
    if (status === 401) return 'sla-sync refused this app: check the connection name and the sidebar secret in the app settings. ' + detail;
    if (status === 409) return 'sla-sync has no policy for this ticket yet. ' + detail;
    return 'Could not load the SLA from sla-sync' + (status ? ' (HTTP ' + status + ')' : '') + (detail ? ': ' + detail : '.');
  }

  function slaUrl(settings, ticketId) {
    var base = String(settings.slaSyncUrl || '').replace(/\/+$/, '');
    return base + '/zendesk-app/api/connections/' + encodeURIComponent(settings.connection || '') + '/tickets/' + encodeURIComponent(String(ticketId)) + '/sla';
  }

  function load() {
    Promise.all([client.metadata(), client.get('ticket.id')])
      .then(function (answers) {
        var settings = answers[0].settings || {};
        var ticketId = answers[1]['ticket.id'];
        if (!settings.slaSyncUrl || !settings.connection) throw { status: 0, responseJSON: { message: 'the app settings lack the sla-sync URL or the connection name' } };
        return client.request({
          url: slaUrl(settings, ticketId),
          type: 'GET',
          dataType: 'json',
          cors: false,
          secure: true,
          headers: { Authorization: 'Bearer {{setting.sidebarSecret}}', Accept: 'application/json' },
        });
      })
      .then(function (view) {
        if (typeof view === 'string') view = JSON.parse(view);
        if (current) current.stop();
        current = window.SlaCountdown.render(root, view);
        fit();
      })
      .catch(function (error) {
        say(problemOf(error), true);
      });
  }

  load();
  setInterval(load, RELOAD_MS);
  // A submitted ticket reaches sla-sync by webhook and a queued refresh: ask again shortly after.
  client.on('ticket.submit.done', function () {
    setTimeout(load, AFTER_SUBMIT_MS);
  });
})();
