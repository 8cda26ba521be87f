// Closing in the console: the visitor's rating (CSAT) of a closed conversation, shown in
// the conversation view, and the transcript download (JSON or HTML).

import { session } from './api.js';
import { h, icon, toast } from './dom.js';

const WORDS = ['', 'Very bad', 'Bad', 'Okay', 'Good', 'Great'];

/** The rating banner under the conversation header (hidden until there is a rating). */
export function createCsatBanner() {
  const el = h('div', { class: 'conv-csat', hidden: true, 'data-testid': 'conv-csat', role: 'note' });
  return {
    el,
    render(conv) {
      const c = conv?.csat;
      el.hidden = !c;
      if (!c) { el.replaceChildren(); return; }
      const stars = h('span', { class: 'csat-stars', role: 'img', 'aria-label': `${c.rating} out of 5 stars` },
        [1, 2, 3, 4, 5].map((n) => h('span', { class: n <= c.rating ? 'is-on' : '', 'aria-hidden': 'true' }, '★')));
      el.replaceChildren(
        h('span', { class: 'csat-label' }, 'Visitor rating'),
        stars,
        h('strong', { 'data-testid': 'conv-csat-rating' }, `${c.rating}/5 · ${WORDS[c.rating] || ''}`),
        c.comment ? h('q', { class: 'csat-comment', 'data-testid': 'conv-csat-comment' }, c.comment) : null);
    },
  };
}

async function fetchTranscript(id, format) {
  const res = await fetch(`/api/v1/conversations/${encodeURIComponent(id)}/transcript?format=${format}`, {
    headers: { Authorization: `Bearer ${session.token}` }, cache: 'no-store', credentials: 'same-origin',
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.blob();
}

/** A "Transcript" menu button: download as HTML (readable, email-ready) or JSON. */
export function createTranscriptButton(getConv) {
  const menu = h('div', { class: 'transcript-menu', role: 'menu', hidden: true });
  const btn = h('button', {
    type: 'button', class: 'btn btn-secondary', 'aria-haspopup': 'menu', 'aria-expanded': 'false',
    'data-testid': 'transcript-download', title: 'Download the transcript',
  }, icon('file', 16), h('span', null, 'Transcript'));
  const wrap = h('div', { class: 'transcript-wrap' }, btn, menu);
  const close = (focus) => { menu.hidden = true; btn.setAttribute('aria-expanded', 'false'); if (focus) btn.focus(); };
  for (const [format, label] of [['html', 'Readable document (HTML)'], ['json', 'Data (JSON)']]) {
    const item = h('button', { type: 'button', role: 'menuitem', class: 'transcript-item', 'data-format': format, 'data-testid': `transcript-${format}` }, label);
    item.addEventListener('click', async () => {
      close(true);
      const conv = getConv();
      if (!conv) return;
      try {
        const url = URL.createObjectURL(await fetchTranscript(conv.id, format));
        const a = h('a', { href: url, download: `parley-conversation-${conv.id}.${format}`, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      } catch (err) {
        toast(`Couldn’t download the transcript: ${err.message}`, 'error');
      }
    });
    menu.append(item);
  }
  btn.addEventListener('click', () => {
    const open = menu.hidden;
    menu.hidden = !open;
    btn.setAttribute('aria-expanded', String(open));
    if (open) menu.querySelector('button')?.focus();
  });
  menu.addEventListener('keydown', (ev) => {
    const items = [...menu.querySelectorAll('button')];
    const i = items.indexOf(document.activeElement);
    if (ev.key === 'Escape') { ev.stopPropagation(); close(true); } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      items[(i + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length].focus();
    }
  });
  wrap.addEventListener('focusout', (ev) => { if (!wrap.contains(ev.relatedTarget)) close(false); });
  return wrap;
}
