// A deliberately small markdown renderer that builds DOM nodes directly:
// paragraphs, line breaks, **bold**, *italic*, `code`, fenced code, lists and
// links. Links are allowed only for http, https and mailto. No HTML is ever
// parsed, so nothing in a message can inject markup or script.

import { h } from './dom.js';

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** Return a normalised absolute URL if it is http/https/mailto, else null. */
export function safeUrl(raw) {
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (!/^(https?:\/\/|mailto:)/i.test(s)) return null;
  try {
    const u = new URL(s);
    return SAFE_PROTOCOLS.has(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}

/** An external link that cannot reach back into the console window. */
export function extLink(href, label, cls) {
  return h('a', { href, target: '_blank', rel: 'noopener', referrerpolicy: 'no-referrer', class: cls || null }, label);
}

const LIST_RE = /^\s{0,3}([-*+•]|\d{1,9}[.)])\s+(.*)$/;
const FENCE_RE = /^\s{0,3}(`{3,}|~{3,})/;
const HEADING_RE = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const QUOTE_RE = /^\s{0,3}>\s?(.*)$/;
const RULE_RE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;

const isOrdered = (marker) => /\d/.test(marker);

export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) { i++; continue; }

    const fence = line.match(FENCE_RE);
    if (fence) {
      const close = fence[1];
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(close)) body.push(lines[i++]);
      i++; // closing fence (or end of text)
      frag.append(h('pre', { class: 'md-pre' }, h('code', null, body.join('\n'))));
      continue;
    }

    if (RULE_RE.test(line)) { frag.append(h('hr')); i++; continue; }

    const item = line.match(LIST_RE);
    if (item) {
      const ordered = isOrdered(item[1]);
      const list = h(ordered ? 'ol' : 'ul');
      if (ordered) {
        const start = parseInt(item[1], 10);
        if (start > 1) list.start = start;
      }
      let current = null;
      while (i < lines.length) {
        const l = lines[i];
        const m = l.match(LIST_RE);
        if (m && isOrdered(m[1]) === ordered) {
          current = h('li');
          inline(m[2], current, 0);
          list.append(current);
          i++;
          continue;
        }
        if (m) break;
        if (!l.trim()) {
          const next = lines[i + 1]?.match(LIST_RE);
          if (next && isOrdered(next[1]) === ordered) { i++; continue; }
          break;
        }
        if (/^\s+\S/.test(l) && current) {
          current.append(h('br'));
          inline(l.trim(), current, 0);
          i++;
          continue;
        }
        break;
      }
      frag.append(list);
      continue;
    }

    const heading = line.match(HEADING_RE);
    if (heading) {
      const strong = h('strong');
      inline(heading[1], strong, 0);
      frag.append(h('p', { class: 'md-heading' }, strong));
      i++;
      continue;
    }

    const p = h('p');
    let first = true;
    while (i < lines.length) {
      const l = lines[i];
      if (!l.trim() || (!first && (FENCE_RE.test(l) || LIST_RE.test(l) || HEADING_RE.test(l) || RULE_RE.test(l)))) break;
      if (!first) p.append(h('br'));
      const q = l.match(QUOTE_RE);
      inline(q ? q[1] : l, p, 0);
      first = false;
      i++;
    }
    frag.append(p);
  }
  return frag;
}

// ---- inline ----

const TRAILING_PUNCT = /[.,;:!?'"\]]+$/;

function trimUrl(url) {
  let u = url.replace(TRAILING_PUNCT, '');
  // Drop an unbalanced closing parenthesis: "(see https://x.y/z)".
  while (u.endsWith(')') && (u.match(/\(/g) || []).length < (u.match(/\)/g) || []).length) {
    u = u.slice(0, -1).replace(TRAILING_PUNCT, '');
  }
  return u;
}

const RULES = [
  { // backslash escape
    first: '\\',
    re: /\\([\\`*_[\]()#+\-.!<>~])/y,
    build: (m) => [document.createTextNode(m[1]), m[0].length],
  },
  { // inline code
    first: '`',
    re: /(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/y,
    build: (m) => [h('code', null, m[2].trim() ? m[2].replace(/^ (.*) $/, '$1') : m[2]), m[0].length],
  },
  { // [label](url "title")
    first: '[',
    re: /\[((?:[^\]\\\n]|\\.)+)\]\(\s*<?([^()\s<>]+(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/y,
    build: (m, depth) => {
      const href = safeUrl(m[2]);
      if (!href) {
        // Unsafe or relative link: keep the words, drop the link.
        const span = document.createDocumentFragment();
        inline(m[1], span, depth + 1);
        return [span, m[0].length];
      }
      const a = extLink(href, null);
      inline(m[1], a, depth + 1);
      return [a, m[0].length];
    },
  },
  { // <https://autolink>
    first: '<',
    re: /<((?:https?:\/\/|mailto:)[^\s<>]+)>/y,
    build: (m) => {
      const href = safeUrl(m[1]);
      return href ? [extLink(href, m[1]), m[0].length] : null;
    },
  },
  { // bare URL
    first: 'hm',
    boundary: true,
    re: /(?:https?:\/\/|mailto:)[^\s<>"]+/y,
    build: (m) => {
      const url = trimUrl(m[0]);
      const href = safeUrl(url);
      return href && url.length > 8 ? [extLink(href, url), url.length] : null;
    },
  },
  { // ***bold italic***
    first: '*_',
    boundary: true,
    re: /(\*\*\*|___)(?=\S)([\s\S]*?\S)\1/y,
    build: (m, depth) => {
      const em = h('em');
      inline(m[2], em, depth + 1);
      return [h('strong', null, em), m[0].length];
    },
  },
  { // **bold** / __bold__
    first: '*_',
    boundary: true,
    re: /(\*\*|__)(?=\S)([\s\S]*?\S)\1/y,
    build: (m, depth) => {
      const el = h('strong');
      inline(m[2], el, depth + 1);
      return [el, m[0].length];
    },
  },
  { // *italic* / _italic_
    first: '*_',
    boundary: true,
    re: /([*_])(?=[^\s*_])([\s\S]*?[^\s*_])\1(?![A-Za-z0-9])/y,
    build: (m, depth) => {
      const el = h('em');
      inline(m[2], el, depth + 1);
      return [el, m[0].length];
    },
  },
];

function inline(text, parent, depth) {
  let buf = '';
  const flush = () => {
    if (buf) { parent.append(document.createTextNode(buf)); buf = ''; }
  };
  if (depth > 6) { parent.append(document.createTextNode(text)); return; }
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    let done = false;
    for (const rule of RULES) {
      if (!rule.first.includes(ch)) continue;
      // "snake_case" and "http" inside a word are not markup.
      if (rule.boundary && i > 0 && /[A-Za-z0-9]/.test(text[i - 1])) continue;
      rule.re.lastIndex = i;
      const m = rule.re.exec(text);
      if (!m) continue;
      const out = rule.build(m, depth);
      if (!out) continue;
      flush();
      parent.append(out[0]);
      i += out[1];
      done = true;
      break;
    }
    if (!done) { buf += ch; i++; }
  }
  flush();
}
