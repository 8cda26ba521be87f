// Article preview: headings and tables on top of the console's safe Markdown renderer.
// Everything is built as DOM nodes; no text is ever parsed as HTML.

import { h } from './dom.js';
import { renderMarkdown } from './markdown.js';

const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}/;
const FENCE = /^\s{0,3}(`{3,}|~{3,})/;

function inlineInto(el, text) {
  // Reuse the block renderer for inline markup, then unwrap its paragraph.
  const frag = renderMarkdown(text);
  const p = frag.firstChild;
  if (p && p.nodeName === 'P') el.append(...p.childNodes);
  else el.append(frag);
  return el;
}

function cells(row) {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

export function renderArticle(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src ?? '').replace(/\r\n?/g, '\n').split('\n');
  let buf = [];
  let inFence = false;
  const flush = () => {
    if (buf.length) frag.append(renderMarkdown(buf.join('\n')));
    buf = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) { buf.push(line); continue; }
    const m = line.match(HEADING);
    if (m) {
      flush();
      const level = Math.min(6, Math.max(2, m[1].length)); // the preview title is the h1
      frag.append(inlineInto(h(`h${level}`, { class: 'kb-md-h' }), m[2]));
      continue;
    }
    if (line.trim().startsWith('|') && TABLE_RULE.test(lines[i + 1] || '')) {
      flush();
      const head = cells(line);
      const table = h('table', { class: 'kb-md-table' });
      const thead = h('thead', null, h('tr', null, head.map((c) => inlineInto(h('th'), c))));
      const tbody = h('tbody');
      i += 2;
      while (i < lines.length && lines[i].trim().startsWith('|')) {
        tbody.append(h('tr', null, cells(lines[i]).map((c) => inlineInto(h('td'), c))));
        i++;
      }
      i--;
      table.append(thead, tbody);
      frag.append(h('div', { class: 'kb-md-table-wrap' }, table));
      continue;
    }
    buf.push(line);
  }
  flush();
  return frag;
}
