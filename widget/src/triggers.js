// Proactive triggers: the site's enabled triggers (from the session's site.triggers)
// are watched on the page; when one fires and every guardrail allows it, a small
// message bubble appears by the launcher. Clicking it opens the chat with that
// message as the bot's greeting.
//
// Guardrails (kept per site in localStorage, so they hold across tabs and reloads):
// page allow-list; nothing after a dismissal for the rest of the visit; never while
// the visitor types (our composer or the host page's fields), while the panel is
// open or someone already answers; one bubble at a time; per-trigger frequency cap
// (n shows per d days), cool-down since any proactive message, and shows per visit.
// A visit ends after 30 minutes without the page open.
import css from './triggers.css';
import { h, icon } from './dom.js';
import { pageAllowed } from './pages.js';

const VISIT_GAP = 30 * 60e3;
const TYPING_QUIET = 3e3; // a keystroke this recent means "typing"
const PENDING_TTL = 30e3; // a trigger that fired but could not show is dropped after this
const DAY = 864e5;

/**
 * Start watching. ctx: list (the triggers), root (shadow root), ui (the widget's
 * container), host (its element in the page), read()/write(v) (the state string in
 * localStorage), on(event, fn) (the widget's own events), busy() (panel open, hidden,
 * a person on the conversation…), open() (open the panel), record(id, kind, visit),
 * author (the name above the message), tracked (events tracked before we started).
 */
export function triggers(ctx) {
  const d = document;
  const w = window;
  const list = ctx.list.filter((t) => t && t.id != null && t.message);
  const now = () => Date.now();

  // ---------------------------------------------------------------- storage
  // { v: visit number, seen, d: visit of the last dismissal, last: last show (any),
  //   h: {id: [show times]}, s: {id: shows this visit}, g: {v, text} greeting shown }
  const load = () => { try { return JSON.parse(ctx.read()) || {}; } catch (e) { return {}; } };
  const save = (st) => ctx.write(JSON.stringify(st));
  function visit() {
    const st = load();
    const t = now();
    if (!st.v || !(t - (st.seen || 0) < VISIT_GAP)) { st.v = (st.v || 0) + 1; st.s = {}; st.g = null; }
    st.seen = t;
    save(st);
    return st;
  }
  let st = visit();

  // ---------------------------------------------------------------- the page
  let page; // per page view (single-page-app routes count as pages)
  const routeKey = () => location.pathname + location.search + (/^#[!/]/.test(location.hash) ? location.hash : '');
  function newPage() {
    page = { key: routeKey(), start: now(), hidden: 0, hiddenAt: d.hidden ? now() : 0, fired: {}, pending: [], depth: 0, form: 0, exit: false };
  }
  newPage();
  const pageTime = () => now() - page.start - page.hidden - (page.hiddenAt ? now() - page.hiddenAt : 0);
  let lastActive = now();
  let lastTyped = 0;

  function depth() {
    const el = d.documentElement;
    const max = Math.max(el.scrollHeight, d.body ? d.body.scrollHeight : 0) - w.innerHeight;
    if (max > 0) page.depth = Math.max(page.depth, Math.min(100, Math.round((w.scrollY / max) * 100)));
  }

  // Kind → has it happened on this page?
  const met = {
    time_on_page: (t) => pageTime() >= t.seconds * 1e3,
    scroll_depth: (t) => page.depth >= t.percent,
    nth_visit: (t) => st.v >= t.visit && pageTime() >= 3e3,
    exit_intent: () => page.exit,
    idle: (t) => !d.hidden && now() - lastActive >= t.seconds * 1e3,
    form_abandonment: (t) => page.form > 0 && (page.exit || now() - page.form >= t.seconds * 1e3),
    custom_event: () => false, // fired by track()
  };

  function fire(t) {
    if (page.fired[t.id]) return;
    page.fired[t.id] = 1;
    page.pending.push({ t, at: now() });
  }

  // ------------------------------------------------------------- guardrails
  // Hard rules: the trigger may not show now (it is dropped).
  function allowed(t) {
    const n = now();
    st = load();
    if (!pageAllowed(t.pages, location.href)) return false;
    if (st.d && st.d === st.v) return false; // dismissed something this visit
    if (((st.s || {})[t.id] || 0) >= (t.session_max || 1)) return false;
    const shows = ((st.h || {})[t.id] || []).filter((x) => n - x < (t.cap_days || 1) * DAY);
    if (shows.length >= (t.cap_count || 1)) return false;
    return !(st.last && n - st.last < (t.cooldown_minutes || 0) * 60e3);
  }
  // Soft rules: not now, maybe in a moment (the trigger stays pending).
  const waiting = () => !!current || d.hidden || now() - lastTyped < TYPING_QUIET || ctx.busy();

  function check() {
    if (stopped) return;
    for (const t of list) if (!page.fired[t.id] && met[t.kind] && met[t.kind](t) && pageAllowed(t.pages, location.href)) fire(t);
    page.exit = false;
    if (!page.pending.length || waiting()) return;
    while (page.pending.length) {
      const p = page.pending.shift();
      if (now() - p.at < PENDING_TTL && allowed(p.t)) return show(p.t);
    }
  }

  // ----------------------------------------------------------------- bubble
  let current = null; // { t, el }
  let shownHere = null; // the trigger shown on this page (a reply counts as an open)
  const region = h('div', { class: 'pl-pro', role: 'status', 'aria-live': 'polite', 'data-testid': 'parley-proactive-region' });
  ctx.ui.appendChild(region);
  if (ctx.root.adoptedStyleSheets !== undefined && w.CSSStyleSheet && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    ctx.root.adoptedStyleSheets = ctx.root.adoptedStyleSheets.concat(sheet);
  } else {
    ctx.root.appendChild(h('style', null, css));
  }

  function show(t) {
    const n = now();
    st = load();
    st.last = n;
    st.s = st.s || {};
    st.s[t.id] = (st.s[t.id] || 0) + 1;
    st.h = st.h || {};
    // Keep only what a cap can still look at.
    st.h[t.id] = ((st.h[t.id] || []).filter((x) => n - x < 365 * DAY)).concat(n).slice(-100);
    save(st);
    const el = h('div', { class: 'pl-pro-card', 'data-testid': 'parley-proactive', 'data-trigger-id': String(t.id) },
      h('button', { type: 'button', class: 'pl-pro-open', 'data-testid': 'parley-proactive-open', onclick: () => ctx.open() },
        h('span', { class: 'pl-pro-av', 'aria-hidden': 'true' }, icon('bot', 16)),
        h('span', { class: 'pl-pro-body' },
          h('span', { class: 'pl-pro-author' }, ctx.author || 'Chat'),
          h('span', { class: 'pl-pro-text' }, t.message),
          h('span', { class: 'pl-pro-reply', 'aria-hidden': 'true' }, 'Reply'))),
      h('button', { type: 'button', class: 'pl-pro-x', 'aria-label': 'Dismiss message', 'data-testid': 'parley-proactive-dismiss', onclick: dismiss }, icon('close', 14)));
    el.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.stopPropagation(); dismiss(); } });
    current = { t, el };
    shownHere = t;
    region.appendChild(el); // no focus(): the visitor keeps what they were doing
    ctx.record(t.id, 'show', st.v);
  }

  function hide(refocus) {
    if (!current) return;
    const focused = ctx.root.activeElement && current.el.contains(ctx.root.activeElement);
    current.el.remove();
    current = null;
    // Dismissed from the keyboard: focus goes back to the launcher, not to <body>.
    if (focused && refocus) { const l = ctx.root.querySelector('[data-testid="parley-launcher"]'); if (l && !l.hidden) l.focus({ preventScroll: true }); }
  }

  function dismiss() {
    if (!current) return;
    const t = current.t;
    st = load();
    st.d = st.v;
    save(st);
    shownHere = null;
    hide(true);
    ctx.record(t.id, 'dismiss', st.v);
  }

  // The trigger's message becomes the bot's greeting in the panel (as text).
  function greet(text) {
    const b = ctx.root.querySelector('[data-testid="parley-greeting"] .pl-bubble');
    if (b && text) b.textContent = text;
  }

  function opened() {
    if (!current) return;
    const t = current.t;
    hide();
    greet(t.message);
    st = load();
    st.g = { v: st.v, text: t.message };
    save(st);
    ctx.record(t.id, 'open', st.v);
  }
  if (st.g && st.g.v === st.v) greet(st.g.text); // opened from a bubble earlier this visit

  // --------------------------------------------------------------- listeners
  const on = (target, type, fn, opts) => { target.addEventListener(type, fn, opts); offs.push(() => target.removeEventListener(type, fn, opts)); };
  const offs = [];
  const active = () => { lastActive = now(); };
  const editable = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const typed = (e) => {
    active();
    // Keys inside the widget reach the document retargeted to its host element.
    if (e.target === ctx.host || editable(e.target)) lastTyped = now();
    if (e.type === 'input' && e.target.form) page.form = now(); // a field of one of the page's forms
  };
  for (const type of ['mousemove', 'pointerdown', 'touchstart', 'wheel']) on(d, type, active, { passive: true, capture: true });
  on(d, 'keydown', typed, true);
  on(d, 'input', typed, true);
  on(d, 'submit', () => { page.form = 0; }, true);
  on(w, 'scroll', () => { active(); depth(); check(); }, { passive: true });
  // Exit intent: the pointer leaves the window through its top edge (towards tabs and the address bar).
  on(d, 'mouseout', (e) => { if (!e.relatedTarget && e.clientY <= 0) { page.exit = true; check(); } });
  on(d, 'visibilitychange', () => {
    if (d.hidden) page.hiddenAt = now();
    else if (page.hiddenAt) { page.hidden += now() - page.hiddenAt; page.hiddenAt = 0; }
  });
  ctx.on('open', opened);
  ctx.on('message', (m) => {
    // Replying after a bubble showed on this page counts as an open too (once).
    if (m && m.sender === 'visitor' && shownHere) { st = load(); ctx.record(shownHere.id, 'open', st.v); shownHere = null; }
  });

  let stopped = false;
  const timer = setInterval(() => {
    if (d.hidden) return;
    const s = load();
    if (!(now() - (s.seen || 0) < 5e3)) st = visit(); // keep the visit alive (or start the next)
    check();
  }, 1000);
  depth();
  for (const e of ctx.tracked || []) track(e.name);

  function track(name) {
    for (const t of list) if (t.kind === 'custom_event' && t.event === name && pageAllowed(t.pages, location.href)) fire(t);
    check();
  }

  return {
    track,
    // A single-page-app route change: a new page for the timers and rules.
    route() {
      if (routeKey() === page.key) return;
      newPage();
      shownHere = null;
      if (current && !pageAllowed(current.t.pages, location.href)) hide();
      depth();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const off of offs) off();
      hide();
      region.remove();
    },
  };
}
