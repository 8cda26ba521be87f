// Canned responses in the composer: "/" at the start of the composer (or "/ref") opens a
// keyboard-navigable list filtered by shortcut and title; picking one fills the composer
// with its text, placeholders ({{visitor.name}}, {{visitor.email}}, {{agent.name}}…)
// already filled by the server for this conversation.

import { request } from './api.js';
import { h, plainPreview, toast } from './dom.js';
import { createSuggest } from './suggest.js';

const enc = encodeURIComponent;
export const cannedApi = {
  list: (params = {}) => {
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v != null && v !== '').map(([k, v]) => [k, String(v)]));
    return request('GET', `/api/v1/canned-responses${q.size ? `?${q}` : ''}`);
  },
  get: (id) => request('GET', `/api/v1/canned-responses/${enc(id)}`),
  create: (body) => request('POST', '/api/v1/canned-responses', body),
  update: (id, body) => request('PATCH', `/api/v1/canned-responses/${enc(id)}`, body),
  remove: (id) => request('DELETE', `/api/v1/canned-responses/${enc(id)}`),
  render: (id, conversationId) => request('GET', `/api/v1/canned-responses/${enc(id)}/render?conversation_id=${enc(conversationId)}`),
};

// The responses offered in my composer, fetched once and again after a minute or a change.
let cache = null;
let cachedAt = 0;
let pending = null;
export function invalidateCanned() { cache = null; }
async function usable() {
  if (cache && Date.now() - cachedAt < 60000) return cache;
  pending = pending || cannedApi.list({ usable: true }).then((rows) => {
    cache = Array.isArray(rows) ? rows : [];
    cachedAt = Date.now();
    return cache;
  }).finally(() => { pending = null; });
  try { return await pending; } catch { return cache || []; }
}

/** Shortcut prefix first, then shortcut or title containing the query. */
export function rank(rows, query) {
  const q = query.toLowerCase();
  const scored = [];
  for (const r of rows) {
    const key = r.shortcut.toLowerCase();
    const title = r.title.toLowerCase();
    const score = !q ? 0 : key.startsWith(q) ? 0 : key.includes(q) ? 1 : title.split(/\s+/).some((w) => w.startsWith(q)) ? 2 : title.includes(q) ? 3 : -1;
    if (score >= 0) scored.push([score, r.scope === 'personal' ? 0 : 1, key, r]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2].localeCompare(b[2]));
  return scored.map((x) => x[3]);
}

const SCOPE = { personal: 'Mine', team: 'Team', shared: '' };
/** "{{visitor.first_name}}" reads as "‹visitor first name›" in a one-line preview. */
export const readable = (body) => body.replace(/\{\{\s*([\w.]+)[^}]*\}\}/g, (_, n) => `‹${n.replace(/[._]/g, ' ')}›`);

/** Wire the "/" suggestions into the composer. */
export function attachCanned({ form, input, getConv, isEnabled = () => true }) {
  const footer = h('p', { class: 'suggest-foot' },
    h('span', null, h('kbd', null, '↑'), h('kbd', null, '↓'), ' choose · ', h('kbd', null, 'Enter'), ' insert · ', h('kbd', null, 'Esc'), ' close'),
    h('a', { href: '#/canned', class: 'suggest-manage', tabindex: '-1' }, 'Manage'));
  return createSuggest({
    input, host: form, label: 'Canned responses', testid: 'canned-suggest', footer,
    enabled: () => Boolean(getConv()) && isEnabled(),
    // Only at the very start of the composer: "/" alone, or "/" and a shortcut so far.
    match: (before) => {
      const m = before.match(/^\/([a-z0-9-]{0,32})$/i);
      return m ? { query: m[1], start: 0 } : null;
    },
    items: async (q) => {
      const site = getConv()?.site_id;
      const rows = (await usable()).filter((r) => site == null || r.site_id === site);
      return rank(rows, q).slice(0, 8);
    },
    render: (r) => h('span', { class: 'suggest-row' },
      h('span', { class: 'suggest-key' }, `/${r.shortcut}`),
      h('span', { class: 'suggest-title' }, r.title, SCOPE[r.scope] ? h('span', { class: 'suggest-scope' }, r.scope === 'team' && r.team ? r.team.name : SCOPE[r.scope]) : null),
      h('span', { class: 'suggest-preview' }, plainPreview(readable(r.body), 90))),
    empty: (q) => (q ? `No canned response matches “/${q}”.` : 'No canned responses yet.'),
    pick: async (r, start, end) => {
      const conv = getConv();
      if (!conv) return;
      // Take "/ref" out at once: a quick second Enter must not send it to the visitor.
      const typed = input.value.slice(start, end);
      input.setRangeText('', start, end, 'end');
      let text;
      try {
        text = (await cannedApi.render(r.id, conv.id)).text;
      } catch (err) {
        if (getConv()?.id === conv.id) input.setRangeText(typed, start, start, 'end');
        toast(`Couldn’t insert “/${r.shortcut}”: ${err.detail || err.message}`, 'error');
        return;
      }
      if (getConv()?.id !== conv.id) return;
      // The text goes where "/ref" was; anything typed after it stays.
      input.setRangeText(text, Math.min(start, input.value.length), Math.min(start, input.value.length), 'end');
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.focus();
    },
  });
}
