// Small DOM and formatting helpers. Everything that reaches the page goes
// through createElement/textContent — server text is never parsed as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'start']);

export function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      if (v) el.className = v;
    } else if (k === 'text') {
      el.textContent = v ?? '';
    } else if (PROPS.has(k)) {
      el[k] = v;
    } else if (v === false || v == null) {
      el.removeAttribute(k);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false || c === '') continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// ---- icons (static path data, Feather/Lucide style, 24px grid) ----
const SVG_NS = 'http://www.w3.org/2000/svg';
const ICONS = {
  user: [['path', { d: 'M20 21v-2a4 4 0 0 0-4-4H8a4 4 0 0 0-4 4v2' }], ['circle', { cx: 12, cy: 7, r: 4 }]],
  inbox: [['path', { d: 'M22 12h-6l-2 3h-4l-2-3H2' }],
    ['path', { d: 'M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2 2 0 0 0-1.79 1.11z' }]],
  users: [['path', { d: 'M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2' }], ['circle', { cx: 9, cy: 7, r: 4 }],
    ['path', { d: 'M23 21v-2a4 4 0 0 0-3-3.87' }], ['path', { d: 'M16 3.13a4 4 0 0 1 0 7.75' }]],
  team: [['circle', { cx: 12, cy: 8, r: 3 }], ['path', { d: 'M6.5 20v-1a5.5 5.5 0 0 1 11 0v1' }],
    ['circle', { cx: 4.5, cy: 10.5, r: 2 }], ['path', { d: 'M1 19a3.5 3.5 0 0 1 4.5-3.3' }], ['circle', { cx: 19.5, cy: 10.5, r: 2 }], ['path', { d: 'M23 19a3.5 3.5 0 0 0-4.5-3.3' }]],
  archive: [['path', { d: 'M21 8v13H3V8' }], ['rect', { x: 1, y: 3, width: 22, height: 5, rx: 1 }], ['path', { d: 'M10 12h4' }]],
  check: [['path', { d: 'M20 6 9 17l-5-5' }]],
  checkCircle: [['path', { d: 'M22 11.08V12a10 10 0 1 1-5.93-9.14' }], ['path', { d: 'M22 4 12 14.01l-3-3' }]],
  send: [['path', { d: 'M22 2 11 13' }], ['path', { d: 'M22 2 15 22l-4-9-9-4 20-7z' }]],
  back: [['path', { d: 'M15 18l-6-6 6-6' }]],
  x: [['path', { d: 'M18 6 6 18' }], ['path', { d: 'M6 6l12 12' }]],
  info: [['circle', { cx: 12, cy: 12, r: 10 }], ['path', { d: 'M12 16v-4' }], ['path', { d: 'M12 8h.01' }]],
  panel: [['rect', { x: 3, y: 3, width: 18, height: 18, rx: 2 }], ['path', { d: 'M15 3v18' }]],
  logout: [['path', { d: 'M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4' }], ['path', { d: 'M16 17l5-5-5-5' }], ['path', { d: 'M21 12H9' }]],
  flag: [['path', { d: 'M4 15s1-1 4-1 5 2 8 2 4-1 4-1V3s-1 1-4 1-5-2-8-2-4 1-4 1z' }], ['path', { d: 'M4 22v-7' }]],
  external: [['path', { d: 'M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h6' }], ['path', { d: 'M15 3h6v6' }], ['path', { d: 'M10 14 21 3' }]],
  claim: [['path', { d: 'M16 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2' }], ['circle', { cx: 8.5, cy: 7, r: 4 }],
    ['path', { d: 'M20 8v6' }], ['path', { d: 'M23 11h-6' }]],
  bot: [['path', { d: 'M12 8V4H8' }], ['rect', { x: 4, y: 8, width: 16, height: 12, rx: 2 }], ['path', { d: 'M2 14h2' }],
    ['path', { d: 'M20 14h2' }], ['path', { d: 'M15 13v2' }], ['path', { d: 'M9 13v2' }]],
  paperclip: [['path', { d: 'm21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l8.57-8.57A4 4 0 1 1 18 8.84l-8.59 8.57a2 2 0 0 1-2.83-2.83l8.49-8.48' }]],
  file: [['path', { d: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z' }], ['path', { d: 'M14 2v6h6' }],
    ['path', { d: 'M16 13H8' }], ['path', { d: 'M16 17H8' }]],
  message: [['path', { d: 'M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z' }]],
  monitor: [['rect', { x: 2, y: 3, width: 20, height: 14, rx: 2 }], ['path', { d: 'M8 21h8' }], ['path', { d: 'M12 17v4' }]],
  eye: [['path', { d: 'M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8z' }], ['circle', { cx: 12, cy: 12, r: 3 }]],
  eyeOff: [['path', { d: 'M17.94 17.94A10.07 10.07 0 0 1 12 20c-7 0-11-8-11-8a18.45 18.45 0 0 1 5.06-5.94' }],
    ['path', { d: 'M9.9 4.24A9.12 9.12 0 0 1 12 4c7 0 11 8 11 8a18.5 18.5 0 0 1-2.16 3.19' }],
    ['path', { d: 'M14.12 14.12a3 3 0 1 1-4.24-4.24' }], ['path', { d: 'M1 1l22 22' }]],
  arrowDown: [['path', { d: 'M12 5v14' }], ['path', { d: 'M19 12l-7 7-7-7' }]],
  alert: [['circle', { cx: 12, cy: 12, r: 10 }], ['path', { d: 'M12 8v4' }], ['path', { d: 'M12 16h.01' }]],
  sparkle: [['path', { d: 'M12 3l1.9 5.1L19 10l-5.1 1.9L12 17l-1.9-5.1L5 10l5.1-1.9z' }], ['path', { d: 'M19 17l.7 1.8 1.8.7-1.8.7L19 22l-.7-1.8-1.8-.7 1.8-.7z' }]],
  refresh: [['path', { d: 'M23 4v6h-6' }], ['path', { d: 'M1 20v-6h6' }],
    ['path', { d: 'M3.51 9a9 9 0 0 1 14.85-3.36L23 10M1 14l4.64 4.36A9 9 0 0 0 20.49 15' }]],
};

export function icon(name, size = 16, cls = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon ${cls}`.trim());
  for (const [tag, attrs] of ICONS[name] || []) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    svg.append(node);
  }
  return svg;
}

export function logoMark(size = 28) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 32 32');
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'logo-mark');
  const rect = document.createElementNS(SVG_NS, 'rect');
  for (const [k, v] of Object.entries({ width: 32, height: 32, rx: 9, fill: 'var(--pl-brand)' })) rect.setAttribute(k, v);
  const bubble = document.createElementNS(SVG_NS, 'path');
  bubble.setAttribute('d', 'M9 10.5A2.5 2.5 0 0 1 11.5 8h9A2.5 2.5 0 0 1 23 10.5v7a2.5 2.5 0 0 1-2.5 2.5H15l-4.2 3.4c-.5.4-1.3 0-1.3-.6V20A2.5 2.5 0 0 1 9 17.5z');
  bubble.setAttribute('fill', '#fff');
  const d1 = document.createElementNS(SVG_NS, 'circle');
  const d2 = document.createElementNS(SVG_NS, 'circle');
  for (const [c, x] of [[d1, 13.5], [d2, 18.5]]) {
    c.setAttribute('cx', x); c.setAttribute('cy', 14); c.setAttribute('r', 1.4); c.setAttribute('fill', 'var(--pl-brand)');
  }
  svg.append(rect, bubble, d1, d2);
  return svg;
}

// ---- time ----
export function parseTime(iso) {
  if (!iso) return null;
  let s = String(iso);
  // The contract says UTC; tolerate a naive timestamp by reading it as UTC.
  if (/^\d{4}-\d\d-\d\dT[\d:.]+$/.test(s)) s += 'Z';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

const fmtTime = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const fmtWeekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const fmtDay = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fmtDayYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const fmtLong = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fmtDayLong = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' });

function startOfDay(d) { return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime(); }

/** Compact relative time for lists: "now", "4m", "2h", "Yesterday", "Mon", "3 Nov". */
export function relTime(iso, now = Date.now()) {
  const d = parseTime(iso);
  if (!d) return '';
  const s = Math.max(0, (now - d.getTime()) / 1000);
  if (s < 45) return 'now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))}m`;
  const days = Math.round((startOfDay(new Date(now)) - startOfDay(d)) / 86400000);
  if (days === 0) return `${Math.floor(s / 3600)}h`;
  if (days === 1) return 'Yesterday';
  if (days < 7) return fmtWeekday.format(d);
  return d.getFullYear() === new Date(now).getFullYear() ? fmtDay.format(d) : fmtDayYear.format(d);
}

/** "4 minutes ago"-style for context rows. */
export function agoLong(iso, now = Date.now()) {
  const d = parseTime(iso);
  if (!d) return '';
  const s = Math.max(0, (now - d.getTime()) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) { const m = Math.max(1, Math.round(s / 60)); return `${m} min ago`; }
  if (s < 86400) { const hr = Math.floor(s / 3600); return `${hr} h ago`; }
  return fmtLong.format(d);
}

export function clockTime(iso) { const d = parseTime(iso); return d ? fmtTime.format(d) : ''; }
export function longTime(iso) { const d = parseTime(iso); return d ? fmtLong.format(d) : ''; }

export function dayKey(iso) {
  const d = parseTime(iso) || new Date();
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function dayLabel(iso, now = Date.now()) {
  const d = parseTime(iso) || new Date(now);
  const days = Math.round((startOfDay(new Date(now)) - startOfDay(d)) / 86400000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return fmtDayLong.format(d);
}

/** A <time> element kept fresh by refreshTimes(). */
export function timeEl(iso, { long = false, cls = '' } = {}) {
  const d = parseTime(iso);
  const el = h('time', { class: cls || null, datetime: d ? d.toISOString() : null, title: d ? fmtLong.format(d) : null });
  if (d) {
    el.dataset.rel = long ? 'long' : 'short';
    el.textContent = long ? agoLong(iso) : relTime(iso);
  }
  return el;
}

export function refreshTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time[data-rel]')) {
    const iso = el.getAttribute('datetime');
    el.textContent = el.dataset.rel === 'long' ? agoLong(iso, now) : relTime(iso, now);
  }
}

// ---- text ----
export function humanize(code) {
  if (code == null) return '';
  const s = String(code).replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : '';
}

export function visitorName(c) {
  const n = c && typeof c.visitor_name === 'string' ? c.visitor_name.trim() : '';
  return n || `Visitor #${c?.id ?? '?'}`;
}

export function initials(name) {
  const parts = String(name || '').replace(/#\d+/, '').trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return '?';
  const first = [...parts[0]][0] || '';
  const last = parts.length > 1 ? [...parts[parts.length - 1]][0] || '' : '';
  return (first + last).toUpperCase();
}

/** A stable, calm hue per name for avatars. */
export function hueFor(key) {
  let x = 0x811c9dc5; // FNV-1a, so "Visitor #2" and "Visitor #3" land far apart
  for (const ch of String(key)) x = Math.imul(x ^ ch.codePointAt(0), 0x01000193) >>> 0;
  return (x >>> 8) % 360;
}

/** Plain one-line preview of markdown text. */
export function plainPreview(text, max = 140) {
  const s = String(text || '')
    .replace(/```[\s\S]*?```/g, ' [code] ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*_`#>]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function uuid() {
  if (globalThis.crypto?.randomUUID) {
    try { return crypto.randomUUID(); } catch { /* insecure context: fall through */ }
  }
  // randomUUID needs a secure context; a self-hosted console on plain http
  // (LAN address) still has getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Priority may be a number (0 = normal) or a word. */
export function priorityLabel(p) {
  if (p == null || p === '') return null;
  const n = Number(p);
  if (Number.isFinite(n) && String(p).trim() !== '') {
    if (n <= -1) return 'Low';
    if (n === 0) return 'Normal';
    if (n === 1) return 'High';
    return 'Urgent';
  }
  return humanize(p);
}

export const STATUS_LABEL = { bot: 'Bot', queued: 'Queued', assigned: 'Assigned', closed: 'Closed' };

export function statusPill(status) {
  const known = Object.hasOwn(STATUS_LABEL, status) ? status : 'unknown';
  return h('span', { class: `pill pill--${known}`, 'data-status': status ?? '' },
    h('span', { class: 'pill-dot', 'aria-hidden': 'true' }), STATUS_LABEL[status] || humanize(status) || 'Unknown');
}

// ---- toasts ----
export function toast(message, kind = 'info', timeout = 5000) {
  const host = document.getElementById('toasts');
  if (!host) return;
  const el = h('div', { class: `toast toast--${kind}` },
    icon(kind === 'error' ? 'alert' : 'check', 16), h('span', null, message));
  host.append(el);
  setTimeout(() => {
    el.classList.add('is-leaving');
    setTimeout(() => el.remove(), 250);
  }, timeout);
}
