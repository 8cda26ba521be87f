// Safe markdown for chat bubbles.
//
// parse() turns text into a tiny AST; render() builds DOM from it with
// createElement + text nodes only — never innerHTML — so bot, agent and
// knowledge-base text can never inject markup. Supported: paragraphs with line
// breaks, headings (shown as bold lines), **bold**, *italic*, `code`, fenced
// code blocks, bullet and numbered lists, > quotes, [links](url) and bare
// URLs. Links are kept only for http, https and mailto; anything else is
// rendered as the literal text that was written.

const FENCE = /^\s{0,3}(```|~~~)/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const UL = /^\s*[-*+]\s+(.*)$/;
const OL = /^\s*(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const BLANK = /^\s*$/;

const startsBlock = (l) => FENCE.test(l) || HEADING.test(l) || UL.test(l) || OL.test(l) || QUOTE.test(l);

/** Parse markdown text into blocks: {t:'p'|'h', c}, {t:'ul'|'ol', items, start}, {t:'pre', v}, {t:'quote', c}. */
export function parse(text, depth = 0) {
  const lines = String(text == null ? '' : text).replace(/\r\n?/g, '\n').split('\n');
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (BLANK.test(line)) { i++; continue; }
    let m;
    if ((m = FENCE.exec(line))) {
      const fence = m[1];
      const body = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence)) body.push(lines[i++]);
      i++; // closing fence (or end of text)
      out.push({ t: 'pre', v: body.join('\n') });
    } else if ((m = HEADING.exec(line))) {
      out.push({ t: 'h', c: inline(m[1]) });
      i++;
    } else if (depth < 3 && QUOTE.test(line)) {
      const body = [];
      while (i < lines.length && (m = QUOTE.exec(lines[i]))) { body.push(m[1]); i++; }
      out.push({ t: 'quote', c: parse(body.join('\n'), depth + 1) });
    } else if (UL.test(line) || OL.test(line)) {
      const ordered = !UL.test(line);
      const re = ordered ? OL : UL;
      const items = [];
      const start = ordered ? parseInt(OL.exec(line)[1], 10) : 1;
      while (i < lines.length) {
        const l = lines[i];
        if ((m = re.exec(l))) { items.push(m[ordered ? 2 : 1]); i++; continue; }
        if (BLANK.test(l)) {
          // A blank line inside a list continues it only if another item follows.
          let j = i + 1;
          while (j < lines.length && BLANK.test(lines[j])) j++;
          if (j < lines.length && re.test(lines[j])) { i = j; continue; }
          break;
        }
        if (startsBlock(l)) break;
        items[items.length - 1] += '\n' + l.trim(); // lazy continuation line
        i++;
      }
      out.push({ t: ordered ? 'ol' : 'ul', start, items: items.map((s) => inline(s)) });
    } else {
      const body = [line];
      i++;
      while (i < lines.length && !BLANK.test(lines[i]) && !startsBlock(lines[i])) body.push(lines[i++]);
      out.push({ t: 'p', c: inline(body.join('\n')) });
    }
  }
  return out;
}

// Alternatives, in priority order at the same position:
// 1 code span, 2/3 [text](url), 4 **bold**, 5 __bold__, 6 *italic*, 7 _italic_,
// 8 bare http(s) URL, 9 bare mailto:, 10 newline.
const INLINE = new RegExp([
  '`([^`\\n]+)`',
  '\\[([^\\]\\n]+)\\]\\(\\s*<?([^\\s()<>]+(?:\\([^\\s()<>]*\\))?)>?(?:\\s+"[^"\\n]*")?\\s*\\)',
  '\\*\\*(?=\\S)([\\s\\S]*?\\S)\\*\\*',
  '__(?=\\S)([\\s\\S]*?\\S)__',
  '\\*(?=[^\\s*])([\\s\\S]*?[^\\s*])\\*',
  '_(?=[^\\s_])([\\s\\S]*?[^\\s_])_(?![A-Za-z0-9_])',
  '(https?:\\/\\/[^\\s<>"]*[^\\s<>".,:;!?\'")\\]])',
  '(mailto:[^\\s<>"]+@[^\\s<>"]*[^\\s<>".,:;!?\'")\\]])',
  '(\\n)',
].join('|'), 'g');

/** Return an http/https/mailto URL string, or null when the link must not be clickable. */
export function safeUrl(raw) {
  let url;
  try { url = new URL(String(raw).trim()); } catch (e) { return null; }
  return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:' ? url.href : null;
}

/** Parse inline markdown into nodes: {t:'text', v}, {t:'br'}, {t:'b'|'i', c}, {t:'code', v}, {t:'a', href, c}. */
export function inline(text, depth = 0) {
  const out = [];
  const pushText = (v) => {
    if (!v) return;
    const last = out[out.length - 1];
    if (last && last.t === 'text') last.v += v; else out.push({ t: 'text', v });
  };
  const re = new RegExp(INLINE.source, 'g');
  let pos = 0;
  let m;
  while ((m = re.exec(text))) {
    const at = m.index;
    const prev = at > 0 ? text[at - 1] : '';
    // snake_case and 2*3*4 are not emphasis: underscores/stars glued to a word char on the left.
    if ((m[7] !== undefined && /[A-Za-z0-9_]/.test(prev)) || (depth > 4 && m[10] === undefined && m[1] === undefined)) {
      re.lastIndex = at + 1;
      continue;
    }
    pushText(text.slice(pos, at));
    pos = re.lastIndex;
    if (m[1] !== undefined) out.push({ t: 'code', v: m[1] });
    else if (m[2] !== undefined) {
      const href = safeUrl(m[3]);
      if (href) out.push({ t: 'a', href, c: inline(m[2], depth + 1).filter((n) => n.t !== 'a') });
      else pushText(m[0]);
    } else if (m[4] !== undefined || m[5] !== undefined) out.push({ t: 'b', c: inline(m[4] !== undefined ? m[4] : m[5], depth + 1) });
    else if (m[6] !== undefined || m[7] !== undefined) out.push({ t: 'i', c: inline(m[6] !== undefined ? m[6] : m[7], depth + 1) });
    else if (m[8] !== undefined || m[9] !== undefined) {
      const raw = m[8] !== undefined ? m[8] : m[9];
      const href = safeUrl(raw);
      if (href) out.push({ t: 'a', href, c: [{ t: 'text', v: raw.replace(/^mailto:/, '') }] });
      else pushText(raw);
    } else out.push({ t: 'br' });
  }
  pushText(text.slice(pos));
  return out;
}

function renderInline(nodes, parent) {
  for (const n of nodes) {
    let el;
    if (n.t === 'text') { parent.appendChild(document.createTextNode(n.v)); continue; }
    if (n.t === 'br') el = document.createElement('br');
    else if (n.t === 'code') { el = document.createElement('code'); el.textContent = n.v; }
    else if (n.t === 'a') {
      el = document.createElement('a');
      el.href = n.href;
      el.target = '_blank';
      el.rel = 'noopener noreferrer nofollow';
      renderInline(n.c, el);
    } else {
      el = document.createElement(n.t === 'b' ? 'strong' : 'em');
      renderInline(n.c, el);
    }
    parent.appendChild(el);
  }
}

function renderBlocks(blocks, parent) {
  for (const b of blocks) {
    let el;
    if (b.t === 'pre') {
      el = document.createElement('pre');
      const code = document.createElement('code');
      code.textContent = b.v;
      el.appendChild(code);
    } else if (b.t === 'ul' || b.t === 'ol') {
      el = document.createElement(b.t);
      if (b.t === 'ol' && b.start !== 1) el.start = b.start;
      for (const item of b.items) {
        const li = document.createElement('li');
        renderInline(item, li);
        el.appendChild(li);
      }
    } else if (b.t === 'quote') {
      el = document.createElement('blockquote');
      renderBlocks(b.c, el);
    } else {
      el = document.createElement('p');
      if (b.t === 'h') {
        const s = document.createElement('strong');
        renderInline(b.c, s);
        el.appendChild(s);
      } else renderInline(b.c, el);
    }
    parent.appendChild(el);
  }
}

/** Render markdown text into a DocumentFragment built from DOM nodes only. */
export function render(text) {
  const frag = document.createDocumentFragment();
  renderBlocks(parse(text), frag);
  return frag;
}
