// Left side of the console: the view navigation (with counts) and the
// conversation list. Rows are keyed by conversation id and updated in place
// so keyboard focus survives live updates.

import { claimButton } from './routing.js';
import {
  h, append, icon, logoMark, hueFor, initials, visitorName, plainPreview, relTime, longTime, parseTime,
  statusPill, humanize, priorityLabel,
} from './dom.js';
import { offlineBadge } from './offline.js';

export const VIEWS = [
  { id: 'mine', label: 'Mine', icon: 'user', title: 'Assigned to me' },
  { id: 'unassigned', label: 'Unassigned', icon: 'inbox', title: 'Unassigned' },
  { id: 'team', label: 'Team', icon: 'team', title: 'My teams' },
  { id: 'all', label: 'All', icon: 'users', title: 'All conversations' },
  { id: 'closed', label: 'Closed', icon: 'archive', title: 'Closed' },
];

const EMPTY = {
  mine: ['Nothing assigned to you', 'Claim a conversation from Unassigned and it will show up here.'],
  unassigned: ['The queue is clear', 'Escalated and waiting conversations will appear here the moment they arrive.'],
  team: ['Nothing open in your teams', 'Conversations routed to your teams show up here. An admin adds you to teams under Team & routing.'],
  all: ['No conversations yet', 'When visitors start chatting on your site, their conversations appear here.'],
  closed: ['No closed conversations', 'Conversations you close are kept here with their full transcript.'],
};

export function createNav({ onSignOut }) {
  const counts = new Map();
  const items = new Map();
  const list = h('ul', { class: 'nav-views', role: 'list' });
  for (const v of VIEWS) {
    const count = h('span', { class: 'nav-count', 'data-testid': `count-${v.id}` });
    const a = h('a', { class: 'nav-item', href: `#/${v.id}`, 'data-view': v.id, title: v.title },
      icon(v.icon, 18, 'nav-icon'),
      h('span', { class: 'nav-label' }, v.label),
      count);
    counts.set(v.id, count);
    items.set(v.id, a);
    list.append(h('li', null, a));
  }

  const statusDot = h('span', { class: 'conn-dot', 'aria-hidden': 'true' });
  const statusText = h('span', { class: 'conn-text' }, 'Connecting…');
  const conn = h('div', { class: 'conn', 'data-state': 'connecting', role: 'status', 'data-testid': 'connection-status' },
    statusDot, statusText);

  const avatar = h('span', { class: 'avatar avatar--sm' }, '');
  const agentName = h('span', { class: 'agent-name' }, '');
  const agentRole = h('span', { class: 'agent-role' }, '');
  const signOut = h('button', {
    type: 'button', class: 'icon-btn', 'data-testid': 'sign-out', 'aria-label': 'Sign out', title: 'Sign out',
  }, icon('logout', 18));
  signOut.addEventListener('click', onSignOut);

  const el = h('nav', { class: 'nav', 'aria-label': 'Inbox views' },
    h('div', { class: 'nav-brand' }, logoMark(28), h('span', { class: 'nav-brand-name' }, 'Parley')),
    h('div', { class: 'nav-section-label' }, 'Inbox'),
    list,
    h('div', { class: 'nav-foot' },
      conn,
      h('div', { class: 'agent-card' },
        avatar,
        h('span', { class: 'agent-meta' }, agentName, agentRole),
        signOut)));

  return {
    el,
    setView(view) {
      for (const [id, a] of items) {
        if (id === view) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
    },
    setCounts(c) {
      for (const [id, node] of counts) {
        const n = c && Number.isFinite(Number(c[id])) ? Number(c[id]) : null;
        node.textContent = n == null ? '' : String(n);
        node.classList.toggle('is-zero', !n);
      }
    },
    setConnection(state) {
      conn.dataset.state = state;
      statusText.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…';
      conn.title = state === 'live' ? 'Receiving updates in real time' : 'Trying to reach the server';
    },
    setAgent(agent) {
      const name = agent?.name || agent?.email || 'Agent';
      avatar.textContent = initials(name);
      avatar.style.setProperty('--hue', hueFor(name));
      agentName.textContent = name;
      agentRole.textContent = humanize(agent?.role || '') || (agent?.email || '');
      signOut.title = `Sign out ${agent?.email || ''}`.trim();
    },
  };
}

function senderPrefix(sender) {
  if (sender === 'bot') return 'Bot: ';
  if (sender === 'agent') return 'Agent: ';
  return '';
}

export function createList({ getHref }) {
  const title = h('h1', { class: 'list-title', id: 'list-title' }, '');
  const subtitle = h('span', { class: 'list-subtitle' }, '');
  const ul = h('ul', { class: 'conv-list', role: 'list', 'aria-labelledby': 'list-title' });
  const state = h('div', { class: 'list-state', role: 'status' });
  const scroller = h('div', { class: 'list-scroll' }, ul, state);
  const el = h('section', { class: 'list-pane', 'aria-labelledby': 'list-title' },
    h('header', { class: 'list-header' }, title, subtitle),
    scroller);

  const rows = new Map(); // id -> {li, a, sig}

  function rowSig(item, flags) {
    return JSON.stringify([item.status, item.visitor_name, item.last_message, item.assignee, item.handoff_reason,
      item.priority, item.updated_at, item.created_at, flags, item.offline, item.offline_email, item.team, item.labels]);
  }

  function fillRow(a, item, flags, view) {
    // An offline message's typed email is the best name the agent has (unverified).
    const name = item.offline && item.offline_email ? item.offline_email : visitorName(item);
    const last = item.last_message;
    const when = last?.created_at || item.updated_at || item.created_at;
    a.href = getHref(view, item.id);
    a.dataset.conversationId = String(item.id);
    a.dataset.status = item.status || '';
    a.classList.toggle('is-selected', flags.selected);
    a.classList.toggle('is-fresh', flags.fresh);
    a.classList.toggle('is-unread', flags.unread);
    if (flags.selected) a.setAttribute('aria-current', 'true'); else a.removeAttribute('aria-current');

    const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name));
    avatar.style.setProperty('--hue', hueFor(item.visitor_name || `#${item.id}`));

    let preview;
    if (flags.typing) {
      preview = h('span', { class: 'conv-preview is-typing' }, 'Typing…');
    } else if (last && last.text != null) {
      preview = h('span', { class: `conv-preview conv-preview--${last.sender || 'x'}` },
        senderPrefix(last.sender) ? h('span', { class: 'conv-preview-who' }, senderPrefix(last.sender)) : null,
        plainPreview(last.text) || '…');
    } else {
      preview = h('span', { class: 'conv-preview is-empty' }, 'No messages yet');
    }

    const d = parseTime(when);
    const time = h('time', {
      class: 'conv-time', datetime: d ? d.toISOString() : null, title: d ? longTime(when) : null,
    }, d ? relTime(when) : '');
    if (d) time.dataset.rel = 'short';

    // A waiting offline message says so with its own badge instead of "Queued".
    const tags = h('span', { class: 'conv-tags' }, item.offline && item.status === 'queued' ? null : statusPill(item.status));
    if (item.offline) {
      // Left out of business hours: what matters is that, and where to reply.
      tags.append(offlineBadge(item));
    } else if (item.handoff_reason) {
      tags.append(h('span', { class: 'badge badge--escalated', title: `Escalated: ${humanize(item.handoff_reason)}` },
        icon('flag', 12), h('span', { class: 'badge-text' }, humanize(item.handoff_reason))));
    }
    const prio = priorityLabel(item.priority);
    if (prio && !['Normal', 'Medium', 'Default', 'Low'].includes(prio)) {
      tags.append(h('span', { class: `badge badge--priority badge--prio-${prio.toLowerCase()}` }, prio));
    }
    // Routing: the team it is in and its labels, on a line of their own.
    const labels = Array.isArray(item.labels) ? item.labels : [];
    const routed = item.team || labels.length ? h('span', { class: 'conv-routing' },
      item.team ? h('span', { class: 'conv-label conv-team', title: `Team: ${item.team}` }, item.team) : null,
      labels.map((l) => h('span', { class: 'conv-label', 'data-testid': 'conv-label' }, l))) : null;
    if (item.assignee?.name && item.status !== 'closed') {
      const who = h('span', { class: 'conv-assignee', title: `Assigned to ${item.assignee.name}` },
        h('span', { 'aria-hidden': 'true' }, initials(item.assignee.name)),
        h('span', { class: 'visually-hidden' }, `Assigned to ${item.assignee.name}`));
      who.style.setProperty('--hue', hueFor(item.assignee.name));
      tags.append(who);
    }

    a.replaceChildren();
    append(a, [
      avatar,
      h('span', { class: 'conv-body' },
        h('span', { class: 'conv-line' },
          h('span', { class: 'conv-name' }, name),
          flags.fresh ? h('span', { class: 'conv-new' }, 'New') : null,
          time),
        preview,
        tags,
        routed),
      flags.unread ? h('span', { class: 'unread-dot' }, h('span', { class: 'visually-hidden' }, 'Unread')) : null,
    ]);
  }

  function renderEmpty(view, loading, error, onRetry) {
    state.replaceChildren();
    if (loading) {
      for (let i = 0; i < 6; i++) {
        state.append(h('div', { class: 'skeleton-row', 'aria-hidden': 'true' },
          h('span', { class: 'sk sk-avatar' }),
          h('span', { class: 'sk-lines' }, h('span', { class: 'sk sk-line sk-w60' }), h('span', { class: 'sk sk-line sk-w90' }))));
      }
      state.append(h('span', { class: 'visually-hidden' }, 'Loading conversations…'));
      return;
    }
    if (error) {
      const retry = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, icon('refresh', 14), 'Try again');
      retry.addEventListener('click', onRetry);
      state.append(h('div', { class: 'empty' },
        h('div', { class: 'empty-icon empty-icon--error' }, icon('alert', 22)),
        h('p', { class: 'empty-title' }, 'Couldn’t load conversations'),
        h('p', { class: 'empty-text' }, error),
        retry));
      return;
    }
    const [t, txt] = EMPTY[view] || EMPTY.all;
    state.append(h('div', { class: 'empty' },
      h('div', { class: 'empty-icon' }, icon(VIEWS.find((v) => v.id === view)?.icon || 'inbox', 22)),
      h('p', { class: 'empty-title' }, t),
      h('p', { class: 'empty-text' }, txt)));
  }

  return {
    el,
    /**
     * @param {object} s
     * @param {string} s.view
     * @param {Array} s.items
     * @param {number|null} s.selectedId
     * @param {Set} s.fresh
     * @param {Set} s.unread
     * @param {Set} s.typing
     * @param {boolean} s.loading
     * @param {string|null} s.error
     */
    render({ view, items, selectedId, fresh, unread, typing, loading, error, onRetry, onClaim }) {
      const v = VIEWS.find((x) => x.id === view) || VIEWS[0];
      title.textContent = v.title;
      subtitle.textContent = loading && !items.length ? '' : `${items.length} conversation${items.length === 1 ? '' : 's'}`;
      ul.setAttribute('aria-busy', String(Boolean(loading)));

      const seen = new Set();
      let prev = null;
      for (const item of items) {
        const id = String(item.id);
        seen.add(id);
        const flags = {
          selected: selectedId != null && id === String(selectedId),
          fresh: fresh.has(id),
          unread: unread.has(id),
          typing: typing.has(id),
        };
        let row = rows.get(id);
        if (!row) {
          const a = h('a', { class: 'conv-item', 'data-testid': 'conv-item' });
          row = { li: h('li', { class: 'conv-row' }, a), a, sig: '' };
          rows.set(id, row);
        }
        const sig = rowSig(item, flags) + view;
        if (sig !== row.sig) {
          fillRow(row.a, item, flags, view);
          row.sig = sig;
        }
        // Queued rows get a Claim button beside (not inside) their link.
        const claimable = Boolean(onClaim) && item.status === 'queued' && !item.assignee;
        if (claimable && !row.claim) { row.claim = claimButton(item, onClaim); row.li.append(row.claim); }
        else if (!claimable && row.claim) { row.claim.remove(); row.claim = null; }
        // Move only when out of place: moving a focused node would drop focus.
        const expectedPrev = prev ? prev.li : null;
        if (row.li.parentNode !== ul || row.li.previousSibling !== expectedPrev) {
          if (expectedPrev) expectedPrev.after(row.li); else ul.prepend(row.li);
        }
        prev = row;
      }
      for (const [id, row] of rows) {
        if (!seen.has(id)) { row.li.remove(); rows.delete(id); }
      }
      if (!items.length) renderEmpty(view, loading, error, onRetry);
      else if (error) {
        state.replaceChildren(h('p', { class: 'list-inline-error' }, icon('alert', 14), error));
      } else state.replaceChildren();
    },
    focusRow(id) {
      rows.get(String(id))?.a.focus();
    },
    rowIds() { return [...rows.keys()]; },
  };
}
