// Right-hand context panel: status, assignment, what the bot learned at
// handoff, visitor context and the page-view trail.

import {
  h, icon, statusPill, humanize, priorityLabel, timeEl, parseTime, visitorName,
} from './dom.js';
import { renderMarkdown, safeUrl, extLink } from './markdown.js';
import { mailtoLink } from './offline.js';
import { labelsEditor } from './routing.js';

function section(title, ...children) {
  const id = `ctx-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return h('section', { class: 'ctx-section', 'aria-labelledby': id },
    h('h3', { class: 'ctx-heading', id }, title), ...children);
}

function row(label, value, attrs = {}) {
  const dd = h('dd', attrs);
  if (value == null || value === '') {
    dd.classList.add('is-empty');
    dd.textContent = '—';
  } else if (value instanceof Node) dd.append(value);
  else dd.textContent = String(value);
  return [h('dt', null, label), dd];
}

function prettyUrl(raw) {
  try {
    const u = new URL(raw);
    const path = `${u.pathname}${u.search}`;
    return `${u.host}${path === '/' ? '' : path}`;
  } catch {
    return String(raw);
  }
}

/** A link when the URL is safe, plain text otherwise. */
function urlNode(raw, label) {
  if (!raw) return null;
  const href = safeUrl(String(raw));
  const text = label || prettyUrl(raw);
  return href ? extLink(href, text, 'ctx-link') : h('span', { class: 'ctx-url' }, text);
}

function confidenceNode(value) {
  if (value == null || value === '' || Number.isNaN(Number(value))) return null;
  let n = Number(value);
  if (n <= 1) n *= 100;
  n = Math.max(0, Math.min(100, Math.round(n)));
  const level = n >= 75 ? 'high' : n >= 50 ? 'medium' : 'low';
  const bar = h('span', { class: 'meter-fill' });
  bar.style.width = `${n}%`;
  return h('span', { class: `meter meter--${level}`, 'data-testid': 'confidence' },
    h('span', { class: 'meter-track', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(n), 'aria-label': 'Confidence' }, bar),
    h('span', { class: 'meter-value' }, `${n}%`));
}

function localTime(tz) {
  if (!tz) return null;
  try {
    return new Intl.DateTimeFormat(undefined, { timeZone: tz, hour: 'numeric', minute: '2-digit' }).format(new Date());
  } catch {
    return null;
  }
}

function sourcesList(sources) {
  const list = h('ul', { class: 'ctx-sources', role: 'list' });
  for (const s of sources) {
    const label = s?.title || s?.slug || s?.url || 'Article';
    const href = safeUrl(s?.url);
    const score = s?.score != null && !Number.isNaN(Number(s.score)) ? h('span', { class: 'ctx-source-score' }, Number(s.score).toFixed(2)) : null;
    list.append(h('li', null,
      href ? extLink(href, [icon('file', 14), h('span', null, label)], 'ctx-source')
        : h('span', { class: 'ctx-source is-static' }, icon('file', 14), h('span', null, label)),
      score));
  }
  return list;
}

/** A verified contact: who they are, their attributes, and their earlier conversations. */
function contactSection(contact) {
  if (!contact || typeof contact !== 'object') return null;
  const attrs = Object.entries(contact.attributes || {});
  const earlier = Array.isArray(contact.earlier) ? contact.earlier : [];
  return section('Contact',
    h('div', { class: 'ctx-contact', 'data-testid': 'ctx-contact' },
      h('a', { href: `#/contacts/${encodeURIComponent(contact.id)}` }, contact.name || contact.email || contact.external_id || `Contact #${contact.id}`),
      contact.verified ? h('span', { class: 'pill pill--assigned', title: `Verified user id ${contact.external_id}` }, 'Verified') : null),
    h('dl', { class: 'ctx-dl' },
      row('Email', contact.email),
      row('Conversations', contact.conversations),
      ...attrs.map(([k, v]) => row(humanize(k), typeof v === 'string' ? v : JSON.stringify(v)))),
    earlier.length ? h('ol', { class: 'trail', 'data-testid': 'ctx-earlier' }, ...earlier.map((e) =>
      h('li', { class: 'trail-item' },
        h('span', { class: 'trail-dot', 'aria-hidden': 'true' }),
        h('span', { class: 'trail-body' },
          h('a', { class: 'trail-title', href: `#/all/${encodeURIComponent(e.conversation_id)}` }, e.first_message || `Conversation #${e.conversation_id}`),
          e.summary ? h('span', { class: 'ctx-muted' }, e.summary) : null,
          h('span', null, statusPill(e.status), e.handoff_reason ? ` ${humanize(e.handoff_reason)}` : '')),
        e.started_at ? timeEl(e.started_at, { cls: 'trail-time' }) : null))) : h('p', { class: 'ctx-muted' }, 'First conversation.'));
}

/** The proactive message the visitor answered (context.proactive): their "yes" needs the question. */
function proactiveSection(p) {
  if (!p || typeof p !== 'object' || !p.message) return null;
  return section('Started from a proactive message',
    h('blockquote', { class: 'ctx-proactive', 'data-testid': 'ctx-proactive' }, String(p.message)),
    h('p', { class: 'ctx-muted' }, `Trigger: ${p.name ? String(p.name) : `#${p.trigger_id}`}`,
      p.at ? ' · ' : '', p.at ? timeEl(p.at) : ''));
}

/** What the visitor answered in the pre-chat form (context.prechat), in the form's order. */
function prechatSection(prechat) {
  const answers = Array.isArray(prechat?.answers) ? prechat.answers : [];
  if (!answers.length) return null;
  return section('Pre-chat form',
    h('dl', { class: 'ctx-dl', 'data-testid': 'ctx-prechat' },
      ...answers.map((a) => {
        const v = a?.value;
        if (typeof v === 'boolean') return row(a.label || a.key, v ? 'Yes' : 'No');
        if (a?.type === 'email' && v) {
          return row(a.label || a.key, h('span', null, mailtoLink(String(v), 'ctx-mail'),
            h('span', { class: 'ctx-muted ctx-unverified' }, ' · typed, not verified')));
        }
        return row(a?.label || a?.key || '?', v == null ? null : String(v));
      })));
}

export function createContextPanel({ onClose }) {
  const closeBtn = h('button', { type: 'button', class: 'icon-btn ctx-close', 'aria-label': 'Close details' }, icon('x', 18));
  closeBtn.addEventListener('click', onClose);
  const body = h('div', { class: 'ctx-body' });
  const el = h('aside', {
    class: 'context-pane', id: 'context-panel', 'data-testid': 'context-panel', 'aria-labelledby': 'ctx-title', tabindex: '-1',
  },
  h('header', { class: 'ctx-header' }, h('h2', { id: 'ctx-title', class: 'ctx-title' }, 'Details'), closeBtn),
  body);

  function renderEmpty() {
    body.replaceChildren(h('div', { class: 'ctx-empty' },
      h('p', null, 'Conversation details, the bot’s handoff notes and the visitor’s context appear here.')));
  }

  function render(c, me) {
    const handoff = c.handoff && typeof c.handoff === 'object' ? c.handoff : null;
    const reason = c.handoff_reason || handoff?.reason || null;
    const intent = c.intent || handoff?.intent || null;
    const confidence = c.confidence ?? handoff?.confidence ?? null;
    const ctx = c.context && typeof c.context === 'object' ? c.context : {};
    const assignee = c.assignee?.name || c.assignee_name || null;
    const mine = c.assignee?.id != null && c.assignee.id === me?.id;
    const team = c.team || handoff?.department || null; // where the escalation was routed

    // --- conversation ---
    const convSec = section('Conversation', h('dl', { class: 'ctx-dl' },
      row('Status', statusPill(c.status), { 'data-testid': 'ctx-status' }),
      row('Assignee', assignee ? (mine ? `${assignee} (you)` : assignee) : 'Unassigned', { 'data-testid': 'ctx-assignee' }),
      team ? row('Team', humanize(team), { 'data-testid': 'ctx-team' }) : null,
      priorityLabel(c.priority) ? row('Priority', priorityLabel(c.priority)) : null,
      c.status !== 'closed' || c.labels?.length ? row('Labels', labelsEditor(c)) : null,
      row('Started', c.created_at ? timeEl(c.created_at, { long: true }) : null),
      row('Visitor', visitorName(c))));

    // --- handoff / AI triage ---
    const reasonEl = h('span', { class: reason ? 'handoff-reason' : 'handoff-reason is-none', 'data-testid': 'handoff-reason' },
      reason ? humanize(reason) : 'Not escalated');
    const intentEl = h('span', { class: 'intent-chip', 'data-testid': 'intent' }, intent ? humanize(intent) : 'Unknown');
    if (!intent) intentEl.classList.add('is-none');
    const offline = Boolean(c.offline || handoff?.offline);
    const email = c.offline_email || handoff?.email || null;
    const triage = [
      h('dl', { class: 'ctx-dl' },
        offline ? row('Offline message', email ? mailtoLink(email, 'ctx-mail') : 'No email left yet', { 'data-testid': 'ctx-offline' }) : null,
        row('Handoff reason', reasonEl),
        row('Detected intent', intentEl),
        row('Confidence', confidenceNode(confidence))),
    ];
    if (offline) {
      triage.push(h('p', { class: 'ctx-muted ctx-offline-hint' }, email
        ? 'Left out of business hours. The email was typed by the visitor and is not verified. Parley doesn’t send email: your reply reaches their chat if they come back.'
        : 'Left out of business hours. Parley doesn’t send email: your reply reaches their chat if they come back.'));
    }
    if (handoff?.summary) {
      triage.push(h('div', { class: 'ctx-summary' },
        h('div', { class: 'ctx-subheading' }, icon('sparkle', 13), 'Handoff summary'),
        h('div', { class: 'md', 'data-testid': 'handoff-summary' }, renderMarkdown(handoff.summary))));
    }
    const sources = Array.isArray(handoff?.sources) ? handoff.sources : [];
    if (sources.length) {
      triage.push(h('div', { class: 'ctx-sub' },
        h('div', { class: 'ctx-subheading' }, icon('file', 13), 'Retrieved articles'),
        sourcesList(sources)));
    }
    const triageSec = section(reason ? 'Handoff' : 'Bot insight', ...triage);
    if (reason && c.status === 'queued') triageSec.classList.add('ctx-section--handoff');

    // --- visitor context ---
    const tz = ctx.timezone || null;
    const lt = localTime(tz);
    const device = [ctx.device, ctx.browser, ctx.os].filter(Boolean);
    const current = ctx.url
      ? h('div', { class: 'ctx-page' },
        h('span', { class: 'ctx-page-title' }, ctx.title || prettyUrl(ctx.url)),
        urlNode(ctx.url))
      : null;
    const utm = ctx.utm && typeof ctx.utm === 'object' ? Object.entries(ctx.utm).filter(([, v]) => v != null && v !== '') : [];
    const visitorSec = section('Visitor',
      current ? h('div', { class: 'ctx-current', 'data-testid': 'visitor-page' },
        h('div', { class: 'ctx-subheading' }, icon('monitor', 13), 'Current page'), current) : null,
      h('dl', { class: 'ctx-dl', 'data-testid': 'visitor-context' },
        row('Referrer', ctx.referrer ? urlNode(ctx.referrer) : 'Direct'),
        row('Browser', ctx.browser),
        row('OS', ctx.os),
        row('Device', ctx.device ? humanize(ctx.device) : null),
        row('Language', ctx.language),
        row('Time zone', tz ? (lt ? `${tz} · ${lt} local` : tz) : null),
        row('Screen', ctx.screen),
        utm.length ? row('UTM', h('span', { class: 'utm-list' }, utm.map(([k, v]) =>
          h('span', { class: 'utm' }, h('span', { class: 'utm-k' }, k.replace(/^utm_/, '')), h('span', { class: 'utm-v' }, String(v)))))) : null));
    if (!device.length && !ctx.url && !ctx.language) visitorSec.classList.add('is-sparse');

    // --- page trail ---
    const views = Array.isArray(c.page_views) ? c.page_views : [];
    let trailSec;
    if (views.length) {
      const ordered = [...views].sort((a, b) => (parseTime(b.at)?.getTime() ?? 0) - (parseTime(a.at)?.getTime() ?? 0));
      const ol = h('ol', { class: 'trail', 'data-testid': 'page-trail' });
      const LIMIT = 8;
      ordered.forEach((pv, i) => {
        const li = h('li', { class: i === 0 ? 'trail-item is-latest' : 'trail-item' },
          h('span', { class: 'trail-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'trail-body' },
            h('span', { class: 'trail-title' }, pv.title || prettyUrl(pv.url || '') || 'Untitled page'),
            pv.url ? urlNode(pv.url) : null),
          pv.at ? timeEl(pv.at, { cls: 'trail-time' }) : null);
        if (i >= LIMIT) li.hidden = true;
        ol.append(li);
      });
      const parts = [ol];
      if (ordered.length > LIMIT) {
        const more = h('button', { type: 'button', class: 'link-btn trail-more' }, `Show all ${ordered.length} pages`);
        more.addEventListener('click', () => {
          for (const li of ol.children) li.hidden = false;
          more.remove();
        });
        parts.push(more);
      }
      trailSec = section(`Page trail (${views.length})`, ...parts);
    } else {
      trailSec = section('Page trail', h('p', { class: 'ctx-muted' }, 'No page views recorded.'));
    }

    body.replaceChildren(reason ? triageSec : convSec, reason ? convSec : triageSec, ...[proactiveSection(ctx.proactive), prechatSection(ctx.prechat), contactSection(c.contact)].filter(Boolean), visitorSec, trailSec);
  }

  renderEmpty();
  return {
    el,
    render,
    renderEmpty,
    renderLoading() {
      body.replaceChildren(h('div', { class: 'ctx-empty' }, h('span', { class: 'spinner spinner--dark', 'aria-hidden': 'true' })));
    },
  };
}
