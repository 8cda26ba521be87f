// Parley agent console: sign-in, live inbox, conversation view and context.
// Plain ES modules, no build step. Routes live in the URL hash:
//   #/<view>            e.g. #/unassigned
//   #/<view>/<id>       a conversation opened from that view

import { api, session, onUnauthorized } from './api.js';
import { EventStream } from './sse.js';
import { h, refreshTimes, toast } from './dom.js';
import { renderLogin } from './login.js';
import { createNav, createList, VIEWS } from './inbox.js';
import { createConversationPane } from './conversation.js';
import { createContextPanel } from './context.js';
import { createKnowledgeBase, isKbRoute } from './kb.js';
import { createReports, isReportsRoute } from './reports.js';
import { createEvals, isEvalsRoute } from './evals.js';
import { createSettings, isSettingsRoute } from './settings.js';
import { createTeamSettings, isTeamRoute } from './team.js';
import { routingApi, createStatusControl, createFilterBar, startPresence, notifyAssigned } from './routing.js';
import { createCrm, isCrmRoute } from './crm.js';
import { createTriggers, isTriggersRoute } from './triggers.js';
import { createCanned, isCannedRoute } from './canned.js';
import { noticeMention } from './notes.js';

const DEFAULT_VIEW = 'all';
const root = document.getElementById('app');
let app = null;

function showLogin(notice = '') {
  app?.destroy();
  app = null;
  renderLogin(root, { notice, onSignedIn: (agent) => { app = createApp(agent); } });
}

onUnauthorized(() => {
  if (!app) return;
  session.clear();
  showLogin('Your session has ended. Sign in again to continue.');
});

if (session.token) app = createApp(session.agent);
else showLogin();

// ---------------------------------------------------------------------------

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const view = VIEWS.some((v) => v.id === parts[0]) ? parts[0] : DEFAULT_VIEW;
  const id = parts[1] && /^[\w-]{1,64}$/.test(parts[1]) ? parts[1] : null;
  return { view, id };
}

/** The agent stream may send a visitor-shaped Conversation; bring it to the summary shape. */
function normalizeSummary(c, prev) {
  const out = { ...c };
  if ('assignee_name' in c && !('assignee' in c)) {
    const name = c.assignee_name;
    out.assignee = name ? { id: prev?.assignee?.name === name ? prev.assignee.id : null, name } : null;
  }
  delete out.assignee_name;
  delete out.last_seq;
  return out;
}

function createApp(initialAgent) {
  const state = {
    me: initialAgent || null,
    view: null,
    selectedId: null, // string
    items: [],
    loading: true,
    error: null,
    fresh: new Set(), // newly queued conversations (string ids)
    unread: new Set(), // visitor wrote in a conversation that is not open
    typing: new Map(), // conversation id -> timeout (visitor typing, for list rows)
    detail: null,
    pending: [], // events for the selected conversation that arrived while it loaded
    contextOpen: false,
  };
  const sameId = (a, b) => a != null && b != null && String(a) === String(b);
  const isSelected = (id) => sameId(id, state.selectedId);
  const findItem = (id) => state.items.find((x) => sameId(x.id, id));

  // ---- build the shell ----
  const nav = createNav({ onSignOut: signOut });
  const list = createList({ getHref: (view, id) => `#/${view}/${encodeURIComponent(id)}` });
  const conv = createConversationPane({
    getMe: () => state.me,
    onSummary: applySummary,
    onBack: () => navigate(state.view, null),
    onToggleContext: () => setContextOpen(!state.contextOpen),
  });
  const ctx = createContextPanel({ onClose: () => setContextOpen(false, true) });
  const scrim = h('div', { class: 'scrim', 'aria-hidden': 'true' });
  scrim.addEventListener('click', () => setContextOpen(false, true));
  const skip = h('button', { type: 'button', class: 'skip-link' }, 'Skip to conversation');
  skip.addEventListener('click', () => conv.el.focus());
  const shell = h('div', { class: 'shell', 'data-pane': 'list', 'data-context': 'closed' },
    skip, nav.el, list.el, conv.el, ctx.el, scrim);
  // Knowledge base: its own pane and nav section; the inbox panes hide while it shows.
  const kbase = createKnowledgeBase({ getMe: () => state.me });
  shell.append(kbase.el);
  nav.el.insertBefore(kbase.navSection, nav.el.querySelector('.nav-foot'));
  // Evals (leads and admins): its own page, and a nav section right after the knowledge base.
  const evals = createEvals({ getMe: () => state.me });
  shell.append(evals.el);
  kbase.navSection.after(evals.navSection);
  // Settings (business hours): the same pattern, after the knowledge base.
  const settings = createSettings({ getMe: () => state.me });
  shell.append(settings.el);
  nav.el.insertBefore(settings.navSection, nav.el.querySelector('.nav-foot'));
  // Proactive triggers (leads and admins): its own page and nav section, like the knowledge base.
  const trig = createTriggers({ getMe: () => state.me });
  shell.append(trig.el);
  nav.el.insertBefore(trig.navSection, nav.el.querySelector('.nav-foot'));
  // Contacts and CRM webhooks: one page and nav section, the same pattern.
  const crm = createCrm({ getMe: () => state.me });
  shell.append(crm.el);
  nav.el.insertBefore(crm.navSection, nav.el.querySelector('.nav-foot'));
  // Reports (leads and admins): its own page and nav section.
  const reports = createReports({ getMe: () => state.me });
  shell.append(reports.el);
  nav.el.insertBefore(reports.navSection, nav.el.querySelector('.nav-foot'));
  // Team & routing (agents, teams, rules): its own page and nav section. The agent's own
  // status sits in the nav foot (with presence heartbeats); inbox filters sit above the list.
  const team = createTeamSettings({ getMe: () => state.me });
  shell.append(team.el);
  nav.el.insertBefore(team.navSection, nav.el.querySelector('.nav-foot'));
  // Canned responses (every agent: their own; leads: shared and team ones): the same pattern.
  const canned = createCanned({ getMe: () => state.me });
  shell.append(canned.el);
  nav.el.insertBefore(canned.navSection, nav.el.querySelector('.nav-foot'));
  // The sections beyond the inbox share one strip: on desktop they stay a column of
  // icons (display: contents); on a phone they become a single scrolling row instead of
  // a full-width row each, so the inbox keeps the screen.
  const more = h('div', { class: 'nav-more' });
  more.append(...nav.el.querySelectorAll(':scope > .kb-nav, :scope > .ev-nav'));
  nav.el.insertBefore(more, nav.el.querySelector('.nav-foot'));
  const revealCurrent = () => requestAnimationFrame(() => more.querySelector('[aria-current="page"]')
    ?.scrollIntoView({ block: 'nearest', inline: 'nearest' }));
  window.addEventListener('hashchange', revealCurrent);
  revealCurrent();
  const presence = createStatusControl({ onChange: (me) => { state.me = { ...state.me, ...me }; } });
  nav.el.querySelector('.nav-brand').after(presence.el);
  presence.set(state.me);
  const filters = createFilterBar({ onChange: () => loadList({ reset: true }) });
  list.el.querySelector('.list-header').after(filters.el);
  const claimed = new Set(); // conversations I just claimed: no "assigned to you" chime
  root.replaceChildren(shell);
  nav.setAgent(state.me);

  // ---- rendering ----
  function renderList() {
    list.render({
      view: state.view,
      items: state.items,
      selectedId: state.selectedId,
      fresh: state.fresh,
      unread: state.unread,
      typing: new Set(state.typing.keys()),
      loading: state.loading,
      error: state.error,
      onRetry: () => loadList({ reset: true }),
      onClaim: (summary) => { claimed.add(String(summary.id)); applySummary(summary); },
    });
  }

  function renderContext() {
    if (state.detail) ctx.render(state.detail, state.me);
  }

  function updateTitle() {
    if (shell.dataset.mode === 'evals') return;
    if (shell.dataset.mode === 'triggers') return;
    if (shell.dataset.mode === 'team') return;
    if (shell.dataset.mode === 'canned') return;
    if (shell.dataset.mode === 'kb' || shell.dataset.mode === 'settings') return;
    const n = new Set([...state.fresh, ...state.unread]).size;
    const v = VIEWS.find((x) => x.id === state.view);
    document.title = `${n ? `(${n}) ` : ''}${v ? v.label : 'Inbox'} · Parley`;
  }

  function updatePane() {
    shell.dataset.pane = state.selectedId == null ? 'list' : state.contextOpen ? 'context' : 'conversation';
    shell.dataset.context = state.contextOpen ? 'open' : 'closed';
    conv.setContextExpanded(state.contextOpen);
  }

  function setContextOpen(open, restoreFocus = false) {
    if (state.contextOpen === open) return;
    state.contextOpen = open;
    updatePane();
    // In drawer mode move focus into the panel; restore it to the toggle on close.
    if (open) (ctx.el.querySelector('.ctx-close') || ctx.el).focus({ preventScroll: true });
    else if (restoreFocus) conv.el.querySelector('.conv-details-toggle')?.focus();
  }

  // ---- data ----
  let listSeq = 0;
  let listTimer = null;
  async function loadList({ reset = false } = {}) {
    const seq = ++listSeq;
    if (reset) {
      state.items = [];
      state.loading = true;
      state.error = null;
      renderList();
    }
    try {
      const res = await routingApi.conversations(state.view, filters.values());
      if (seq !== listSeq) return;
      state.items = Array.isArray(res?.items) ? res.items : [];
      filters.noteItems(state.items);
      if (res?.counts) nav.setCounts(res.counts);
      state.error = null;
    } catch (err) {
      if (seq !== listSeq || err.status === 401) return;
      state.error = err.detail || err.message;
    } finally {
      if (seq === listSeq) {
        state.loading = false;
        renderList();
        updateTitle();
      }
    }
  }

  /** Coalesce bursts of events into one list (and counts) refresh. */
  function scheduleListRefresh(delay = 350) {
    if (listTimer) return;
    listTimer = setTimeout(() => { listTimer = null; loadList(); }, delay);
  }

  let detailSeq = 0;
  async function openConversation(id, { focus = false } = {}) {
    state.selectedId = id;
    state.detail = null;
    state.pending = [];
    const seq = ++detailSeq;
    if (id == null) {
      conv.showEmpty();
      ctx.renderEmpty();
      renderList();
      return;
    }
    state.fresh.delete(id);
    state.unread.delete(id);
    renderList();
    updateTitle();
    conv.showLoading();
    ctx.renderLoading();
    try {
      const d = await api.conversation(id);
      if (seq !== detailSeq) return;
      state.detail = d;
      conv.open(d, { focus });
      const pending = state.pending;
      state.pending = [];
      for (const ev of pending) onEvent(ev);
      renderContext();
      const item = findItem(id);
      if (item) {
        for (const k of Object.keys(item)) if (k in d && k !== 'messages') item[k] = d[k];
        renderList();
      }
    } catch (err) {
      if (seq !== detailSeq || err.status === 401) return;
      conv.showEmpty(err.status === 404
        ? 'It may have been removed, or you don’t have access to it.'
        : (err.detail || err.message));
      ctx.renderEmpty();
    }
  }

  let detailTimer = null;
  function scheduleDetailRefresh(delay = 400) {
    if (detailTimer || state.selectedId == null) return;
    detailTimer = setTimeout(async () => {
      detailTimer = null;
      const id = state.selectedId;
      if (id == null || !state.detail) return;
      try {
        const d = await api.conversation(id);
        if (!isSelected(id) || !state.detail) return;
        Object.assign(state.detail, d);
        conv.merge(d);
        renderContext();
      } catch { /* the stream keeps us mostly current; next refresh will retry */ }
    }, delay);
  }

  function applySummary(summary) {
    const s = normalizeSummary(summary, findItem(summary.id) || state.detail);
    const item = findItem(s.id);
    if (item) Object.assign(item, s);
    if (s.status && s.status !== 'queued') state.fresh.delete(String(s.id));
    if (state.detail && sameId(state.detail.id, s.id)) {
      Object.assign(state.detail, s);
      conv.updateSummary(s);
      renderContext();
    }
    renderList();
    updateTitle();
    scheduleListRefresh();
  }

  // ---- live events ----
  function setRowTyping(cid, on) {
    clearTimeout(state.typing.get(cid));
    if (on) {
      state.typing.set(cid, setTimeout(() => { state.typing.delete(cid); renderList(); }, 8000));
    } else state.typing.delete(cid);
    renderList();
  }

  function onEvent(ev) {
    const { type, data } = ev;
    if (!data || typeof data !== 'object') return;
    switch (type) {
      case 'message.created': {
        if (data.conversation_id == null) return;
        const cid = String(data.conversation_id);
        const item = findItem(cid);
        if (item) {
          item.last_message = { text: data.text, sender: data.sender, created_at: data.created_at };
          if (data.created_at) item.updated_at = data.created_at;
        }
        if (data.sender === 'visitor' && state.typing.has(cid)) {
          clearTimeout(state.typing.get(cid));
          state.typing.delete(cid);
        }
        if (isSelected(cid)) {
          if (state.detail) conv.addMessage(data);
          else state.pending.push(ev);
          // A visitor message may come with a new page view; keep the trail fresh.
          if (data.sender === 'visitor') scheduleDetailRefresh(1000);
        } else if (data.sender === 'visitor') {
          state.unread.add(cid);
        }
        renderList();
        updateTitle();
        scheduleListRefresh();
        break;
      }
      case 'conversation.created': {
        const c = data.conversation;
        if (!c || c.id == null) return;
        if (c.status === 'queued') state.fresh.add(String(c.id));
        updateTitle();
        scheduleListRefresh(150);
        break;
      }
      case 'conversation.updated': {
        const c = data.conversation;
        if (!c || c.id == null) return;
        const cid = String(c.id);
        const item = findItem(cid);
        const before = item || (isSelected(cid) ? state.detail : null);
        if (c.status === 'queued' && before?.status !== 'queued' && !isSelected(cid)) state.fresh.add(cid);
        if (c.status && c.status !== 'queued') state.fresh.delete(cid);
        // data.agent is the inbox row (with the assignee's id); the visitor-shaped
        // conversation only names the assignee, which briefly offered "Assign to me".
        const row = data.agent && String(data.agent.id) === cid ? data.agent : null;
        const s = normalizeSummary(row ? { ...c, ...row } : c, before);
        // Newly assigned to me (by routing, a transfer, a re-assignment): chime and notify.
        const to = data.agent?.assignee?.id;
        if (c.status === 'assigned' && to != null && to === state.me?.id && before?.assignee?.id !== to
          && !claimed.delete(cid) && !isSelected(cid)) notifyAssigned(data.agent, { onOpen: (id) => navigate('mine', id) });
        if (item) Object.assign(item, s);
        if (isSelected(cid)) {
          if (state.detail) {
            Object.assign(state.detail, s);
            conv.updateSummary(s);
            renderContext();
            // Escalation brings handoff notes the event does not carry.
            scheduleDetailRefresh(250);
          } else state.pending.push(ev);
        }
        renderList();
        updateTitle();
        scheduleListRefresh();
        break;
      }
      case 'bot.delta': {
        if (!isSelected(data.conversation_id)) return;
        if (state.detail) conv.applyDelta(data);
        else state.pending.push(ev);
        break;
      }
      case 'bot.retract': {
        if (!isSelected(data.conversation_id)) return;
        if (state.detail) conv.retractStream(data);
        else state.pending.push(ev);
        break;
      }
      case 'conversation.read': {
        // Read receipts: "Seen" under the agent's last message.
        if (isSelected(data.conversation_id) && state.detail) conv.setRead(data);
        break;
      }
      case 'note.created': {
        // A private note (agents only): placed in the open transcript by its seq.
        noticeMention(data, state.me, { isOpen: isSelected(data.conversation_id) });
        if (!isSelected(data.conversation_id)) break;
        if (state.detail) conv.addActivity({ ...data, type });
        else state.pending.push(ev);
        break;
      }
      case 'csat.submitted': {
        // The visitor rated a conversation: the open one shows it.
        if (isSelected(data.conversation_id)) scheduleDetailRefresh(0);
        break;
      }
      case 'typing': {
        if (data.conversation_id == null) return;
        const cid = String(data.conversation_id);
        const on = data.typing !== false;
        if (data.sender === 'visitor') setRowTyping(cid, on);
        if (isSelected(cid) && state.detail) conv.setTyping(data.sender, on, data.agent); // agent: who (another agent)
        break;
      }
      default:
        // Routing notes (decisions, assignments, transfer notes): agents only.
        if (typeof type === 'string' && type.startsWith('routing.') && isSelected(data.conversation_id)) {
          if (state.detail) conv.addActivity({ ...data, type });
          else state.pending.push(ev);
        }
        break;
    }
  }

  const stream = new EventStream({
    url: '/api/v1/agent/stream',
    getToken: () => session.token,
    onEvent,
    onStatus: (status, info) => {
      nav.setConnection(status);
      // Ephemeral state (deltas, typing) is not replayed; re-read the truth after a gap.
      if (status === 'live' && info.reconnected) {
        scheduleListRefresh(0);
        scheduleDetailRefresh(0);
      }
    },
    onUnauthorized: () => {
      session.clear();
      showLogin('Your session has ended. Sign in again to continue.');
    },
  });

  // ---- routing ----
  function navigate(view, id) {
    const hash = id != null ? `#/${view}/${encodeURIComponent(id)}` : `#/${view}`;
    if (location.hash !== hash) location.hash = hash;
    else route();
  }

  function route() {
    if (isTeamRoute(location.hash)) {
      shell.dataset.mode = 'team';
      state.view = null;
      nav.setView(null);
      kbase.deactivate();
      team.route(location.hash);
      return;
    }
    team.deactivate();
    if (isReportsRoute(location.hash)) {
      shell.dataset.mode = 'reports';
      state.view = null;
      nav.setView(null);
      kbase.deactivate();
      reports.route(location.hash);
      return;
    }
    reports.deactivate();
    if (isCrmRoute(location.hash)) {
      shell.dataset.mode = 'crm';
      state.view = null;
      nav.setView(null);
      kbase.deactivate();
      crm.route(location.hash);
      return;
    }
    crm.deactivate();
    if (isSettingsRoute(location.hash)) {
      shell.dataset.mode = 'settings';
      state.view = null;
      nav.setView(null);
      kbase.deactivate();
      settings.route(location.hash);
      return;
    }
    settings.deactivate();
    if (isTriggersRoute(location.hash)) {
      shell.dataset.mode = 'triggers';
      state.view = null;
      nav.setView(null);
      kbase.deactivate();
      trig.route(location.hash);
      return;
    }
    trig.deactivate();
    if (isEvalsRoute(location.hash)) {
      shell.dataset.mode = 'evals';
      state.view = null; // coming back to the inbox reloads its list
      nav.setView(null);
      kbase.deactivate();
      evals.route(location.hash);
      return;
    }
    evals.deactivate();
    if (isCannedRoute(location.hash)) {
      shell.dataset.mode = 'canned';
      state.view = null;
      nav.setView(null);
      kbase.deactivate();
      canned.route(location.hash);
      return;
    }
    canned.deactivate();
    if (isKbRoute(location.hash)) {
      shell.dataset.mode = 'kb';
      state.view = null; // coming back to the inbox reloads its list
      nav.setView(null);
      kbase.route(location.hash);
      return;
    }
    shell.dataset.mode = 'inbox';
    kbase.deactivate();
    const { view, id } = parseHash();
    if (view !== state.view) {
      state.view = view;
      nav.setView(view);
      loadList({ reset: true });
    }
    let refocus = null;
    if (!sameId(id, state.selectedId) && !(id == null && state.selectedId == null)) {
      const phone = window.matchMedia('(max-width: 759px)').matches;
      const fromList = document.activeElement?.closest?.('.conv-item');
      if (id == null && phone) refocus = state.selectedId;
      state.contextOpen = false;
      openConversation(id, { focus: Boolean(fromList) && phone });
    }
    updatePane();
    renderList();
    updateTitle();
    // Back on a phone: return focus to the row the agent came from.
    if (refocus != null) list.focusRow(refocus);
  }

  // ---- keyboard ----
  function onKey(ev) {
    if (shell.dataset.mode === 'evals') return; // inbox shortcuts only
    if (shell.dataset.mode === 'triggers') return; // inbox shortcuts only
    if (ev.key === 'Escape' && state.contextOpen) {
      setContextOpen(false, true);
      return;
    }
    if (shell.dataset.mode !== 'inbox') return; // inbox shortcuts only
    const t = ev.target;
    const typingTarget = t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    const plain = !typingTarget && !ev.ctrlKey && !ev.metaKey && !ev.altKey;
    if (plain && ev.key === 'r' && state.detail) {
      ev.preventDefault();
      conv.focusComposer();
      return;
    }
    const next = (ev.altKey && ev.key === 'ArrowDown') || (!typingTarget && !ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.key === 'j');
    const prev = (ev.altKey && ev.key === 'ArrowUp') || (!typingTarget && !ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.key === 'k');
    if (!next && !prev) return;
    const ids = list.rowIds();
    if (!ids.length) return;
    ev.preventDefault();
    const i = ids.findIndex((x) => sameId(x, state.selectedId));
    const j = i === -1 ? 0 : Math.max(0, Math.min(ids.length - 1, i + (next ? 1 : -1)));
    navigate(state.view, ids[j]);
    list.focusRow(ids[j]);
  }

  function signOut() {
    routingApi.availability('offline').catch(() => {}); // nobody routes to a signed-out agent
    session.clear();
    showLogin('You’ve signed out.');
  }

  const onHash = () => route();
  window.addEventListener('hashchange', onHash);
  document.addEventListener('keydown', onKey);
  const ticker = setInterval(() => refreshTimes(shell), 30000);

  route();
  kbase.load();
  crm.load();
  trig.load();
  stream.start();
  const stopPresence = startPresence({ onAgent: (me) => presence.set(me) });

  // Validate the stored token and refresh the agent profile.
  api.me().then((agent) => {
    if (!agent || app?.shell !== shell) return;
    state.me = agent;
    session.saveAgent(agent);
    nav.setAgent(agent);
    presence.set(agent);
    evals.setAgent(agent);
    if (state.detail) { conv.updateSummary(state.detail); renderContext(); }
  }).catch((err) => {
    if (err.status !== 401 && !state.me) toast('Couldn’t load your profile.', 'error');
  });

  return {
    shell,
    destroy() {
      stream.stop();
      stopPresence();
      presence.destroy();
      clearInterval(ticker);
      clearTimeout(listTimer);
      clearTimeout(detailTimer);
      for (const t of state.typing.values()) clearTimeout(t);
      window.removeEventListener('hashchange', onHash);
      kbase.destroy();
      evals.destroy();
      trig.destroy();
      canned.destroy();
      document.removeEventListener('keydown', onKey);
    },
  };
}
