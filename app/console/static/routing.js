// Routing in the inbox: the agent's own status (online/away/offline) and presence
// heartbeat, inbox filters, claim buttons, the transfer dialog, the agents-only routing
// notes in the transcript, and a sound + desktop notification for new assignments.
// Everything is rendered with textContent (dom.js's h), never innerHTML.

import { request } from './api.js';
import { h, icon, clockTime, longTime, parseTime, toast, humanize } from './dom.js';

const enc = encodeURIComponent;

export const routingApi = {
  conversations: (view, filters = {}, opts) => {
    const q = new URLSearchParams({ view });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
    return request('GET', `/api/v1/conversations?${q}`, undefined, opts);
  },
  claim: (id) => request('POST', `/api/v1/conversations/${enc(id)}/claim`),
  transfer: (id, body) => request('POST', `/api/v1/conversations/${enc(id)}/transfer`, body),
  labels: (id, labels) => request('PUT', `/api/v1/conversations/${enc(id)}/labels`, { labels }),
  availability: (value) => request('PUT', '/api/v1/agents/me/availability', { availability: value }),
  heartbeat: (active) => request('POST', '/api/v1/agents/me/heartbeat', { active }),
  teams: () => request('GET', '/api/v1/teams'),
  agents: () => request('GET', '/api/v1/agents'),
};

export const STATUSES = [
  ['online', 'Online', 'New conversations can be assigned to you'],
  ['away', 'Away', 'Keep your conversations, get no new ones'],
  ['offline', 'Offline', 'Waiting visitors move to someone online'],
];

// ------------------------------------------------------------------ notifications

let audioCtx = null;

/** Ask for desktop notifications; browsers only allow it from a user gesture. */
export function askNotificationPermission() {
  try {
    if ('Notification' in window && Notification.permission === 'default') Notification.requestPermission().catch(() => {});
    // Unlock audio on the same gesture so the chime can play later.
    audioCtx = audioCtx || new (window.AudioContext || window.webkitAudioContext)();
    if (audioCtx.state === 'suspended') audioCtx.resume().catch(() => {});
  } catch { /* no audio or notifications here */ }
}

function chime() {
  try {
    if (!audioCtx || audioCtx.state !== 'running') return;
    const now = audioCtx.currentTime;
    for (const [i, freq] of [[0, 880], [1, 1320]]) {
      const osc = audioCtx.createOscillator();
      const gain = audioCtx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.14);
      gain.gain.exponentialRampToValueAtTime(0.12, now + i * 0.14 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.14 + 0.3);
      osc.connect(gain).connect(audioCtx.destination);
      osc.start(now + i * 0.14);
      osc.stop(now + i * 0.14 + 0.32);
    }
  } catch { /* audio is a nicety */ }
}

/** A conversation was just assigned to me: chime, and a desktop notification when hidden. */
export function notifyAssigned(c, { onOpen } = {}) {
  chime();
  const who = c.visitor_name || `Visitor #${c.id}`;
  const body = c.last_message?.text ? String(c.last_message.text).slice(0, 140) : 'A conversation is waiting for you.';
  try {
    if ('Notification' in window && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
      const n = new Notification(`New conversation: ${who}`, { body, tag: `parley-${c.id}` });
      n.onclick = () => { window.focus(); onOpen?.(c.id); n.close(); };
    }
  } catch { /* notifications unavailable */ }
  toast(`Assigned to you: ${who}`, 'success', 4000);
}

// ------------------------------------------------------------------ status control

export function createStatusControl({ onChange }) {
  let current = 'offline';
  let auto = false;
  const dot = h('span', { class: 'presence-dot', 'aria-hidden': 'true' });
  const label = h('span', { class: 'presence-label' }, 'Offline');
  const button = h('button', {
    type: 'button', class: 'presence-btn', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'data-testid': 'status-button',
  }, dot, label, h('span', { class: 'presence-caret', 'aria-hidden': 'true' }, '▾'));
  const menu = h('div', { class: 'presence-menu', role: 'menu', hidden: true, 'aria-label': 'Your status' });
  const items = STATUSES.map(([value, name, hint]) => {
    const it = h('button', { type: 'button', role: 'menuitemradio', class: 'presence-item', 'data-value': value, 'data-testid': `status-${value}` },
      h('span', { class: 'presence-dot', 'data-state': value, 'aria-hidden': 'true' }),
      h('span', { class: 'presence-item-text' }, h('span', { class: 'presence-item-name' }, name), h('span', { class: 'presence-item-hint' }, hint)));
    it.addEventListener('click', () => choose(value));
    menu.append(it);
    return it;
  });
  const el = h('div', { class: 'presence', 'data-state': 'offline', 'data-testid': 'presence' }, button, menu);

  function render() {
    el.dataset.state = current;
    const name = STATUSES.find((s) => s[0] === current)?.[1] || humanize(current);
    label.textContent = auto && current !== 'online' ? `${name} (auto)` : name;
    button.title = `Your status: ${label.textContent}. Click to change.`;
    button.setAttribute('aria-label', `Your status: ${label.textContent}`);
    for (const it of items) it.setAttribute('aria-checked', String(it.dataset.value === current));
  }
  function open(on) {
    menu.hidden = !on;
    button.setAttribute('aria-expanded', String(on));
    if (on) (items.find((i) => i.dataset.value === current) || items[0]).focus();
  }
  async function choose(value) {
    open(false);
    button.focus();
    if (value === 'online') askNotificationPermission();
    const before = current;
    current = value; auto = false; render();
    try {
      const me = await routingApi.availability(value);
      onChange?.(me);
    } catch (err) {
      current = before; render();
      toast(`Couldn’t change your status: ${err.detail || err.message}`, 'error');
    }
  }
  button.addEventListener('click', () => open(menu.hidden));
  el.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !menu.hidden) { open(false); button.focus(); }
    if (!menu.hidden && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
      ev.preventDefault();
      const i = items.indexOf(document.activeElement);
      items[(i + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length].focus();
    }
  });
  const outside = (ev) => { if (!el.contains(ev.target)) open(false); };
  document.addEventListener('click', outside);
  render();
  return {
    el,
    set(agent) {
      if (!agent?.availability) return;
      current = agent.availability;
      auto = Boolean(agent.availability_auto);
      render();
    },
    get value() { return current; },
    destroy() { document.removeEventListener('click', outside); },
  };
}

/** Heartbeats while the console is open: "active" when someone used it since the last one. */
export function startPresence({ onAgent, everyMs = 60000 }) {
  let active = true;
  const mark = () => { active = true; };
  const events = ['pointerdown', 'keydown', 'wheel', 'touchstart'];
  for (const e of events) window.addEventListener(e, mark, { passive: true });
  const beat = async () => {
    const was = active;
    active = false;
    try { onAgent?.(await routingApi.heartbeat(was)); } catch { /* the stream tells us about outages */ }
  };
  const timer = setInterval(beat, everyMs);
  beat();
  return () => {
    clearInterval(timer);
    for (const e of events) window.removeEventListener(e, mark);
  };
}

// ------------------------------------------------------------------ inbox filters

const STATUS_FILTERS = [['', 'Any status'], ['bot', 'Bot'], ['queued', 'Waiting'], ['assigned', 'Assigned'], ['closed', 'Closed']];

export function createFilterBar({ onChange }) {
  const team = h('select', { class: 'filter-select', 'aria-label': 'Team', 'data-testid': 'filter-team' }, h('option', { value: '' }, 'All teams'));
  const status = h('select', { class: 'filter-select', 'aria-label': 'Status', 'data-testid': 'filter-status' },
    STATUS_FILTERS.map(([v, l]) => h('option', { value: v }, l)));
  const label = h('select', { class: 'filter-select', 'aria-label': 'Label', 'data-testid': 'filter-label' }, h('option', { value: '' }, 'Any label'));
  const language = h('select', { class: 'filter-select', 'aria-label': 'Language', 'data-testid': 'filter-language' }, h('option', { value: '' }, 'Any language'));
  const clear = h('button', { type: 'button', class: 'link-btn filter-clear', hidden: true }, 'Clear');
  const el = h('div', { class: 'filter-bar', role: 'group', 'aria-label': 'Filter conversations' }, team, status, label, language, clear);
  const seenLabels = new Set();
  const seenLangs = new Set();

  const values = () => ({ team: team.value, status: status.value, label: label.value, language: language.value });
  const changed = () => { clear.hidden = !Object.values(values()).some(Boolean); onChange(values()); };
  for (const s of [team, status, label, language]) s.addEventListener('change', changed);
  clear.addEventListener('click', () => { for (const s of [team, status, label, language]) s.value = ''; changed(); });

  function fill(select, options, first) {
    const cur = select.value;
    select.replaceChildren(h('option', { value: '' }, first), ...options.map(([v, l]) => h('option', { value: v, selected: v === cur }, l)));
    if (cur && !options.some(([v]) => v === cur)) select.append(h('option', { value: cur, selected: true }, cur));
  }
  return {
    el,
    values,
    setTeams(teams) { fill(team, teams.map((t) => [t.key, t.name]), 'All teams'); },
    /** Offer the labels and languages the loaded conversations carry. */
    noteItems(items) {
      let grew = false;
      for (const c of items) {
        for (const l of c.labels || []) if (!seenLabels.has(l)) { seenLabels.add(l); grew = true; }
        if (c.lang && !seenLangs.has(c.lang)) { seenLangs.add(c.lang); grew = true; }
      }
      if (!grew) return;
      fill(label, [...seenLabels].sort().map((l) => [l, l]), 'Any label');
      let names;
      try { names = new Intl.DisplayNames(undefined, { type: 'language' }); } catch { names = null; }
      fill(language, [...seenLangs].sort().map((l) => [l, (names && names.of(l)) || l]), 'Any language');
    },
  };
}

// ------------------------------------------------------------------ list and transcript bits

/** A "Claim" button for a queued row (outside the row's link, so it is its own target). */
export function claimButton(item, onClaimed) {
  const b = h('button', { type: 'button', class: 'btn btn-secondary btn-sm row-claim', 'data-testid': 'row-claim', title: 'Take this conversation from the queue' },
    icon('claim', 14), h('span', null, 'Claim'));
  b.addEventListener('click', async (ev) => {
    ev.preventDefault();
    ev.stopPropagation();
    b.disabled = true;
    try {
      const summary = await routingApi.claim(item.id);
      onClaimed?.(summary);
      toast('Claimed: it’s yours now', 'success', 3000);
    } catch (err) {
      b.disabled = false;
      toast(err.status === 409 ? (err.detail || 'Someone else took it first.') : `Couldn’t claim: ${err.detail || err.message}`, 'error');
    }
  });
  return b;
}

const KIND_ICON = { decided: 'flag', assigned: 'user', claimed: 'claim', transferred: 'users', reassigned: 'refresh', queued: 'inbox', labelled: 'flag' };

/** A routing note in the transcript (agents only): what happened, and any private note. */
export function activityRow(ev) {
  const kind = ev.kind || String(ev.type || '').replace(/^routing\./, '');
  const when = ev.at || ev.created_at;
  const art = h('article', { class: `msg msg--activity activity--${kind}`, 'data-testid': 'routing-activity', 'data-kind': kind });
  const text = h('div', { class: 'activity-text' },
    icon(KIND_ICON[kind] || 'info', 13),
    h('span', null, ev.text || humanize(kind)),
    when ? h('time', { datetime: parseTime(when)?.toISOString(), title: longTime(when) }, clockTime(when)) : null);
  art.append(text);
  if (ev.note) {
    art.append(h('blockquote', { class: 'activity-note', 'data-testid': 'transfer-note' },
      h('span', { class: 'activity-note-label' }, 'Private note · agents only'),
      h('span', { class: 'activity-note-text' }, ev.note)));
  }
  return art;
}

// ------------------------------------------------------------------ transfer dialog

export async function openTransferDialog({ conv, me, onDone }) {
  const dlg = h('dialog', { class: 'transfer-dialog', 'aria-labelledby': 'transfer-title', 'data-testid': 'transfer-dialog' });
  const teamSel = h('select', { id: 'transfer-team', class: 'kb-input', 'data-testid': 'transfer-team' }, h('option', { value: '' }, 'Keep the team'));
  const agentSel = h('select', { id: 'transfer-agent', class: 'kb-input', 'data-testid': 'transfer-agent' }, h('option', { value: '' }, 'Next available in the team'));
  const note = h('textarea', {
    id: 'transfer-note', class: 'kb-input transfer-note', rows: '3', maxlength: '2000', 'data-testid': 'transfer-note-input',
    placeholder: 'What should they know? Only agents see this note.',
  });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Cancel');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'transfer-submit' }, 'Transfer');
  const form = h('form', { class: 'transfer-form', method: 'dialog' },
    h('h2', { id: 'transfer-title', class: 'transfer-title' }, 'Transfer conversation'),
    h('p', { class: 'kb-muted' }, 'Send it to a team’s queue or straight to someone online. The visitor sees who joins, never the note.'),
    h('label', { class: 'field-label', for: 'transfer-team' }, 'Team'), teamSel,
    h('label', { class: 'field-label', for: 'transfer-agent' }, 'Agent'), agentSel,
    h('label', { class: 'field-label', for: 'transfer-note' }, 'Private note'), note,
    error,
    h('div', { class: 'transfer-actions' }, cancel, submit));
  dlg.append(form);
  document.body.append(dlg);
  const close = () => { dlg.close(); dlg.remove(); };
  cancel.addEventListener('click', close);
  dlg.addEventListener('close', () => dlg.remove());

  let agents = [];
  try {
    const [teams, list] = await Promise.all([routingApi.teams(), routingApi.agents()]);
    agents = list;
    for (const t of teams) teamSel.append(h('option', { value: t.key, selected: false }, `${t.name}${t.agents_online ? ` · ${t.agents_online} online` : ' · nobody online'}`));
    const fillAgents = () => {
      const key = teamSel.value;
      const cur = agentSel.value;
      agentSel.replaceChildren(h('option', { value: '' }, key ? 'Next available in the team' : 'Choose an agent…'));
      for (const a of agents) {
        if (!a.is_active || a.id === conv.assignee?.id) continue;
        if (key && !a.teams.includes(key)) continue;
        const online = a.availability === 'online';
        agentSel.append(h('option', { value: String(a.id), disabled: !online, selected: String(a.id) === cur },
          `${a.name}${a.id === me?.id ? ' (you)' : ''} · ${online ? `${a.open_conversations}/${a.capacity} open` : a.availability}`));
      }
    };
    teamSel.addEventListener('change', fillAgents);
    fillAgents();
  } catch (err) {
    error.hidden = false;
    error.textContent = `Couldn’t load teams and agents: ${err.detail || err.message}`;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const body = { team: teamSel.value || null, agent_id: agentSel.value ? Number(agentSel.value) : null, note: note.value.trim() || null };
    if (!body.team && body.agent_id == null) {
      error.hidden = false;
      error.textContent = 'Choose a team or an agent.';
      return;
    }
    submit.classList.add('is-busy');
    try {
      const summary = await routingApi.transfer(conv.id, body);
      close();
      onDone?.(summary);
      toast('Transferred', 'success', 3000);
    } catch (err) {
      error.hidden = false;
      error.textContent = err.detail || err.message;
    } finally {
      submit.classList.remove('is-busy');
    }
  });
  dlg.showModal();
  teamSel.focus();
}

// ------------------------------------------------------------------ labels

/** The conversation's labels as chips, each removable, and a field to add one. */
export function labelsEditor(c, { onSaved } = {}) {
  const labels = Array.isArray(c.labels) ? [...c.labels] : [];
  const wrap = h('div', { class: 'labels-edit', 'data-testid': 'ctx-labels' });
  const input = h('input', {
    class: 'labels-input', placeholder: labels.length ? 'Add…' : 'Add a label', maxlength: '40',
    'aria-label': 'Add a label', 'data-testid': 'label-input', enterkeyhint: 'done',
  });
  async function save(next) {
    input.disabled = true;
    try {
      const summary = await routingApi.labels(c.id, next);
      c.labels = summary.labels;
      onSaved?.(summary);
      render();
    } catch (err) {
      toast(`Couldn’t change labels: ${err.detail || err.message}`, 'error');
    } finally {
      input.disabled = false;
    }
  }
  function render() {
    wrap.replaceChildren(...(c.labels || []).map((l) => {
      const x = h('button', { type: 'button', class: 'label-x', 'aria-label': `Remove label ${l}` }, icon('x', 11));
      x.addEventListener('click', () => save((c.labels || []).filter((y) => y !== l)));
      return h('span', { class: 'conv-label label-chip' }, h('span', null, l), x);
    }), input);
  }
  input.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    const v = input.value.trim().toLowerCase().replace(/\s+/g, ' ');
    if (!v || (c.labels || []).includes(v)) { input.value = ''; return; }
    input.value = '';
    save([...(c.labels || []), v]);
  });
  render();
  return wrap;
}
