// The Jira issue context panel (issue 4, "In Jira"): the case's countdown, rendered by the shared
// sla-countdown.js from the embedded CaseSlaView, ticking every second in the browser. Jira's all.js
// (the iframe bridge: resizing) is loaded after it, so the countdown never waits on it.
import type { CaseSlaView } from '../../sync/case-sla.ts';
import { CONNECT_ALL_JS } from '../jira-connect/middleware.ts';
import { html, page } from './html.ts';

const SCRIPTS = ['/assets/sla-countdown.js', CONNECT_ALL_JS];

export function jiraPanelPage(view: CaseSlaView): string {
  return page(`${view.case.externalKey} SLA`, html`<div class="sla-panel" data-sla-view="${JSON.stringify(view)}"></div>`, {
    bodyClass: 'embedded',
    scripts: SCRIPTS,
    styles: ['/assets/sla-countdown.css'],
  });
}

/** What the panel says instead of a countdown (an issue sla-sync does not track, a site not linked). */
export function jiraPanelMessage(title: string, message: string): string {
  return page(title, html`<p class="muted" id="panel-message">${message}</p>`, { bodyClass: 'embedded', scripts: [CONNECT_ALL_JS] });
}
