// Middle column: conversation header with actions, the live transcript
// (keyed DOM, streamed bot answers, typing indicators) and the composer.

import { api } from './api.js';
import {
  h, icon, clockTime, longTime, dayKey, dayLabel, parseTime, visitorName, initials, hueFor, statusPill,
  uuid, toast,
} from './dom.js';
import { renderMarkdown, safeUrl, extLink } from './markdown.js';
import { offlineNote } from './offline.js';
import { activityRow, openTransferDialog, routingApi } from './routing.js';
import { createCsatBanner, createTranscriptButton } from './closing.js';
import { attachmentList, createAttachments, sendReply } from './attachments.js';
import { noteRow, isNote, createNoteMode } from './notes.js';
import { attachCanned } from './canned-composer.js';
import { createHandbackButton } from './handback.js';

const GROUP_GAP_MS = 5 * 60 * 1000;
const TYPING_TTL_MS = 8000;
const STREAM_STALL_MS = 30000;

/** Messages that are the same logical message share a key: optimistic → stored, stream → final. */
function keyOf(m) {
  if (m.client_message_id) return `c:${m.client_message_id}`;
  if (m.stream_id) return `s:${m.stream_id}`;
  return `m:${m.id}`;
}

export function createConversationPane({ getMe, onSummary, onBack, onToggleContext }) {
  // ---- header ----
  const back = h('button', { type: 'button', class: 'icon-btn conv-back', 'aria-label': 'Back to conversations' }, icon('back', 20));
  back.addEventListener('click', onBack);
  const avatar = h('span', { class: 'avatar', 'aria-hidden': 'true' });
  const titleEl = h('h2', { class: 'conv-title', id: 'conv-title', tabindex: '-1' });
  const sub = h('div', { class: 'conv-sub' });
  const claimLabel = h('span', null, 'Claim');
  const claim = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'claim-conversation' },
    icon('claim', 16), claimLabel);
  const transferBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'transfer-conversation', title: 'Transfer to a team or an agent, with a note' },
    icon('users', 16), h('span', null, 'Transfer'));
  transferBtn.addEventListener('click', () => { if (conv) openTransferDialog({ conv, me: me(), onDone: onSummary }); });
  const closeBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'close-conversation', title: 'Close the conversation' },
    icon('checkCircle', 16), h('span', null, 'Close'));
  const handback = createHandbackButton({ getConv: () => conv, onDone: (s) => onSummary(s) });
  const detailsBtn = h('button', {
    type: 'button', class: 'icon-btn conv-details-toggle', 'aria-label': 'Conversation details',
    'aria-controls': 'context-panel', 'aria-expanded': 'false', title: 'Details',
  }, icon('panel', 20));
  detailsBtn.addEventListener('click', onToggleContext);
  const header = h('header', { class: 'conv-header' },
    back, avatar,
    h('div', { class: 'conv-heading' }, titleEl, sub),
    h('div', { class: 'conv-actions' }, claim, transferBtn, handback.el, closeBtn, createTranscriptButton(() => conv), detailsBtn));
  const csat = createCsatBanner(); // the visitor's rating, once the conversation is closed

  // ---- transcript ----
  const log = h('div', {
    class: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
    'aria-labelledby': 'conv-title', 'data-testid': 'transcript',
  });
  const typingText = h('span', { class: 'typing-text' });
  const typingEl = h('div', { class: 'typing', hidden: true, 'data-testid': 'typing-indicator' },
    h('span', { class: 'typing-dots', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), typingText);
  const scroller = h('div', { class: 'transcript-scroll', tabindex: '0', 'aria-label': 'Transcript' }, log, typingEl);
  const jump = h('button', { type: 'button', class: 'jump-latest', hidden: true }, icon('arrowDown', 14), 'New messages');
  jump.addEventListener('click', () => scrollToBottom(true));
  scroller.addEventListener('scroll', () => { if (nearBottom()) jump.hidden = true; }, { passive: true });

  // ---- composer ----
  const note = h('div', { class: 'composer-note', hidden: true });
  const input = h('textarea', {
    id: 'reply-input', class: 'composer-input', rows: '1', 'data-testid': 'reply-input',
    placeholder: 'Write a reply…', 'aria-describedby': 'composer-hint',
  });
  const send = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'reply-send' },
    h('span', null, 'Send'), icon('send', 15));
  const hint = h('span', { class: 'composer-hint', id: 'composer-hint' },
    h('kbd', null, 'Enter'), ' to send · ', h('kbd', null, 'Shift'), ' + ', h('kbd', null, 'Enter'), ' for a new line');
  // Attachments (attachments.js): paper-clip, paste, drop on the composer, previews.
  const files = createAttachments({ getConversationId: () => conv?.id });
  const form = h('form', { class: 'composer', 'aria-label': 'Reply' },
    note,
    h('div', { class: 'composer-box' },
      h('label', { for: 'reply-input', class: 'visually-hidden' }, 'Reply to the visitor'),
      files.tray,
      input,
      h('div', { class: 'composer-bar' }, files.button, hint, send), files.input));
  files.bind(form, input);
  // Reply or private note (notes.js), and "/" canned responses (canned-composer.js).
  const noteMode = createNoteMode({
    form, box: form.querySelector('.composer-box'), input, send, getConv: () => conv, getMe: me,
    onSent: (n) => { if (conv?.id === n.conversation_id) { activity.set(n.seq, n); renderTranscript({ forceBottom: true }); } },
  });
  attachCanned({ form, input, getConv: () => conv });

  const body = h('div', { class: 'conv-body-wrap' }, scroller, jump);
  const active = h('div', { class: 'conv-active', hidden: true }, header, csat.el, body, form);

  const placeholder = h('div', { class: 'conv-placeholder' });
  function fillPlaceholder(kind, text) {
    placeholder.replaceChildren(h('div', { class: 'empty' },
      h('div', { class: `empty-icon empty-icon--lg${kind === 'error' ? ' empty-icon--error' : ''}` },
        icon(kind === 'error' ? 'alert' : 'message', 28)),
      h('p', { class: 'empty-title' }, kind === 'error' ? 'Couldn’t open this conversation' : 'Select a conversation'),
      h('p', { class: 'empty-text' }, text
        || 'Pick one from the list to read the transcript, see what the bot learned, and reply.')));
  }
  fillPlaceholder('empty');

  const loadingEl = h('div', { class: 'conv-loading', hidden: true, role: 'status' },
    h('span', { class: 'spinner spinner--dark', 'aria-hidden': 'true' }), h('span', null, 'Loading conversation…'));

  const el = h('main', { class: 'conv-pane', id: 'conversation', 'aria-label': 'Conversation', tabindex: '-1' },
    placeholder, loadingEl, active);

  // ---- state ----
  let conv = null;
  const messages = new Map(); // key -> message (optimistic ones carry _status)
  const ids = new Map(); // server id -> key
  const streams = new Map(); // stream_id -> {text, created_at}
  const finished = new Set(); // stream ids already finalised
  const nodes = new Map(); // key -> {el, sig}
  const activity = new Map(); // seq -> routing note (agents only), placed among messages by seq
  const typing = new Map(); // sender (or agent:<id>, another agent) -> timeout
  const typingNames = new Map(); // agent:<id> -> that agent's name
  const drafts = new Map(); // conversation id -> draft text
  let typingSentAt = 0;
  let typingIdle = null;
  let busyAction = false;

  // ---- helpers ----
  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }
  function scrollToBottom(smooth = false) {
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: smooth ? 'smooth' : 'auto' });
    jump.hidden = true;
  }

  function me() { return getMe() || {}; }

  // The site names its bot (Settings → Widget); stored bot messages carry that name, live
  // streams do not, so they borrow it from the conversation's latest stored bot message.
  function botName() {
    let name = '';
    for (const m of messages.values()) if (m.sender === 'bot' && m.author_name) name = m.author_name;
    return name || 'Parley bot';
  }

  function authorLabel(m) {
    if (m.sender === 'visitor') return visitorName(conv || {});
    if (m.sender === 'bot') return m.author_name || botName();
    if (m.sender === 'agent') {
      const mine = m._status || (m.author_name && m.author_name === me().name);
      return m.author_name ? (mine ? `${m.author_name} (you)` : m.author_name) : 'Agent';
    }
    return 'System';
  }

  function orderedItems() {
    const stored = [];
    const pending = [];
    for (const [key, m] of messages) {
      if (m.seq != null || m.id != null) stored.push([key, m]);
      else pending.push([key, m]);
    }
    for (const [seq, ev] of activity) stored.push([`a:${seq}`, { ...ev, seq, sender: 'activity', created_at: ev.at, _activity: true }]);
    stored.sort((a, b) => (a[1].seq ?? 1e15) - (b[1].seq ?? 1e15) || (a[1].id ?? 0) - (b[1].id ?? 0));
    const live = [...streams].map(([sid, s]) => [`s:${sid}`, {
      sender: 'bot', author_name: botName(), text: s.text, created_at: s.created_at, _streaming: true, stream_id: sid,
    }]);
    return [...stored, ...live, ...pending];
  }

  function buildMessage(m, key) {
    if (m._activity) return isNote(m) ? noteRow(m, me()) : activityRow(m);
    const sender = ['visitor', 'bot', 'agent', 'system'].includes(m.sender) ? m.sender : 'system';
    const art = h('article', {
      class: `msg msg--${sender}`,
      'data-testid': m._streaming ? 'msg-streaming' : 'msg',
      'data-sender': sender,
      'data-key': key,
    });
    if (m.id != null) art.dataset.messageId = String(m.id);
    if (m._streaming) {
      art.setAttribute('aria-busy', 'true');
      art.classList.add('is-streaming');
    }

    if (sender === 'system') {
      art.append(h('div', { class: 'msg-system' },
        h('div', { class: 'msg-system-text md' }, renderMarkdown(m.text)),
        m.created_at ? h('time', { datetime: parseTime(m.created_at)?.toISOString(), title: longTime(m.created_at) }, clockTime(m.created_at)) : null));
      return art;
    }

    let av;
    if (sender === 'bot') av = h('span', { class: 'msg-avatar msg-avatar--bot', 'aria-hidden': 'true' }, icon('bot', 16));
    else {
      const name = sender === 'visitor' ? visitorName(conv || {}) : (m.author_name || 'Agent');
      av = h('span', { class: `msg-avatar msg-avatar--${sender}`, 'aria-hidden': 'true' }, initials(name));
      av.style.setProperty('--hue', hueFor(sender === 'visitor' ? (conv?.visitor_name || `#${conv?.id}`) : name));
    }

    const meta = h('div', { class: 'msg-meta' },
      h('span', { class: 'msg-author' }, authorLabel(m)),
      m.created_at && !m._streaming
        ? h('time', { datetime: parseTime(m.created_at)?.toISOString(), title: longTime(m.created_at) }, clockTime(m.created_at))
        : null);

    const text = h('div', { class: 'msg-text md' });
    if (m._streaming) {
      // Streaming text is plain until the final message arrives; then it is rendered as markdown.
      text.append(h('p', null, m.text || ''), h('span', { class: 'caret', 'aria-hidden': 'true' }));
    } else {
      text.append(renderMarkdown(m.text));
    }
    const hasFiles = Array.isArray(m.attachments) && m.attachments.length > 0;
    const bubble = h('div', { class: 'msg-bubble' }, m.text || !hasFiles ? text : null, attachmentList(m.attachments));

    const sources = Array.isArray(m.sources) ? m.sources : [];
    if (sender === 'bot' && sources.length) {
      const list = h('ul', { class: 'msg-sources', role: 'list', 'aria-label': 'Sources' });
      for (const s of sources) {
        const label = s?.title || s?.slug || 'Source';
        const href = safeUrl(s?.url);
        list.append(h('li', null, href
          ? extLink(href, [icon('file', 13), h('span', null, label)], 'source-link')
          : h('span', { class: 'source-link is-static' }, icon('file', 13), h('span', null, label))));
      }
      bubble.append(h('div', { class: 'msg-sources-wrap' }, h('span', { class: 'msg-sources-label' }, 'Sources'), list));
    }

    const col = h('div', { class: 'msg-col' }, meta, bubble);
    // The buttons the visitor was offered under this answer (clarification choices…).
    const offered = Array.isArray(m.quick_replies) ? m.quick_replies.filter((q) => typeof q === 'string' && q) : [];
    if (sender === 'bot' && offered.length) {
      col.append(h('div', { class: 'msg-offered', 'data-testid': 'msg-offered' }, `Offered: ${offered.join(' · ')}`));
    }
    if (m._status === 'sending') {
      col.append(h('div', { class: 'msg-state' }, 'Sending…'));
    } else if (m._status === 'failed') {
      const retry = h('button', { type: 'button', class: 'link-btn' }, 'Retry');
      retry.addEventListener('click', () => post(m));
      col.append(h('div', { class: 'msg-state msg-state--failed', role: 'alert' }, icon('alert', 13),
        h('span', null, m._error ? `Not sent: ${m._error}` : 'Not sent.'), retry));
    }
    art.append(av, col);
    if (m._status) art.classList.add(`is-${m._status}`);
    return art;
  }

  function renderTranscript({ forceBottom = false } = {}) {
    const stick = forceBottom || nearBottom();
    const items = orderedItems();
    const want = [];
    let prevMsg = null;
    let prevDay = null;
    for (const [key, m] of items) {
      const dk = dayKey(m.created_at);
      if (dk !== prevDay) {
        want.push({ key: `d:${dk}`, day: m.created_at, sig: `d:${dk}:${dayLabel(m.created_at)}` });
        prevDay = dk;
        prevMsg = null;
      }
      const t = parseTime(m.created_at)?.getTime() ?? 0;
      const continued = Boolean(prevMsg && prevMsg.sender === m.sender && m.sender !== 'system'
        && (prevMsg.author_name || '') === (m.author_name || '')
        && t - (parseTime(prevMsg.created_at)?.getTime() ?? 0) < GROUP_GAP_MS);
      want.push({
        key, m, continued,
        sig: JSON.stringify([m.id, m.note, m.text, m.sources, m.quick_replies, m._status, m._error, m._streaming, m.author_name, m.created_at,
          conv?.visitor_name]),
      });
      prevMsg = m;
    }

    let added = false;
    const keep = new Set();
    let prevNode = null;
    for (const w of want) {
      keep.add(w.key);
      let node = nodes.get(w.key);
      if (!node || node.sig !== w.sig) {
        const fresh = w.day !== undefined
          ? h('div', { class: 'day-sep', role: 'separator' }, h('span', null, dayLabel(w.day)))
          : buildMessage(w.m, w.key);
        if (node) node.el.replaceWith(fresh);
        else added = true;
        node = { el: fresh, sig: w.sig };
        nodes.set(w.key, node);
      }
      if (w.m) node.el.classList.toggle('is-continued', w.continued);
      if (node.el.parentNode !== log || node.el.previousSibling !== (prevNode ? prevNode.el : null)) {
        if (prevNode) prevNode.el.after(node.el); else log.prepend(node.el);
      }
      prevNode = node;
    }
    for (const [key, node] of nodes) {
      if (!keep.has(key)) { node.el.remove(); nodes.delete(key); }
    }
    if (stick) scrollToBottom();
    else if (added) jump.hidden = false;
    placeSeen();
    markRead();
  }

  // ---- read receipts ----
  // "Seen" under the agent's last message once the visitor has read it; while this
  // conversation is open and the page visible, the visitor's messages are marked read
  // (debounced), which the widget shows as "Read" under them.
  const reads = { visitor: 0, agent: 0 };
  const seenEl = h('div', { class: 'msg-state msg-seen', 'data-testid': 'msg-seen' }, icon('check', 13), h('span', null, 'Seen'));
  let readTimer = null;
  function setReads(r) {
    reads.visitor = Math.max(reads.visitor, Number(r?.visitor_read_seq) || 0);
    reads.agent = Math.max(reads.agent, Number(r?.agent_read_seq) || 0);
    placeSeen();
  }
  function placeSeen() {
    let last = null;
    for (const [key, m] of messages) if (m.sender === 'agent' && m.seq != null && (!last || m.seq > last.m.seq)) last = { key, m };
    const col = last && reads.visitor >= last.m.seq ? nodes.get(last.key)?.el.querySelector('.msg-col') : null;
    if (!col) seenEl.remove();
    else if (seenEl.parentNode !== col) col.append(seenEl);
  }
  function markRead() {
    // At most one call per 800 ms (a streaming answer re-renders many times a second).
    if (readTimer || !conv || active.hidden || document.visibilityState !== 'visible') return;
    const unread = (m) => m.sender === 'visitor' && m.seq != null && m.seq > reads.agent;
    if (![...messages.values()].some(unread)) return;
    const id = conv.id;
    readTimer = setTimeout(async () => {
      readTimer = null;
      if (conv?.id !== id || active.hidden || document.visibilityState !== 'visible') return;
      const top = Math.max(0, ...[...messages.values()].map((m) => m.seq ?? 0));
      try {
        const r = await api.read(id, top);
        if (conv?.id === id) setReads(r);
      } catch { /* the next render tries again */ }
    }, 800);
  }
  document.addEventListener('visibilitychange', markRead);

  function renderHeader() {
    if (!conv) return;
    const name = visitorName(conv);
    titleEl.textContent = name;
    avatar.textContent = initials(name);
    avatar.style.setProperty('--hue', hueFor(conv.visitor_name || `#${conv.id}`));
    const assignee = conv.assignee?.name || conv.assignee_name || null;
    const mineAssigned = conv.assignee?.id != null && conv.assignee.id === me().id;
    sub.replaceChildren(
      statusPill(conv.status),
      h('span', { class: 'conv-sub-item' },
        conv.status === 'closed' ? (assignee ? `Handled by ${assignee}` : 'Closed')
          : mineAssigned ? 'Assigned to you' : assignee ? `Assigned to ${assignee}` : 'Unassigned'),
      h('span', { class: 'conv-sub-item conv-sub-id' }, `#${conv.id}`));

    const closed = conv.status === 'closed';
    transferBtn.hidden = closed;
    transferBtn.disabled = busyAction;
    claim.hidden = closed || mineAssigned;
    closeBtn.hidden = closed;
    claim.disabled = busyAction || mineAssigned;
    closeBtn.disabled = busyAction;
    handback.render(conv, busyAction);
    claimLabel.textContent = mineAssigned ? 'Assigned to you' : assignee ? 'Assign to me' : 'Claim';
    csat.render(conv);
    claim.title = mineAssigned ? 'This conversation is assigned to you'
      : assignee ? `Take over from ${assignee}` : 'Assign this conversation to yourself';

    // Composer state and a short note about what replying does.
    input.disabled = closed;
    send.disabled = closed;
    input.placeholder = closed ? 'This conversation is closed' : 'Write a reply…';
    let noteText = '';
    let noteKind = 'info';
    if (closed) { noteText = 'This conversation is closed: no more replies, but you can still add a private note.'; noteKind = 'muted'; }
    else if (conv.status === 'bot') noteText = 'The bot is handling this conversation. Replying takes it over and assigns it to you.';
    else if (conv.status === 'queued') {
      noteText = 'Waiting for an agent. Reply or claim it so the visitor knows someone is here.';
      noteKind = 'warning';
    } else if (!mineAssigned && assignee) noteText = `${assignee} is handling this conversation.`;
    note.replaceChildren();
    const offline = offlineNote(conv);
    note.hidden = !noteText && !offline;
    note.dataset.kind = offline ? 'info' : noteKind;
    if (offline) note.append(icon('info', 14), offline);
    else if (noteText) note.append(icon(noteKind === 'warning' ? 'flag' : 'info', 14), h('span', null, noteText));
    noteMode.sync();
  }

  function renderTyping() {
    const who = [];
    if (typing.has('visitor')) who.push(`${visitorName(conv || {})} is typing…`);
    if (typing.has('bot') && !streams.size) who.push(`${botName()} is writing…`);
    for (const [key, name] of typingNames) if (typing.has(key)) who.push(`${name} is typing…`);
    typingEl.hidden = who.length === 0;
    typingText.textContent = who.join(' ');
    if (who.length && nearBottom()) scrollToBottom();
  }

  function setTyping(sender, on) {
    clearTimeout(typing.get(sender));
    if (on) typing.set(sender, setTimeout(() => { typing.delete(sender); renderTyping(); }, TYPING_TTL_MS));
    else { typing.delete(sender); typingNames.delete(sender); }
    renderTyping();
  }

  function upsert(m) {
    if (!m || typeof m !== 'object') return false;
    if (m.id != null && ids.has(m.id) && ids.get(m.id) !== keyOf(m)) return false; // duplicate under another key
    const key = keyOf(m);
    const prev = messages.get(key);
    if (prev && prev.id != null && m.id == null) return false;
    messages.set(key, { ...m });
    if (m.id != null) ids.set(m.id, key);
    if (m.stream_id) {
      clearTimeout(streams.get(m.stream_id)?.timer);
      streams.delete(m.stream_id);
      finished.add(m.stream_id);
    }
    if (m.sender && m.sender !== 'agent') setTyping(m.sender, false);
    else if (m.sender === 'agent') for (const [key, name] of typingNames) if (name === m.author_name) setTyping(key, false);
    return true;
  }

  // ---- sending ----
  async function post(m) {
    const convId = m.conversation_id;
    m._status = 'sending';
    m._error = null;
    if (conv?.id === convId) renderTranscript({ forceBottom: true });
    try {
      const saved = await sendReply(convId, m.client_message_id, m.text, (m.attachments || []).map((a) => a.id));
      if (conv?.id !== convId) return;
      upsert(saved && typeof saved === 'object' && saved.id != null ? saved : { ...m, _status: undefined });
    } catch (err) {
      if (conv?.id !== convId) return;
      const cur = messages.get(keyOf(m));
      if (cur && cur.id == null) {
        cur._status = 'failed';
        cur._error = err.status === 0 ? 'no connection' : (err.detail || err.message);
      }
    }
    renderTranscript();
  }

  async function submitNote() {
    const text = input.value.trim();
    const id = conv?.id;
    if (!text || id == null) return;
    // Cleared once stored, unless the agent has typed on meanwhile.
    if (await noteMode.submit(text) && conv?.id === id && input.value.trim() === text) {
      input.value = '';
      drafts.delete(id);
      autosize();
    }
  }

  function submit() {
    if (noteMode.isNote()) { submitNote(); return; }
    if (!conv || conv.status === 'closed') return;
    const text = input.value.replace(/\s+$/, '').replace(/^\n+/, '');
    if (files.busy()) { toast('Wait for the upload to finish, then send.', 'info', 3000); return; }
    const attachments = files.ready();
    if (!text.trim() && !attachments.length) return;
    files.clear();
    const m = {
      id: null, conversation_id: conv.id, seq: null, sender: 'agent', author_name: me().name || null, text,
      sources: [], attachments, client_message_id: uuid(), stream_id: null, created_at: new Date().toISOString(),
    };
    messages.set(keyOf(m), m);
    input.value = '';
    drafts.delete(conv.id);
    autosize();
    stopTyping();
    post(m);
  }

  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingSentAt && conv) api.typing(conv.id, false).catch(() => {});
    typingSentAt = 0;
  }

  function onInput() {
    autosize();
    if (!conv) return;
    drafts.set(conv.id, input.value);
    if (!input.value.trim() || noteMode.isNote()) { stopTyping(); return; } // a note is not typing to the visitor
    const now = Date.now();
    if (now - typingSentAt > 3000) {
      typingSentAt = now;
      api.typing(conv.id, true).catch(() => {});
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 4000);
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  }

  input.addEventListener('input', onInput);
  input.addEventListener('blur', () => { if (typingSentAt) stopTyping(); });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey && !ev.isComposing) {
      ev.preventDefault();
      submit();
    }
  });
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); input.focus(); });

  // ---- actions ----
  async function act(kind) {
    if (!conv || busyAction) return;
    const id = conv.id;
    busyAction = true;
    renderHeader();
    const btn = kind === 'close' ? closeBtn : claim;
    btn.classList.add('is-busy');
    try {
      // From the queue a claim is a race only one agent wins; otherwise it is a take-over.
      const summary = kind === 'close' ? await api.close(id)
        : conv.status === 'queued' && !conv.assignee ? await routingApi.claim(id) : await api.assign(id, null);
      if (summary && typeof summary === 'object') onSummary(summary);
      toast(kind === 'close' ? 'Conversation closed' : 'Assigned to you', 'success', 3000);
      if (kind === 'claim' && conv?.id === id) input.focus();
    } catch (err) {
      toast(`${kind === 'close' ? 'Couldn’t close' : 'Couldn’t assign'}: ${err.detail || err.message}`, 'error');
    } finally {
      busyAction = false;
      btn.classList.remove('is-busy');
      renderHeader();
    }
  }
  claim.addEventListener('click', () => act('claim'));
  closeBtn.addEventListener('click', () => act('close'));

  function resetState() {
    files.reset(); // uploads belong to the conversation they were made in
    for (const t of typing.values()) clearTimeout(t);
    typing.clear();
    typingNames.clear();
    messages.clear();
    ids.clear();
    for (const st of streams.values()) clearTimeout(st.timer);
    streams.clear();
    finished.clear();
    nodes.clear();
    activity.clear();
    log.replaceChildren();
    typingEl.hidden = true;
    jump.hidden = true;
    clearTimeout(typingIdle);
    typingSentAt = 0;
    reads.visitor = reads.agent = 0;
    clearTimeout(readTimer);
    readTimer = null;
  }

  return {
    el,
    get currentId() { return conv?.id ?? null; },

    showEmpty(errorText = null) {
      if (conv && typingSentAt) stopTyping();
      conv = null;
      resetState();
      fillPlaceholder(errorText ? 'error' : 'empty', errorText);
      placeholder.hidden = false;
      loadingEl.hidden = true;
      active.hidden = true;
    },

    showLoading() {
      if (conv && typingSentAt) stopTyping();
      conv = null;
      resetState();
      placeholder.hidden = true;
      loadingEl.hidden = false;
      active.hidden = true;
    },

    /** Full render of a freshly fetched conversation detail. */
    open(detail, { focus = false } = {}) {
      if (conv && conv.id !== detail.id && typingSentAt) stopTyping();
      const same = conv && conv.id === detail.id;
      if (!same) resetState();
      conv = { ...detail };
      placeholder.hidden = true;
      loadingEl.hidden = true;
      active.hidden = false;
      log.setAttribute('aria-busy', 'true'); // don't announce the whole history
      for (const m of detail.messages || []) upsert(m);
      for (const a of detail.activity || []) if (a.seq != null) activity.set(a.seq, a);
      setReads(detail);
      renderHeader();
      renderTranscript({ forceBottom: !same });
      log.removeAttribute('aria-busy');
      if (!same) {
        noteMode.restore(conv.id);
        input.value = drafts.get(conv.id) || '';
        autosize();
        if (focus) titleEl.focus({ preventScroll: true });
      }
    },

    /** Merge a newer detail (after a refresh) without resetting the view. */
    merge(detail) {
      if (!conv || conv.id !== detail.id) return;
      Object.assign(conv, detail);
      let changed = false;
      for (const m of detail.messages || []) changed = upsert(m) || changed;
      for (const a of detail.activity || []) if (a.seq != null && !activity.has(a.seq)) { activity.set(a.seq, a); changed = true; }
      setReads(detail);
      renderHeader();
      if (changed) renderTranscript();
    },

    updateSummary(summary) {
      if (!conv || conv.id !== summary.id) return;
      Object.assign(conv, summary);
      renderHeader();
    },

    addMessage(m) {
      if (!conv || m.conversation_id !== conv.id) return;
      if (upsert(m)) renderTranscript({ forceBottom: m.sender === 'agent' && m.author_name === me().name });
      renderTyping();
    },

    /** A live routing note (agents only): decision, assignment, transfer with its note. */
    addActivity(ev) {
      if (!conv || ev.conversation_id !== conv.id || ev.seq == null || activity.has(ev.seq)) return;
      activity.set(ev.seq, ev);
      renderTranscript();
    },

    applyDelta(d) {
      if (!conv || d.conversation_id !== conv.id || !d.stream_id || finished.has(d.stream_id)) return;
      const s = streams.get(d.stream_id) || { text: '', created_at: new Date().toISOString(), timer: null };
      s.text += typeof d.delta === 'string' ? d.delta : '';
      streams.set(d.stream_id, s);
      // If the final message never comes (bot crashed mid-answer), don't leave a stuck bubble.
      clearTimeout(s.timer);
      s.timer = setTimeout(() => {
        if (streams.get(d.stream_id) === s) { streams.delete(d.stream_id); renderTranscript(); }
      }, STREAM_STALL_MS);
      typing.delete('bot');
      renderTranscript();
      renderTyping();
    },

    /** The bot withdrew what it streamed (failed grounding check); the replacement restarts. */
    retractStream(d) {
      if (!conv || d.conversation_id !== conv.id || !d.stream_id) return;
      const s = streams.get(d.stream_id);
      if (!s) return;
      s.text = '';
      renderTranscript();
    },

    setTyping(sender, on, agent) {
      if (!conv) return;
      if (sender === 'agent') {
        // Another agent writing a reply here ("Bo is typing…"); never our own echo.
        if (agent?.id == null || agent.id === me().id) return;
        const key = `agent:${agent.id}`;
        if (on) typingNames.set(key, String(agent.name || 'A teammate'));
        setTyping(key, on);
        return;
      }
      setTyping(sender, on);
    },

    /** conversation.read: the visitor (or an agent) has read up to seq. */
    setRead(ev) {
      if (!conv || ev.conversation_id !== conv.id) return;
      setReads(ev.by === 'visitor' ? { visitor_read_seq: ev.seq } : { agent_read_seq: ev.seq });
    },

    setContextExpanded(open) {
      detailsBtn.setAttribute('aria-expanded', String(open));
      detailsBtn.classList.toggle('is-active', open);
    },

    focusComposer() { if (!active.hidden && !input.disabled) input.focus(); },
  };
}
