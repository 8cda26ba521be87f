// Private notes in the conversation view: the composer's Reply / Note switch (tabs and
// Ctrl+Alt+N), @mentions of teammates, and the yellow "only agents see this" bubble.
// A note is an agent-only event (note.created) placed among the messages by its seq,
// like a transfer's note; the visitor's stream, history and transcript never carry it.

import { request } from './api.js';
import { h, clockTime, longTime, parseTime, uuid, toast } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { createSuggest } from './suggest.js';

const enc = encodeURIComponent;
export const notesApi = {
  add: (id, body) => request('POST', `/api/v1/conversations/${enc(id)}/notes`, body),
  agents: () => request('GET', '/api/v1/agents'),
};

const SVG_NS = 'http://www.w3.org/2000/svg';
/** A padlock (Lucide "lock"), the sign of "agents only" wherever a note shows. */
export function lockIcon(size = 14) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor', 'stroke-width': 2,
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false', class: 'icon',
  })) svg.setAttribute(k, String(v));
  const rect = document.createElementNS(SVG_NS, 'rect');
  for (const [k, v] of Object.entries({ x: 4, y: 11, width: 16, height: 10, rx: 2 })) rect.setAttribute(k, String(v));
  const shackle = document.createElementNS(SVG_NS, 'path');
  shackle.setAttribute('d', 'M8 11V7a4 4 0 0 1 8 0v4');
  svg.append(rect, shackle);
  return svg;
}

export const isNote = (ev) => ev?.type === 'note.created';

/** Wrap each "@Name" of the note's mentions in <mark>, inside already rendered text. */
function markMentions(root, mentions) {
  const names = (mentions || []).map((m) => m?.name).filter(Boolean).sort((a, b) => b.length - a.length);
  if (!names.length) return;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode);
  for (const node of texts) {
    const s = node.nodeValue;
    const frag = document.createDocumentFragment();
    let last = 0;
    let i = 0;
    while ((i = s.indexOf('@', i)) >= 0) {
      const name = names.find((n) => s.startsWith(n, i + 1));
      if (!name) { i += 1; continue; }
      frag.append(s.slice(last, i), h('mark', { class: 'note-mention' }, `@${name}`));
      last = i = i + 1 + name.length;
    }
    if (!last) continue;
    frag.append(s.slice(last));
    node.replaceWith(frag);
  }
}

/** A private note in the transcript: yellow, a lock, "Only agents see this". */
export function noteRow(ev, me = {}) {
  const when = ev.at || ev.created_at;
  const author = ev.author?.name || 'An agent';
  const mine = ev.author?.id != null && ev.author.id === me.id;
  const text = h('div', { class: 'note-text md' }, renderMarkdown(ev.text || ''));
  markMentions(text, ev.mentions);
  const forMe = (ev.mentions || []).some((m) => m?.id === me.id);
  return h('article', {
    class: `msg msg--note${forMe ? ' is-for-me' : ''}`, 'data-testid': 'private-note', 'data-sender': 'note',
    'aria-label': `Private note by ${author}, only agents see this`,
  },
  h('div', { class: 'note-bubble' },
    h('div', { class: 'note-head' },
      h('span', { class: 'note-badge' }, lockIcon(13), h('span', null, 'Private note')),
      h('span', { class: 'note-author' }, mine ? `${author} (you)` : author),
      when ? h('time', { datetime: parseTime(when)?.toISOString(), title: longTime(when) }, clockTime(when)) : null),
    text,
    h('p', { class: 'note-foot' }, 'Only agents see this — never the visitor.')));
}

/**
 * The composer's two modes. Builds the tabs into `form` (before `box`), re-labels the
 * composer for notes, sends notes, and offers @mentions in note mode.
 */
export function createNoteMode({ form, box, input, send, getConv, getMe, onSent }) {
  let mode = 'reply';
  let sending = false;
  // Each conversation keeps its own mode, like its draft: a half-written note stays a note.
  const modes = new Map();
  const tabs = [['reply', 'Reply', 'Send to the visitor'], ['note', 'Note', 'Only agents see it · Ctrl+Alt+N']].map(([value, text, title]) => {
    const b = h('button', {
      type: 'button', role: 'tab', class: `composer-tab composer-tab--${value}`, id: `composer-tab-${value}`,
      'aria-selected': String(value === mode), 'aria-controls': 'composer-box', tabindex: value === mode ? '0' : '-1',
      title, 'data-testid': `composer-tab-${value}`,
    }, value === 'note' ? lockIcon(13) : null, h('span', null, text));
    b.addEventListener('click', () => { set(value); input.focus(); });
    return b;
  });
  const shortcut = h('span', { class: 'composer-tabs-hint', 'aria-hidden': 'true' }, h('kbd', null, 'Ctrl'), '+', h('kbd', null, 'Alt'), '+', h('kbd', null, 'N'));
  const tablist = h('div', { class: 'composer-tabs', role: 'tablist', 'aria-label': 'Write a reply or a private note', 'aria-keyshortcuts': 'Control+Alt+N' },
    ...tabs, shortcut);
  tablist.addEventListener('keydown', (ev) => {
    if (ev.key !== 'ArrowLeft' && ev.key !== 'ArrowRight' && ev.key !== 'Home' && ev.key !== 'End') return;
    ev.preventDefault();
    const next = ev.key === 'Home' ? 'reply' : ev.key === 'End' ? 'note' : mode === 'reply' ? 'note' : 'reply';
    set(next);
    tabs.find((t) => t.id === `composer-tab-${next}`).focus();
  });
  box.id = 'composer-box';
  box.setAttribute('role', 'tabpanel');
  form.insertBefore(tablist, box);
  const banner = h('p', { class: 'note-banner', id: 'note-banner', hidden: true },
    lockIcon(13), h('span', null, 'Private note: only agents see this. Type @ to mention a teammate.'));
  box.prepend(banner);
  const sendLabel = send.querySelector('span');

  function set(next) {
    const id = getConv()?.id;
    if (id != null) modes.set(id, next);
    if (next === mode) return;
    mode = next;
    for (const t of tabs) {
      const on = t.id === `composer-tab-${mode}`;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
    }
    box.setAttribute('aria-labelledby', `composer-tab-${mode}`);
    form.dataset.mode = mode;
    sync();
  }

  /** Labels and enabled state for the current mode (call after the conversation changes). */
  function sync() {
    const conv = getConv();
    const closed = conv?.status === 'closed';
    const note = mode === 'note';
    banner.hidden = !note;
    if (sendLabel) sendLabel.textContent = note ? 'Add note' : 'Send';
    send.setAttribute('data-testid', note ? 'note-send' : 'reply-send');
    input.setAttribute('aria-label', note ? 'Private note, only agents see it' : 'Reply to the visitor');
    if (note) {
      // A closed conversation still takes notes (what happened after the chat).
      input.disabled = !conv;
      send.disabled = !conv || sending;
      input.placeholder = 'Write a private note… only agents see it';
    } else {
      input.disabled = !conv || closed;
      send.disabled = !conv || closed;
      input.placeholder = closed ? 'This conversation is closed' : 'Write a reply…';
    }
    form.classList.toggle('is-note', note);
  }

  // Ctrl+Alt+N anywhere in the open conversation (not AltGr, which types letters).
  function onKey(ev) {
    if (!(ev.ctrlKey && ev.altKey) || ev.metaKey || ev.shiftKey || ev.code !== 'KeyN') return;
    if (ev.getModifierState?.('AltGraph') || !form.isConnected || !form.offsetParent || !getConv()) return;
    ev.preventDefault();
    set(mode === 'note' ? 'reply' : 'note');
    input.focus();
  }
  document.addEventListener('keydown', onKey);

  // ---- @mentions ----
  let agents = null;
  let agentsAt = 0;
  const mentioned = new Map(); // name -> id, picked from the list
  async function loadAgents() {
    if (agents && Date.now() - agentsAt < 60000) return agents;
    try {
      agents = (await notesApi.agents()).filter((a) => a.is_active);
      agentsAt = Date.now();
    } catch { agents = agents || []; }
    return agents;
  }
  createSuggest({
    input, host: form, label: 'Teammates to mention', testid: 'mention-suggest',
    enabled: () => mode === 'note',
    match: (before) => {
      const m = before.match(/(^|\s)@([^\s@]{0,30})$/);
      return m ? { query: m[2], start: before.length - m[2].length - 1 } : null;
    },
    items: async (q) => {
      const me = getMe();
      const ql = q.toLowerCase();
      return (await loadAgents())
        .filter((a) => a.id !== me?.id && (!ql || a.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(ql)) || a.name.toLowerCase().startsWith(ql)))
        .slice(0, 8);
    },
    render: (a) => h('span', { class: 'suggest-row' },
      h('span', { class: 'suggest-key' }, `@${a.name}`),
      h('span', { class: 'suggest-title' }, `${a.availability || ''}${a.teams?.length ? ` · ${a.teams.join(', ')}` : ''}`)),
    empty: (q) => `No teammate matches “${q}”.`,
    pick: (a, start, end) => {
      mentioned.set(a.name, a.id);
      const text = `@${a.name} `;
      input.setRangeText(text, start, end, 'end');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    },
  });

  /** Send the composer's text as a note; resolves true when stored. */
  async function submit(text) {
    const conv = getConv();
    if (!conv || sending) return false;
    // Files waiting in the composer (attachments.js) go with a reply, never with a note:
    // say so rather than store the note and leave them for the visitor's next reply.
    const tray = form.querySelector('.composer-tray');
    if (tray && !tray.hidden && tray.childElementCount) {
      toast('A note can’t carry files. Remove them first — they would go to the visitor with your next reply.', 'error', 7000);
      return false;
    }
    const mentions = [...mentioned].filter(([name]) => text.includes(`@${name}`)).map(([, id]) => id);
    sending = true;
    sync();
    try {
      const saved = await notesApi.add(conv.id, { client_note_id: uuid(), text, mentions });
      mentioned.clear();
      onSent?.(saved);
      return true;
    } catch (err) {
      toast(`Note not saved: ${err.detail || err.message}`, 'error');
      return false;
    } finally {
      sending = false;
      sync();
    }
  }

  form.dataset.mode = mode;
  box.setAttribute('aria-labelledby', `composer-tab-${mode}`);
  return {
    get mode() { return mode; },
    isNote: () => mode === 'note',
    set,
    sync,
    /** The mode this conversation was left in (Reply for one never touched). */
    restore(id) { set(modes.get(id) || 'reply'); sync(); },
    submit,
    destroy() { document.removeEventListener('keydown', onKey); },
  };
}

/** A note arrived on the agent stream: a teammate who was @mentioned hears about it. */
export function noticeMention(data, me, { isOpen } = {}) {
  if (!me || data?.author?.id === me.id) return;
  if (!(data?.mentions || []).some((m) => m?.id === me.id) || isOpen) return;
  toast(`${data.author?.name || 'A teammate'} mentioned you in a note on conversation #${data.conversation_id}`, 'info', 6000);
}
