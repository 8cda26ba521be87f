// Parley widget: loaded by loader.js, renders the chat in a shadow root.
//
// Flow: session (token in localStorage) → UI → SSE stream of the visitor's
// conversation. Messages are sent through an outbox with client message ids so
// retries are idempotent; the stream resumes with Last-Event-ID and messages
// are de-duplicated by id.
import tokens from './tokens.css';
import styles from './widget.css';
import { h, icon } from './dom.js';
import { render as renderMarkdown, safeUrl } from './markdown.js';
import { openStream } from './sse.js';
import { backLabel, offlineCss, offlineForm } from './offline.js';
import { triggers } from './triggers.js';
import { closing, closingCss } from './closing.js';
import { queueNote, queueCss } from './queue.js';
import { prechatForm, prechatCss } from './prechat.js';
import { uploads, uploadsCss } from './uploads.js';
import { tabs as tabSync, blinker } from './tabs.js';
import { receipts } from './receipts.js';
import { scrollLock } from './mobile.js';

const VERSION = typeof __PARLEY_VERSION__ === 'string' ? __PARLEY_VERSION__ : 'dev';

(function boot(w, d) {
  const stub = w.Parley;
  if (typeof stub !== 'function' || stub.loaded) return; // not via loader.js, or loaded twice
  const cfg = stub.c || {};
  const siteKey = cfg.siteKey;
  if (!siteKey) { console.warn('[Parley] data-site-key is missing on the loader script'); return; }
  if (!Element.prototype.attachShadow || !w.fetch || !w.ReadableStream || !w.TextDecoder) return;

  const API = String(cfg.api || '').replace(/\/+$/, '');
  const KEY = 'parley:' + siteKey;
  const UI_KEY = KEY + ':ui';
  const OUTBOX_KEY = KEY + ':outbox';

  // ---------------------------------------------------------------- storage
  // Storage can throw (Safari private mode, blocked third-party storage):
  // fall back to memory so the widget still works for this page view.
  const mem = {};
  const storage = (name) => { try { const s = w[name]; s.setItem(KEY + ':t', '1'); s.removeItem(KEY + ':t'); return s; } catch (e) { return null; } };
  const local = storage('localStorage');
  const session = storage('sessionStorage');
  const read = (s, k) => { try { return s ? s.getItem(k) : (k in mem ? mem[k] : null); } catch (e) { return null; } };
  const write = (s, k, v) => {
    try {
      if (!s) { if (v == null) delete mem[k]; else mem[k] = v; } else if (v == null) s.removeItem(k); else s.setItem(k, v);
    } catch (e) { /* quota or blocked: nothing to do */ }
  };
  const readJSON = (s, k, dflt) => { try { return JSON.parse(read(s, k)) || dflt; } catch (e) { return dflt; } };

  // ------------------------------------------------------------------ state
  const uiState = readJSON(session, UI_KEY, {});
  const S = {
    token: read(local, KEY),
    site: null,
    conversation: null,
    lastSeq: null,
    open: !!uiState.open,
    hidden: false,
    unread: uiState.unread | 0,
    online: true,
    dead: false,
    identity: null,
    tracked: [],
  };
  const saveUi = () => write(session, UI_KEY, JSON.stringify({ open: S.open, unread: S.unread }));
  // The site's wording of a visible string (theme strings), else ours.
  const str = (k, dflt) => (S.site && S.site.strings && S.site.strings[k]) || dflt;
  const botName = () => S.site.bot_name || S.site.name || 'Parley';
  const setToken = (t) => { S.token = t || null; write(local, KEY, S.token); };

  // ----------------------------------------------------------------- events
  const handlers = {};
  const emit = (name, arg) => {
    for (const fn of (handlers[name] || []).slice()) {
      try { fn(arg); } catch (e) { console.error('[Parley] "' + name + '" handler failed', e); }
    }
  };

  // -------------------------------------------------------------------- API
  class ApiError extends Error {}
  const retryable = (e) => !e.status || e.status >= 500 || e.status === 408 || e.status === 429;
  async function request(method, path, body, keepalive) {
    const headers = {};
    if (S.token) headers.Authorization = 'Bearer ' + S.token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(API + path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit', cache: 'no-store', keepalive: !!keepalive,
      });
    } catch (e) {
      throw new ApiError('Network error'); // status stays undefined → retryable
    }
    let data = null;
    if (res.status !== 204) { try { data = await res.json(); } catch (e) { /* empty or not JSON */ } }
    if (!res.ok) {
      // A 422's detail is a list of {loc, msg}: show the messages, not "[object Object]".
      const detail = data && data.detail;
      const text = Array.isArray(detail) ? detail.map((e) => (e && e.msg) || '').filter(Boolean).join('; ') : detail;
      const err = new ApiError((typeof text === 'string' && text) || 'Request failed (' + res.status + ')');
      err.status = res.status;
      err.detail = detail; // the pre-chat form puts each 422 message under its field
      err.retryAfter = parseInt(res.headers.get('Retry-After'), 10) || 0;
      throw err;
    }
    return data;
  }
  // Any call that meets an expired/unknown token re-opens the session once and retries.
  async function call(method, path, body, keepalive) {
    try {
      return await request(method, path, body, keepalive);
    } catch (e) {
      if (e.status !== 401 || S.dead) throw e;
      await reauth();
      return request(method, path, body, keepalive);
    }
  }

  const tz = () => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { return null; } };
  const context = () => ({
    url: location.href,
    title: d.title,
    referrer: d.referrer,
    language: navigator.language,
    timezone: tz(),
    user_agent: navigator.userAgent,
    screen: screen.width + 'x' + screen.height,
  });

  async function openSession() {
    const body = { site_key: siteKey, context: context() };
    try {
      return await request('POST', '/api/v1/widget/session', body);
    } catch (e) {
      if ((e.status === 401 || e.status === 403) && S.token) {
        setToken(null); // stale token: start afresh rather than fail
        return request('POST', '/api/v1/widget/session', body);
      }
      throw e;
    }
  }

  let reauthing = null;
  function reauth() {
    if (!reauthing) {
      setToken(null);
      reauthing = openSession().then((data) => { applySession(data); sendIdentity(); }).finally(() => { reauthing = null; });
    }
    return reauthing;
  }

  // Parley('identify'): sent once there is a session (and again for a new one). A bad
  // signature is a 403 that changes nothing; no signature keeps the details unverified.
  function sendIdentity() {
    const t = S.identity;
    if (!t || !S.token || S.dead) return;
    const id = t.id != null ? t.id : t.user_id;
    call('POST', '/api/v1/widget/identify', {
      id: id == null ? undefined : String(id), email: t.email, name: t.name, attributes: t.attributes,
      signature: t.signature != null ? t.signature : t.user_hash, jwt: t.jwt,
    }).then((r) => {
      // Verified: the site vouched for who they are, so no pre-chat form.
      if (r && r.verified && !S.verified) { S.verified = true; setConversation(S.conversation, false); }
      emit('identify', r);
    }, (e) => console.warn('[Parley] identify: ' + e.message));
  }

  function applySession(data) {
    setToken(data.token);
    S.site = Object.assign({}, data.site);
    S.botName = S.site.bot_name;
    setConversation(data.conversation, false);
    for (const m of data.messages || []) addMessage(m, false);
    noteSeq(data.conversation && data.conversation.last_seq);
    for (const m of data.messages || []) noteSeq(m.seq);
  }

  // ------------------------------------------------------------ the DOM tree
  let host, root, ui, U;
  const $ = {}; // element refs

  function build() {
    host = d.createElement('parley-widget');
    // Inline !important (set through CSSOM, which CSP allows) beats any host rule. The
    // highest z-index, as the last child of <html>, wins any z-index war with the page.
    const hs = host.style;
    for (const [k, v] of [['position', 'fixed'], ['z-index', '2147483647'], ['top', 'auto'], ['left', 'auto'], ['bottom', '0'], ['right', '0'], ['width', '0'], ['height', '0'], ['display', 'block'], ['margin', '0'], ['padding', '0'], ['border', '0'], ['transform', 'none'], ['contain', 'none']]) hs.setProperty(k, v, 'important');
    root = host.attachShadow({ mode: 'open' });
    const css = tokens + styles + offlineCss + closingCss + queueCss + uploadsCss + prechatCss;
    if (root.adoptedStyleSheets !== undefined && w.CSSStyleSheet && 'replaceSync' in CSSStyleSheet.prototype) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css); // constructable sheets are not subject to style-src CSP
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(h('style', null, css)); // old browsers: needs style-src 'unsafe-inline' under a strict CSP
    }

    const site = S.site;
    const name = site.name || 'Chat';
    const label = cfg.launcherLabel || site.launcher_label || '';

    $.badge = h('span', { class: 'pl-badge', 'aria-hidden': 'true', 'data-testid': 'parley-unread', hidden: true });
    $.launcher = h('button', {
      type: 'button', class: 'pl-launcher' + (label ? '' : ' is-round'), 'data-testid': 'parley-launcher',
      'aria-controls': 'pl-panel', 'aria-expanded': 'false', onclick: () => setOpen(!S.open, true),
    }, icon('chat', 24, 'pl-ic-chat'), icon('close', 24, 'pl-ic-close'),
    label ? h('span', { class: 'pl-launcher-label' }, label) : null, $.badge);

    $.avatar = h('div', { class: 'pl-avatar', 'aria-hidden': 'true' });
    $.statusText = h('span');
    $.status = h('p', { class: 'pl-status', 'data-testid': 'parley-status', role: 'status' }, h('span', { class: 'pl-dot', 'aria-hidden': 'true' }), $.statusText);
    $.banner = h('div', { class: 'pl-banner', role: 'status', 'data-testid': 'parley-connection', hidden: true }, 'Reconnecting…');
    $.rows = h('div', { class: 'pl-rows' });
    $.typingLabel = h('span', { class: 'pl-typing-label' });
    $.typing = h('div', { class: 'pl-typing', 'data-testid': 'parley-typing', hidden: true },
      h('span', { class: 'pl-dots', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')), $.typingLabel);
    $.log = h('div', {
      class: 'pl-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
      'aria-label': 'Messages', 'data-testid': 'parley-messages', tabindex: '-1',
    }, greetingRow(), $.rows, $.typing);
    $.human = h('button', { type: 'button', class: 'pl-human', 'data-testid': 'parley-human', onclick: handoff },
      icon('human', 16), str('talk_to_human', 'Talk to a human'));
    $.note = h('span', { class: 'pl-note', role: 'alert', hidden: true });
    // Closing: "End chat" (with a confirm step) in the actions row; after a close, the
    // rating request and the transcript download (closing.js).
    $.closing = closing({ end: endChat, rate: (body) => call('POST', '/api/v1/widget/csat', body), download: transcript });
    $.actions = h('div', { class: 'pl-actions' }, $.human, $.closing.endBtn, $.closing.confirmEl, $.note);
    $.input = h('textarea', {
      class: 'pl-input', rows: '1', 'data-testid': 'parley-input', 'aria-label': 'Message',
      placeholder: str('composer_placeholder', 'Write a message…'), maxlength: '4000', enterkeyhint: 'send',
      oninput: onInput, onkeydown: onKey,
    });
    $.send = h('button', { type: 'submit', class: 'pl-send is-empty', 'data-testid': 'parley-send', 'aria-label': 'Send message' }, icon('send', 18));
    // Attachments (uploads.js): paper-clip, paste, drop on the panel, previews above the composer.
    U = uploads({ api: API, token: () => S.token, max: () => S.site.max_file_bytes, changed: sendState });
    $.form = h('form', { class: 'pl-composer', onsubmit: (e) => { e.preventDefault(); submit(); } }, U.button, $.input, $.send, U.input);
    $.title = h('h2', { class: 'pl-title', id: 'pl-title' }, name);
    $.panel = h('section', {
      class: 'pl-panel', id: 'pl-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'pl-title', 'data-testid': 'parley-panel',
    },
    h('header', { class: 'pl-head' }, $.avatar, h('div', { class: 'pl-titles' }, $.title, $.status),
      h('button', { type: 'button', class: 'pl-icon-btn', 'aria-label': 'Close chat', 'data-testid': 'parley-close', onclick: () => setOpen(false, true) }, icon('down', 22))),
    $.banner, $.log, ($.queue = queueNote({ fetchQueue: () => call('GET', '/api/v1/widget/queue') })).el, ($.offline = offlineForm({ send: sendOffline, draft: (v) => (v === undefined ? read(session, KEY + ':offline') : write(session, KEY + ':offline', v)), uuid })).el, $.closing.el, $.actions, U.tray, $.form,
    h('div', { class: 'pl-foot' }, 'Powered by Parley'));
    U.bind($.panel, $.input);

    $.previewAuthor = h('div', { class: 'pl-preview-author' });
    $.previewText = h('div', { class: 'pl-preview-text' });
    $.preview = h('div', { class: 'pl-preview', 'data-testid': 'parley-preview', hidden: true },
      h('button', { type: 'button', class: 'pl-preview-open', onclick: () => setOpen(true, true) }, $.previewAuthor, $.previewText),
      h('button', { type: 'button', class: 'pl-preview-x', 'aria-label': 'Dismiss', onclick: hidePreview }, icon('close', 14)));

    ui = h('div', { class: 'pl', 'data-pos': (cfg.position || site.position) === 'left' ? 'left' : 'right' }, $.launcher, $.preview, $.panel);
    if (cfg.hideLauncher != null && cfg.hideLauncher !== 'false') { $.launcher.hidden = true; ui.classList.add('no-launcher'); }
    applyTheme();
    root.appendChild(ui);
    root.addEventListener('keydown', (e) => { if (e.key === 'Escape' && S.open) { e.stopPropagation(); setOpen(false, true); } });
    // Announces a new unread count while the panel is closed (the launcher's label says it too).
    ui.appendChild($.sr = h('span', { class: 'pl-sr', role: 'status', 'data-testid': 'parley-unread-live' }));
    // A child of <html>, not <body>: a transform, filter or will-change on the body would
    // make it the containing block of our position:fixed (the launcher would scroll away),
    // and frameworks that swap <body> on navigation (Turbo) would remove the widget.
    d.documentElement.appendChild(host);
  }

  function applyTheme() {
    const color = cfg.color || (S.site && S.site.color);
    if (!color || !w.CSS || !CSS.supports('color', color)) return;
    // On .pl, where the tokens are (tokens.css): a page's --pl-* rules never reach it.
    ui.style.setProperty('--pl-brand', color);
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
    if (m) {
      let hex = m[1];
      if (hex.length === 3) hex = hex.replace(/./g, '$&$&');
      const lum = [0, 2, 4].map((i) => { const c = parseInt(hex.substr(i, 2), 16) / 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
      const L = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
      // Whichever text colour contrasts more (they tie at L ≈ 0.2); the console warns below 4.5:1.
      ui.style.setProperty('--pl-on-brand', L > 0.2 ? '#111827' : '#ffffff');
    }
  }

  function greetingRow() {
    const bubble = h('div', { class: 'pl-bubble' });
    bubble.appendChild(renderMarkdown(S.site.greeting || 'Hi there! Ask us anything — we usually answer right away.'));
    return h('div', { class: 'pl-row pl-first', 'data-sender': 'bot', 'data-testid': 'parley-greeting' },
      h('div', { class: 'pl-author' }, botName()), bubble);
  }

  // ------------------------------------------------------------ open / show
  function render() {
    if (!ui) return;
    ui.classList.toggle('is-open', S.open);
    ui.hidden = S.hidden;
    $.launcher.setAttribute('aria-expanded', String(S.open));
    const n = S.unread;
    $.launcher.setAttribute('aria-label', S.open ? 'Close chat' : (n ? 'Open chat, ' + n + ' unread message' + (n > 1 ? 's' : '') : 'Open chat'));
    $.badge.hidden = !n || S.open;
    if (S.open || S.hidden) $.preview.hidden = true;
    $.badge.textContent = n > 9 ? '9+' : String(n);
    lock.set(S.open && !S.hidden);
  }

  function setOpen(open, user) {
    open = !!open;
    if (open && S.hidden) S.hidden = false;
    const changed = open !== S.open;
    S.open = open;
    if (open) countUnread();
    saveUi();
    render();
    if (open) {
      ensureStream();
      scrollToEnd(true);
      if (user && $.input) setTimeout(focusPanel, 30);
    } else if (user && $.launcher && !$.launcher.hidden && root && root.activeElement) {
      $.launcher.focus({ preventScroll: true });
    }
    if (changed && TB && !S.fromTab) TB.post('open', open); // the other tabs follow
    if (changed) emit(open ? 'open' : 'close');
  }

  // Focus moves into the panel: the composer, except on touch screens where that would pop
  // the keyboard over the chat (the message list then), or what shows instead of it.
  function focusPanel() {
    if (!S.open || !$.panel) return;
    const touch = w.matchMedia && matchMedia('(pointer: coarse)').matches;
    const form = $.form.hidden && $.panel.querySelector('.pl-off-wrap:not([hidden]) [tabindex="-1"]');
    (form || (touch || $.form.hidden ? $.log : $.input)).focus({ preventScroll: true });
  }

  function setUnread(n) {
    if (n === S.unread) return;
    const more = n > S.unread;
    S.unread = n;
    saveUi();
    render();
    emit('unread', n);
    blink(n);
    if ($.sr && (more || !n)) $.sr.textContent = n ? n + ' unread message' + (n > 1 ? 's' : '') : '';
  }

  // ------------------------------------------------------- conversation state
  function noteSeq(seq) {
    const n = Number(seq);
    if (seq != null && isFinite(n) && (S.lastSeq == null || n > S.lastSeq)) S.lastSeq = n;
  }

  function setConversation(conv, live) {
    const prev = S.conversation;
    S.conversation = conv || null;
    if (conv) R.agentRead(conv.id, conv.agent_read_seq);
    if (live && conv && TB && !(prev && prev.id === conv.id)) TB.post('conv', conv.id);
    if (conv && prev && prev.id !== conv.id) {
      // A new conversation (after a close) has its own sequence numbers.
      S.lastSeq = null;
      noteSeq(conv.last_seq);
      if (stream) stream.restart();
    }
    if (!$.status) return;
    const status = conv ? conv.status : 'bot';
    const same = $.status.dataset.status === status && (!conv || !prev || prev.assignee_name === conv.assignee_name);
    let text;
    // Out of business hours (header) or an offline message waiting: say when the team is back.
    const next = S.site && S.site.next_opening;
    const away = conv && conv.offline && status === 'queued' ? 'offline'
      : S.site && S.site.open_now === false && !(next && Date.now() >= Date.parse(next)) && status === 'bot' ? 'away' : '';
    const back = away ? backLabel(next) : '';
    if (away) text = 'We’re away' + (back ? ' · ' + backLabel(next, true) : '');
    else if (status === 'queued') text = str('status_waiting', 'Waiting for a teammate…');
    else if (status === 'assigned') {
      const who = conv.assignee_name || 'A teammate';
      // "Ada joined" when it happens live; "Ada is here" when restored on a later page.
      text = same ? $.statusText.textContent : who + (live ? ' joined' : ' is here');
    } else if (status === 'closed') text = 'Conversation closed';
    else text = str('status_bot', 'Bot · answers instantly');
    $.status.dataset.status = away ? 'away' : status;
    const offlineWas = $.form.hidden;
    $.form.hidden = $.offline.update(conv, {
      back, email: S.identity && S.identity.email, focus: live && S.open, touch: w.matchMedia && matchMedia('(pointer: coarse)').matches,
    }) === 'form' || syncPrechat();
    if ($.form.hidden && !offlineWas) scrollToEnd(true);
    $.statusText.textContent = text;
    $.queue.update(conv); // waiting for a person: place in line and the wait estimate
    // Avatar: the assigned teammate's initial, otherwise the bot.
    $.avatar.textContent = '';
    if (status === 'assigned' && conv.assignee_name) $.avatar.textContent = conv.assignee_name.trim().charAt(0).toUpperCase();
    else $.avatar.appendChild(status !== 'queued' && botAvatar() || icon(status === 'queued' ? 'human' : 'bot', 22));
    $.human.hidden = status === 'queued' || status === 'assigned';
    if ($.human.hidden) $.note.hidden = true;
    // Closed: the rating and transcript card; "Talk to a human" waits for a new message.
    if ($.closing.update(conv)) $.human.hidden = true;
    if (status !== 'bot') dropStreams();
    refreshQuickReplies();
  }

  // --------------------------------------------------------------- messages
  const byId = new Map(); // server id → row record
  const byClient = new Map(); // client_message_id → row record (visitor's own)
  const streams = new Map(); // stream_id → streaming row record
  const finished = new Set(); // stream ids already finalised by message.created
  const skipped = new Set(); // streams joined mid-way: wait for their final message
  const rowMessage = new WeakMap(); // row → the stored message it shows

  function messageRow(m) {
    const sender = ['visitor', 'bot', 'agent', 'system'].indexOf(m.sender) >= 0 ? m.sender : 'system';
    const row = h('div', { class: 'pl-row', 'data-testid': 'parley-message', 'data-sender': sender });
    if (m.id != null) row.dataset.id = m.id;
    const author = sender === 'agent' ? (m.author_name || 'Support') : sender === 'bot' ? (m.author_name || 'Bot') : '';
    row.dataset.author = sender + ':' + author;
    if (sender === 'bot' && m.author_name && !S.site.bot_name) S.botName = m.author_name;
    if (sender === 'system') {
      row.appendChild(h('div', { class: 'pl-system' }, m.text || ''));
      return row;
    }
    if (author) row.appendChild(h('div', { class: 'pl-author' }, author));
    const bubble = h('div', { class: 'pl-bubble' });
    if (sender === 'visitor') bubble.textContent = m.text || '';
    else bubble.appendChild(renderMarkdown(m.text || ''));
    if (m.created_at) { const t = new Date(m.created_at); if (!isNaN(t)) bubble.title = t.toLocaleString(); }
    const files = m.attachments || [];
    if (m.text || !files.length) row.appendChild(bubble); // a message may be files only
    if (files.length) row.appendChild(U.list(files));
    const seen = {};
    const sources = (m.sources || []).filter((s) => s && safeUrl(s.url) && !seen[safeUrl(s.url)] && (seen[safeUrl(s.url)] = 1));
    if (sources.length) {
      row.appendChild(h('div', { class: 'pl-sources' }, sources.map((s) => h('a', {
        class: 'pl-source', 'data-testid': 'parley-source', href: safeUrl(s.url), target: '_blank', rel: 'noopener noreferrer',
        title: (s.title || s.url) + ' (opens in a new tab)',
      }, icon('ext', 12), h('span', null, 'Source: ' + (s.title || s.slug || s.url))))));
    }
    return row;
  }

  // Stored messages sit in (conversation, seq) order; pending and streaming rows stay at the end.
  function place(row, m) {
    if (m && m.seq != null) {
      row.dataset.conv = m.conversation_id;
      row.dataset.seq = m.seq;
      for (const el of $.rows.children) {
        if (el === row) continue;
        if (el.dataset.seq == null) { $.rows.insertBefore(row, el); return regroup(); }
        const c = Number(el.dataset.conv) - Number(m.conversation_id) || Number(el.dataset.seq) - Number(m.seq);
        if (c > 0) { $.rows.insertBefore(row, el); return regroup(); }
      }
    }
    $.rows.appendChild(row);
    regroup();
  }

  function regroup() {
    let prev = 'bot:' + botName(); // the greeting row
    for (const el of $.rows.children) {
      el.classList.toggle('pl-first', el.dataset.author !== prev);
      prev = el.dataset.author;
    }
    R.paint();
    refreshQuickReplies();
  }

  // Quick replies (clarification choices, "Talk to a person"): buttons under the
  // latest message only, while it is the bot's and the bot has the conversation.
  // They come from the stored message, so a reload shows them again; anything
  // that follows (a send, a streaming answer, an agent) takes them away.
  let quick = null; // { row, el } currently showing
  function refreshQuickReplies() {
    if (!$.rows) return;
    const last = $.rows.lastElementChild;
    const m = last && rowMessage.get(last);
    const status = S.conversation ? S.conversation.status : 'bot';
    const labels = m && m.sender === 'bot' && status === 'bot' && Array.isArray(m.quick_replies)
      ? m.quick_replies.filter((q) => typeof q === 'string' && q.trim()) : [];
    const row = labels.length ? last : null;
    if (quick && quick.row === row) return;
    if (quick) { quick.el.remove(); quick = null; }
    if (!row) return;
    const el = h('div', { class: 'pl-quick', role: 'group', 'aria-label': 'Suggested replies', 'data-testid': 'parley-quick-replies' },
      labels.map((label) => h('button', {
        type: 'button', class: 'pl-quick-btn', 'data-testid': 'parley-quick-reply', onclick: () => chooseQuickReply(label),
      }, label)));
    row.appendChild(el);
    quick = { row, el };
  }
  function chooseQuickReply(label) {
    sendText(label); // removes the buttons: the pending message is now the latest row
    // Keep keyboard focus in the chat (the focused button is gone), without popping
    // the on-screen keyboard on touch screens.
    const touch = w.matchMedia && matchMedia('(pointer: coarse)').matches;
    (touch ? $.log : $.input).focus({ preventScroll: true });
  }

  function nearEnd() { return !$.log || $.log.scrollHeight - $.log.scrollTop - $.log.clientHeight < 120; }
  function scrollToEnd(force) {
    if (!$.log || !(force || nearEnd())) return;
    requestAnimationFrame(() => { $.log.scrollTop = $.log.scrollHeight; });
  }

  /** Show a stored message once (dedupe by id), reconciling optimistic sends and streaming bubbles. */
  function addMessage(m, live) {
    if (!m || m.id == null || !$.rows) return;
    if (byId.has(m.id)) return;
    const stick = nearEnd();
    let rec = m.client_message_id && byClient.get(m.client_message_id);
    if (rec) {
      // Our own optimistic message came back from the server.
      rec.m = m;
      byId.set(m.id, rec);
      rec.row.dataset.id = m.id;
      rec.row.classList.remove('is-pending');
      if (rec.meta) { rec.meta.remove(); rec.meta = null; }
      dropOutbox(m.client_message_id);
      S.awaiting = true;
      place(rec.row, m);
      if (live) emit('message', m);
      return;
    }
    const row = messageRow(m);
    rowMessage.set(row, m);
    rec = { m, row };
    byId.set(m.id, rec);
    if (m.client_message_id) byClient.set(m.client_message_id, rec);
    const streaming = m.stream_id && streams.get(m.stream_id);
    if (m.stream_id) finished.add(m.stream_id);
    if (streaming) { streams.delete(m.stream_id); streaming.row.remove(); }
    place(row, m);
    if (m.sender !== 'visitor') hideTyping();
    if (m.sender === 'visitor') S.awaiting = true;
    else if (m.sender === 'bot' || m.sender === 'agent') S.awaiting = S.skipStream = false;
    if (live) {
      if ((m.sender === 'bot' || m.sender === 'agent') && (!S.open || S.hidden)) showPreview(m);
      countUnread();
      emit('message', m);
    }
    if (stick || m.sender === 'visitor') scrollToEnd(true);
  }

  // The bot stores an answer only while it has the conversation: once a person (or a
  // close) has it, what is still streaming will never be stored, so it must not stay.
  function dropStreams() {
    for (const [id, rec] of streams) { if (rec.frame) cancelAnimationFrame(rec.frame); rec.row.remove(); finished.add(id); }
    streams.clear();
  }

  function onDelta(data) {
    const id = data && data.stream_id;
    if (!id || finished.has(id) || !$.rows || (S.conversation && S.conversation.status !== 'bot')) return;
    let rec = streams.get(id);
    if (!rec && (skipped.has(id) || S.skipStream || data.index > 0)) {
      S.skipStream = false;
      skipped.add(id);
      return showTyping({ sender: 'bot', typing: true });
    }
    if (!rec) {
      const row = h('div', { class: 'pl-row', 'data-testid': 'parley-message', 'data-sender': 'bot', 'data-streaming': 'true', 'aria-hidden': 'true' });
      const author = S.botName || 'Bot';
      row.dataset.author = 'bot:' + author;
      const bubble = h('div', { class: 'pl-bubble' });
      row.append(h('div', { class: 'pl-author' }, author), bubble);
      rec = { row, bubble, text: '', frame: 0 };
      streams.set(id, rec);
      hideTyping();
      place(row, null);
    }
    rec.text += data.delta || '';
    if (!rec.frame) {
      rec.frame = requestAnimationFrame(() => {
        rec.frame = 0;
        const stick = nearEnd();
        rec.bubble.textContent = '';
        rec.bubble.appendChild(renderMarkdown(rec.text));
        const last = rec.bubble.lastElementChild || rec.bubble;
        (last.tagName === 'UL' || last.tagName === 'OL' ? last.lastElementChild || last : last).appendChild(h('span', { class: 'pl-caret' }));
        if (stick) scrollToEnd(true);
      });
    }
  }

  // The bot withdrew what it streamed (a generated answer failed its grounding check):
  // empty the bubble; the replacement's deltas restart at index 0 into the same bubble.
  function onRetract(data) {
    const id = data && data.stream_id;
    if (!id || finished.has(id)) return;
    skipped.delete(id); // joined mid-way? the replacement is streamed from its start
    const rec = streams.get(id);
    if (!rec) return;
    if (rec.frame) { cancelAnimationFrame(rec.frame); rec.frame = 0; }
    rec.text = '';
    rec.bubble.textContent = '';
    rec.bubble.appendChild(h('span', { class: 'pl-caret' }));
  }

  // A closed panel still shows that someone answered: a short preview above the launcher.
  function showPreview(m) {
    if (S.open || S.hidden || $.launcher.hidden) return;
    const text = renderMarkdown(m.text || '').textContent.replace(/\s+/g, ' ').trim() || ((m.attachments || []).length ? 'File: ' + m.attachments.map((a) => a.name).join(', ') : '');
    $.previewAuthor.textContent = m.sender === 'agent' ? (m.author_name || 'Support') : (m.author_name || 'Bot');
    $.previewText.textContent = text.length > 140 ? text.slice(0, 139) + '…' : text;
    $.preview.hidden = false;
  }
  function hidePreview() { $.preview.hidden = true; }

  // ----------------------------------------------------------------- typing
  let typingTimer = 0;
  function showTyping(data) {
    if (!$.typing || !data || data.sender === 'visitor') return;
    // The bot announces a turn with "typing" before its first delta: seeing it live
    // means this connection will get the whole answer.
    if (data.sender === 'bot' && data.typing) S.skipStream = false;
    clearTimeout(typingTimer);
    if (!data.typing) return hideTyping();
    const stick = nearEnd();
    const who = data.sender === 'agent' ? (data.name || (S.conversation && S.conversation.assignee_name) || 'A teammate') : (S.botName || 'Bot');
    $.typingLabel.textContent = who + ' is typing…';
    $.typing.hidden = false;
    if (stick) scrollToEnd(true);
    typingTimer = setTimeout(hideTyping, 8000); // a lost "typing: false" must not leave dots forever
  }
  function hideTyping() { clearTimeout(typingTimer); if ($.typing) $.typing.hidden = true; }

  // Visitor typing → server, at most every 3 s, with a "stopped" after 2.5 s of quiet.
  let typingSentAt = 0;
  let typingIdle = 0;
  function sendTyping(on) {
    if (!S.conversation || S.conversation.status === 'closed') return;
    call('POST', '/api/v1/widget/typing', { typing: on }).catch(() => {});
  }
  // The send button looks ready when there is text or a file to send.
  function sendState() { $.send.classList.toggle('is-empty', !$.input.value.trim() && !U.ready().length); }
  function onInput() {
    autosize();
    sendState();
    if (!$.input.value.trim()) return;
    const now = Date.now();
    if (now - typingSentAt > 3000) { typingSentAt = now; sendTyping(true); }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, 2500);
  }
  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingSentAt) { typingSentAt = 0; sendTyping(false); }
  }
  function autosize() {
    const el = $.input;
    el.style.height = 'auto';
    el.style.height = Math.min(el.scrollHeight, 132) + 'px';
  }
  function onKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  }

  // ----------------------------------------------------------------- outbox
  const outbox = readJSON(session, OUTBOX_KEY, []).filter((o) => o && o.client_message_id && (o.text || (o.files && o.files.length)));
  const saveOutbox = () => write(session, OUTBOX_KEY, outbox.length ? JSON.stringify(outbox.map((o) => ({ client_message_id: o.client_message_id, text: o.text, page: o.page, files: o.files }))) : null);
  function dropOutbox(cmid) {
    const i = outbox.findIndex((o) => o.client_message_id === cmid);
    if (i >= 0) { outbox.splice(i, 1); saveOutbox(); }
  }
  const uuid = () => {
    if (w.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    (w.crypto || w.msCrypto).getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    const x = Array.from(b, (v) => (v + 256).toString(16).slice(1)).join('');
    return x.slice(0, 8) + '-' + x.slice(8, 12) + '-' + x.slice(12, 16) + '-' + x.slice(16, 20) + '-' + x.slice(20);
  };

  function submit() {
    const text = $.input.value.trim();
    // Files go with the message once uploaded; one still uploading holds the send back.
    if (U.busy()) { $.note.textContent = 'Wait for the upload to finish, then send.'; $.note.hidden = false; return; }
    const files = U.ready();
    if (!text && !files.length) return;
    $.input.value = '';
    autosize();
    U.clear();
    $.send.classList.add('is-empty');
    stopTyping();
    sendText(text, files);
  }

  // Typed or tapped (a quick reply): the same idempotent outbox path, files included.
  function sendText(text, files) {
    const item = { client_message_id: uuid(), text, files: files && files.length ? files : undefined, page: { url: location.href, title: d.title } };
    outbox.push(item);
    saveOutbox();
    pendingRow(item);
    flush();
  }

  function pendingRow(item) {
    const row = messageRow({ sender: 'visitor', text: item.text, attachments: item.files });
    row.classList.add('is-pending');
    row.dataset.clientId = item.client_message_id;
    const rec = { m: null, row, item };
    item.rec = rec;
    byClient.set(item.client_message_id, rec);
    place(row, null);
    scrollToEnd(true);
    setMeta(rec, 'Sending…');
  }

  function setMeta(rec, text, failed, retry) {
    if (!rec.meta) { rec.meta = h('div', { class: 'pl-meta', role: failed ? 'alert' : null }); rec.row.appendChild(rec.meta); }
    rec.meta.className = 'pl-meta' + (failed ? ' is-failed' : '');
    rec.meta.textContent = text;
    if (retry) rec.meta.appendChild(h('button', { type: 'button', onclick: retry }, 'Retry'));
  }

  let sending = false;
  let flushTimer = 0;
  let sendAttempt = 0;
  async function flush() {
    clearTimeout(flushTimer);
    if (sending || S.dead || !S.token || !ui) return;
    const item = outbox.find((o) => !o.failed);
    if (!item) return;
    sending = true;
    try {
      const data = await call('POST', '/api/v1/widget/messages', { client_message_id: item.client_message_id, text: item.text, page: item.page, attachments: (item.files || []).map((f) => f.id) });
      sendAttempt = 0;
      dropOutbox(item.client_message_id);
      const firstConversation = !S.conversation;
      if (data && data.conversation) setConversation(data.conversation, true);
      if (data && data.message) {
        if (firstConversation) noteSeq(data.message.seq);
        addMessage(data.message, true);
      }
      ensureStream();
    } catch (e) {
      if (retryable(e)) {
        // Same client_message_id on every retry: the server keeps one copy.
        const delay = Math.max(e.retryAfter * 1000 || 0, Math.min(30000, 1000 * 2 ** sendAttempt++));
        const text = navigator.onLine === false ? 'Not sent yet — waiting for the connection…' : sendAttempt > 1 ? 'Not sent yet — retrying…' : 'Sending…';
        if (item.rec) setMeta(item.rec, text, sendAttempt > 2, sendAttempt > 2 ? retryNow : null);
        flushTimer = setTimeout(flush, delay);
      } else {
        item.failed = true;
        if (item.rec) setMeta(item.rec, 'Not sent: ' + e.message, true, () => { item.failed = false; setMeta(item.rec, 'Sending…'); flush(); });
      }
    } finally {
      sending = false;
    }
    if (!sendAttempt) flush(); // next queued message, if any
  }
  function retryNow() { sendAttempt = 0; flush(); }

  // --------------------------------------------------------------- pre-chat
  // The site's form (prechat.js, site.prechat) stands in for the composer before the
  // first message; never once a conversation exists or a message waits to be sent, nor
  // for a visitor the site vouched for (Parley('identify') verified). Returns whether it shows.
  let P = null;
  function syncPrechat() {
    const want = !!(S.site.prechat && !S.verified && !S.conversation && !outbox.length);
    if (want && !P) {
      P = prechatForm({ fields: S.site.prechat.fields, str, send: sendPrechat });
      $.panel.insertBefore(P.el, $.actions);
    }
    if (P) P.el.hidden = !want;
    $.actions.hidden = want;
    $.panel.classList.toggle('has-pre', want); // the greeting keeps its height, the form scrolls
    return want;
  }
  async function sendPrechat(answers) {
    await call('POST', '/api/v1/widget/prechat', { answers });
    S.site.prechat = null;
    setConversation(S.conversation, false); // the composer is back
    if (S.open) setTimeout(focusPanel, 0);
  }

  // The bot's picture (theme avatar_url, https only), or null: the bot icon instead.
  let avatarImg = null;
  function botAvatar() {
    const url = S.site.avatar_url;
    if (!/^https:\/\//i.test(url || '') || (avatarImg && avatarImg.failed)) return null;
    if (!avatarImg) avatarImg = h('img', { src: url, alt: '', referrerpolicy: 'no-referrer', onerror() { avatarImg.failed = true; avatarImg.replaceWith(icon('bot', 22)); } });
    return avatarImg;
  }

  // ---------------------------------------------------------------- handoff
  // The offline form's submit: stored as a visitor message, the email on the conversation.
  async function sendOffline(body) {
    const data = await call('POST', '/api/v1/widget/offline-message', body);
    const first = !S.conversation;
    if (data && data.message) {
      if (first) noteSeq(data.message.seq);
      addMessage(data.message, true);
    }
    if (data && data.conversation) setConversation(data.conversation, true);
    ensureStream();
  }

  // The visitor confirmed "End chat"; the rating request follows from the closed status.
  async function endChat() {
    const data = await call('POST', '/api/v1/widget/close');
    if (data && data.conversation) setConversation(data.conversation, true);
  }
  // The transcript travels with the token in a header (never in a URL) and is saved as a file.
  async function transcript(id) {
    const res = await fetch(API + '/api/v1/widget/transcript?conversation_id=' + encodeURIComponent(id), {
      headers: { Authorization: 'Bearer ' + S.token }, credentials: 'omit', cache: 'no-store',
    });
    if (!res.ok) throw new ApiError('Download failed (' + res.status + ')');
    return res.blob();
  }

  async function handoff() {
    if ($.human.getAttribute('aria-busy') === 'true') return;
    $.human.setAttribute('aria-busy', 'true');
    $.note.hidden = true;
    try {
      const data = await call('POST', '/api/v1/widget/handoff');
      if (data && data.conversation) setConversation(data.conversation, true);
      ensureStream();
    } catch (e) {
      $.note.textContent = retryable(e) ? 'Could not reach us. Please try again.' : e.message;
      $.note.hidden = false;
    } finally {
      $.human.removeAttribute('aria-busy');
    }
  }

  // ------------------------------------------------------- connection state
  // The banner (data-state) says why messages wait: "offline" at once when the browser
  // knows it, "reconnecting" after 4 s without a stream (shorter blips stay silent).
  // Back on line, or the stream back, the outbox is retried at once instead of at its
  // next back-off step.
  let bannerTimer = 0;
  function connection(state) {
    clearTimeout(bannerTimer);
    if (!$.banner) return;
    if (state === 'live') {
      $.banner.hidden = true;
      delete $.banner.dataset.state;
      if (outbox.length) retryNow();
      return;
    }
    if (navigator.onLine === false) state = 'offline';
    const show = () => {
      $.banner.dataset.state = state;
      $.banner.textContent = state === 'offline' ? 'You’re offline. Messages will be sent when you’re back.' : 'Reconnecting…';
      $.banner.hidden = false;
    };
    if (state === 'offline' || !$.banner.hidden) show();
    else bannerTimer = setTimeout(show, 4000);
  }
  const onOffline = () => connection('offline');
  const onOnline = () => { connection('reconnecting'); if (outbox.length) retryNow(); };

  // ----------------------------------------------------------------- stream
  let stream = null;
  function ensureStream() {
    // Visitors with a conversation keep a stream; others connect when they open the
    // panel, so the stream is live before the bot's first chunk of the first answer.
    if (stream || S.dead || !S.token || !ui || (!S.conversation && !S.open)) return;
    stream = openStream({
      url: API + '/api/v1/widget/stream',
      headers: () => {
        const hd = { Authorization: 'Bearer ' + S.token };
        if (S.lastSeq != null) hd['Last-Event-ID'] = String(S.lastSeq);
        return hd;
      },
      onEvent,
      onState(ok) {
        // Joined while the bot may already be answering: the first deltas are gone,
        // so don't show a bubble that starts mid-sentence for that reply.
        if (ok) S.skipStream = S.awaiting;
        connection(ok ? 'live' : 'reconnecting');
      },
      onEmpty() { stream = null; },
      onAuth() {
        reauth().then(() => stream && stream.restart(), () => {});
      },
    });
  }

  function onEvent(ev) {
    let data;
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    if (ev.id != null) noteSeq(ev.id);
    const cid = ev.id != null && data && (data.conversation_id || (data.conversation && data.conversation.id));
    if (cid && !(S.conversation && cid <= S.conversation.id)) follow(cid);
    if (ev.event === 'conversation.read') onRead(data);
    else if (ev.event === 'message.created') addMessage(data, true);
    else if (ev.event === 'bot.delta') onDelta(data);
    else if (ev.event === 'bot.retract') onRetract(data);
    else if (ev.event === 'typing') showTyping(data);
    else if (ev.event === 'csat.submitted') $.closing.rated(data);
    else if (ev.event === 'queue.updated') $.queue.refresh(); // someone ahead was taken
    else if (ev.event === 'conversation.updated' && data && data.conversation) {
      const c = data.conversation;
      const cur = S.conversation;
      setConversation(Object.assign({}, c, {
        assignee_name: c.assignee_name !== undefined ? c.assignee_name : (c.assignee ? c.assignee.name : null),
        last_seq: c.last_seq != null ? c.last_seq : cur && cur.last_seq,
      }), true);
    }
  }

  // ------------------------------------------------------------- page views
  let lastRoute = null;
  let routeTimer = 0;
  // Hash changes count only for hash routers (#/ or #!), not in-page anchors.
  const routeKey = (href) => { try { const u = new URL(href); if (!/^#[!/]/.test(u.hash)) u.hash = ''; return u.href; } catch (e) { return href; } };
  function onRoute() {
    if (T) T.route();
    clearTimeout(routeTimer);
    // Give the app a moment to update document.title for the new route.
    routeTimer = setTimeout(() => {
      const key = routeKey(location.href);
      if (S.dead || !S.token || key === lastRoute) return;
      lastRoute = key;
      call('POST', '/api/v1/widget/pageviews', { url: location.href, title: d.title }, true).catch(() => {});
    }, 300);
  }
  const wrapped = {};
  function trackRoutes(initialUrl) {
    lastRoute = routeKey(initialUrl); // the session call already carried this page
    for (const m of ['pushState', 'replaceState']) {
      const orig = history[m];
      if (typeof orig !== 'function') continue;
      const wrapper = function () { const r = orig.apply(this, arguments); onRoute(); return r; };
      wrapped[m] = [orig, wrapper];
      history[m] = wrapper;
    }
    w.addEventListener('popstate', onRoute);
    w.addEventListener('hashchange', onRoute);
    onRoute(); // the route may have changed while the session was opening
  }
  function untrackRoutes() {
    for (const m in wrapped) if (history[m] === wrapped[m][1]) history[m] = wrapped[m][0];
    w.removeEventListener('popstate', onRoute);
    w.removeEventListener('hashchange', onRoute);
  }

  // ------------------------------------------------------- proactive triggers
  // Only when the site has enabled triggers (site.triggers); the rules live in triggers.js.
  let T = null;
  function startTriggers() {
    if (!(S.site.triggers || []).length) return;
    T = triggers({
      list: S.site.triggers, root, ui, host, author: S.site.name, tracked: S.tracked, on: commands.on,
      read: () => read(local, KEY + ':triggers'),
      write: (v) => write(local, KEY + ':triggers', v),
      // Never over an open panel, a hidden widget, a message preview, or while a person is on it.
      busy: () => S.open || S.hidden || !$.preview.hidden || /^(queued|assigned)$/.test(S.conversation ? S.conversation.status : ''),
      open: () => setOpen(true, true),
      record: (id, kind, visit) => call('POST', '/api/v1/widget/trigger-stats', { trigger_id: id, kind, visit }, true).catch(() => {}),
    });
  }

  // ------------------------------------------------------- tabs and reading
  // Every tab of the site shows the same chat: the panel opens and closes together, the
  // unread count comes from one read mark (receipts.js), a conversation started in one
  // tab is followed by the others, and a shutdown ends them all (tabs.js). Reading needs
  // the panel open and the page visible; meanwhile the host page's title blinks.
  let TB = null;
  const seeing = () => S.open && !S.hidden && d.visibilityState !== 'hidden';
  const blink = blinker(d, () => !!(w.matchMedia && matchMedia('(prefers-reduced-motion: reduce)').matches));
  const lock = scrollLock(d, w, () => $.panel); // phones: full screen, modal, no page scroll
  const onTrap = (e) => {
    lock.trap(e, root);
    // Escape dismisses the message preview too (the open panel's Escape is in build()).
    if (e.key === 'Escape' && !S.open && !$.preview.hidden && $.preview.contains(root.activeElement)) {
      hidePreview();
      if (!$.launcher.hidden) $.launcher.focus({ preventScroll: true });
    }
  };
  const R = receipts({
    load: () => { const v = readJSON(local, KEY + ':read', null); return v && v.c > 0 ? v : null; },
    save: (v) => write(local, KEY + ':read', JSON.stringify(v)),
    messages: () => Array.from(byId.values(), (rec) => rec.m),
    conv: () => S.conversation,
    rows: () => $.rows,
    send: (c, s) => call('POST', '/api/v1/widget/read', { conversation_id: c, seq: s }).catch(() => {}),
    post: (t, v) => TB && TB.post(t, v),
  });
  function countUnread() {
    if (seeing()) R.read();
    setUnread(R.unread());
    if (!S.unread) hidePreview();
  }
  function onRead(data) {
    if (!data) return;
    if (data.by === 'agent') return R.agentRead(data.conversation_id, data.seq);
    R.adopt({ c: data.conversation_id, s: data.seq }); // read in another tab or on another device
    countUnread();
  }
  function onTab(t, v) {
    if (S.dead || !ui) return;
    S.fromTab = true;
    try {
      if (t === 'open') { if (!S.hidden && !!v !== S.open) setOpen(v, false); } else if (t === 'read') { R.adopt(v); countUnread(); } else if (t === 'conv') follow(v); else if (t === 'shutdown') shutdown();
    } finally {
      S.fromTab = false;
    }
  }
  // A newer conversation than ours (started in another tab, or on another device): load it
  // as a fresh page would. A moment's grace lets this tab's own send answer first.
  let following = 0;
  function follow(id) {
    if (following || S.dead || !(id > 0)) return;
    following = setTimeout(async () => {
      try {
        if (S.conversation && id <= S.conversation.id) return;
        const data = await call('GET', '/api/v1/widget/conversation');
        if (S.dead || !data || !data.conversation || (S.conversation && data.conversation.id < S.conversation.id)) return;
        setConversation(data.conversation, true);
        for (const m of data.messages || []) addMessage(m, false);
        noteSeq(data.conversation.last_seq);
        ensureStream();
        countUnread();
      } catch (e) { /* the stream or the next event tries again */ } finally {
        following = 0;
      }
    }, 250);
  }
  const onVisible = () => { if (!S.dead) countUnread(); };
  function startSync() {
    R.init();
    countUnread();
    TB = tabSync(KEY, local, onTab);
    d.addEventListener('visibilitychange', onVisible);
    root.addEventListener('keydown', onTrap);
  }
  function stopSync() {
    if (TB) { if (!S.fromTab) TB.post('shutdown'); TB.close(); TB = null; }
    d.removeEventListener('visibilitychange', onVisible);
    clearTimeout(following);
    R.stop();
    blink(0);
    lock.stop();
    write(local, KEY + ':read', null);
  }

  // ---------------------------------------------------------------- startup
  async function start() {
    let attempt = 0;
    for (;;) {
      if (S.dead) return;
      const url = location.href;
      try {
        const data = await openSession();
        if (S.dead) return;
        setToken(data.token);
        S.site = Object.assign({}, data.site);
        build();
        applySession(data);
        for (const item of outbox) pendingRow(item);
        render();
        trackRoutes(url);
        w.addEventListener('offline', onOffline);
        w.addEventListener('online', onOnline);
        if (navigator.onLine === false) connection('offline');
        startTriggers();
        startSync();
        ensureStream();
        flush();
        sendIdentity();
        if (S.open) scrollToEnd(true);
        return;
      } catch (e) {
        if (!retryable(e)) { console.warn('[Parley] widget disabled: ' + e.message); return; }
        await new Promise((r) => setTimeout(r, Math.min(60000, 2000 * 2 ** attempt++)));
      }
    }
  }

  function shutdown() {
    S.dead = true;
    if (stream) stream.stop();
    stream = null;
    clearTimeout(flushTimer);
    clearTimeout(routeTimer);
    clearTimeout(typingTimer);
    clearTimeout(typingIdle);
    untrackRoutes();
    w.removeEventListener('offline', onOffline);
    w.removeEventListener('online', onOnline);
    clearTimeout(bannerTimer);
    if (T) T.stop();
    stopSync();
    setToken(null);
    write(session, UI_KEY, null);
    write(session, OUTBOX_KEY, null);
    if (host) host.remove();
    host = ui = null;
    emit('shutdown');
  }

  // ------------------------------------------------------------- JS API
  // Parley(command, ...args). New commands are added to this table.
  const commands = {
    show() { S.hidden = false; render(); },
    hide() { S.hidden = true; if (S.open) setOpen(false); render(); },
    open() { setOpen(true, true); },
    close() { setOpen(false, true); },
    toggle() { setOpen(!S.open, true); },
    on(name, fn) { if (typeof fn === 'function') (handlers[name] = handlers[name] || []).push(fn); },
    off(name, fn) { const l = handlers[name]; if (l) handlers[name] = fn ? l.filter((f) => f !== fn) : []; },
    shutdown,
    // {id, email, name, attributes, signature | jwt}: verified on the server (widget/README.md).
    identify(traits) { if (traits && typeof traits === 'object') { S.identity = Object.assign({}, S.identity, traits); sendIdentity(); } },
    track(name, props) { if (name) { S.tracked.push({ name: String(name), props: props || null, at: new Date().toISOString() }); if (S.tracked.length > 50) S.tracked.shift(); if (T) T.track(String(name)); } },
    unreadCount() { return S.unread; },
  };

  function Parley(cmd) {
    if (S.dead) return undefined;
    const fn = Object.prototype.hasOwnProperty.call(commands, cmd) ? commands[cmd] : null;
    if (!fn) { console.warn('[Parley] unknown command: ' + cmd); return undefined; }
    try { return fn.apply(null, Array.prototype.slice.call(arguments, 1)); } catch (e) { console.error('[Parley] ' + cmd + ' failed', e); }
    return undefined;
  }
  Parley.loaded = true;
  Parley.version = VERSION;
  Parley.c = cfg;
  const queued = stub.q || [];
  w.Parley = Parley;
  for (const args of queued) Parley.apply(null, args);

  start();
})(window, document);
