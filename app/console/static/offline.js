// Offline messages in the console: conversations a visitor left out of business hours
// (handoff.offline, status queued) with an email typed in the widget's offline form.
// The email is unverified; Parley does not send email, so replies reach the visitor's
// chat only if they come back — the agent may write to the address themselves.

import { h, icon } from './dom.js';
import { safeUrl } from './markdown.js';

/** A mailto: link for a typed address (only its characters, never extra headers). */
export function mailtoLink(email, cls = 'ctx-link') {
  const href = safeUrl(`mailto:${encodeURIComponent(String(email || '')).replace(/%40/g, '@')}`);
  return href ? h('a', { href, class: cls, 'data-testid': 'offline-email' }, String(email)) : h('span', { 'data-testid': 'offline-email' }, String(email || ''));
}

/** The inbox row's badge. */
export function offlineBadge(item) {
  const email = item.offline_email;
  return h('span', {
    class: 'badge badge--offline', 'data-testid': 'offline-badge',
    title: email ? `Offline message · reply to ${email}` : 'Left out of business hours; no email yet',
  }, icon('message', 12), h('span', { class: 'badge-text' }, 'Offline message'));
}

/** The composer note for an offline conversation (null when it does not apply). */
export function offlineNote(conv) {
  if (!conv?.offline || conv.status === 'closed' || conv.status === 'bot') return null;
  const email = conv.offline_email;
  return h('span', { 'data-testid': 'offline-note' },
    'Offline message, left out of business hours. Your reply waits in the visitor’s chat and they see it if they come back; Parley doesn’t email it.',
    email ? [' To reach them now, write to ', mailtoLink(email, 'offline-mail'), '.'] : ' They haven’t left an email yet.');
}
