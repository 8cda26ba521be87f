// Knowledge base section of the console: article list with search and filters, the editor,
// import, the gap report and "try a question". Routes (in the URL hash):
//   #/kb            articles + try a question      #/kb/new      a new article
//   #/kb/a/<id>     one article                    #/kb/gaps     the gap report

import { h, icon, timeEl, toast } from './dom.js';
import { kb } from './kb-api.js';
import { createEditor, statusPillFor } from './kb-editor.js';
import { createGaps } from './kb-gaps.js';
import { kbIcon } from './kb-icons.js';
import { openImportDialog } from './kb-import.js';
import { createTryPanel } from './kb-try.js';

const FILTERS = [['', 'All', 'all'], ['published', 'Published', 'published'], ['draft', 'Drafts', 'draft'], ['changed', 'Edited', 'changed']];

export function isKbRoute(hash) {
  return /^#\/kb(\/|$)/.test(hash || '');
}

export function createKnowledgeBase({ getMe }) {
  const canEdit = () => ['lead', 'admin'].includes(getMe()?.role);
  const state = { q: '', status: '', tag: '', items: [], counts: {}, tags: [], route: null, selectedId: null, editor: null };

  // ---- nav section (placed in the console's nav by app.js) ----
  const navArticles = h('a', { class: 'nav-item', href: '#/kb', 'data-view': 'kb', title: 'Knowledge base' },
    kbIcon('book', 18, 'nav-icon'), h('span', { class: 'nav-label' }, 'Articles'), h('span', { class: 'nav-count', 'data-testid': 'kb-count' }));
  const navGaps = h('a', { class: 'nav-item', href: '#/kb/gaps', 'data-view': 'kb-gaps', title: 'Knowledge gaps' },
    kbIcon('gap', 18, 'nav-icon'), h('span', { class: 'nav-label' }, 'Gaps'), h('span', { class: 'nav-count' }));
  const navSection = h('div', { class: 'kb-nav' },
    h('div', { class: 'nav-section-label' }, 'Knowledge'),
    h('ul', { class: 'nav-views', role: 'list' }, h('li', null, navArticles), h('li', null, navGaps)));

  // ---- list pane ----
  const search = h('input', { type: 'search', class: 'kb-input kb-search', placeholder: 'Search articles', 'aria-label': 'Search articles', 'data-testid': 'kb-search' });
  const filterBtns = FILTERS.map(([value, label, key]) => {
    const count = h('span', { class: 'kb-filter-count' });
    const b = h('button', { type: 'button', class: 'kb-filter', 'aria-pressed': String(value === ''), 'data-filter': key, 'data-testid': `kb-filter-${key}` }, label, count);
    b.addEventListener('click', () => { state.status = value; for (const x of filterBtns) x.setAttribute('aria-pressed', String(x === b)); loadList(); });
    b._count = count;
    return b;
  });
  const tagSelect = h('select', { class: 'kb-select', 'aria-label': 'Tag', 'data-testid': 'kb-tag' }, h('option', { value: '' }, 'All tags'));
  tagSelect.addEventListener('change', () => { state.tag = tagSelect.value; loadList(); });
  const newBtn = h('a', { class: 'btn btn-primary btn-sm', href: '#/kb/new', 'data-testid': 'kb-new' }, kbIcon('plus', 14), 'New');
  const importBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'kb-import' }, kbIcon('upload', 14), 'Import');
  importBtn.addEventListener('click', () => openImportDialog({
    onDone: () => loadList(),
    onOpenArticle: (id) => { location.hash = `#/kb/a/${id}`; },
  }));
  const tryLink = h('a', { class: 'btn btn-secondary btn-sm kb-try-link', href: '#/kb/try' }, 'Try the bot');
  const subtitle = h('span', { class: 'list-subtitle', 'data-testid': 'kb-total' });
  const listEl = h('ul', { class: 'kb-list', role: 'list', 'aria-label': 'Articles', 'data-testid': 'kb-list' });
  const listState = h('div', { class: 'list-state', role: 'status' });
  const listPane = h('section', { class: 'kb-list-pane', 'aria-label': 'Articles' },
    h('header', { class: 'list-header kb-list-header' }, h('h1', { class: 'list-title' }, 'Knowledge base'), subtitle),
    h('div', { class: 'kb-toolbar' },
      h('div', { class: 'kb-search-wrap' }, kbIcon('search', 16, 'kb-search-icon'), search),
      h('div', { class: 'kb-toolbar-row' }, h('div', { class: 'kb-filters', role: 'group', 'aria-label': 'Status' }, filterBtns)),
      h('div', { class: 'kb-toolbar-row' }, tagSelect, h('span', { class: 'kb-spacer' }), tryLink, importBtn, newBtn)),
    h('div', { class: 'list-scroll' }, listEl, listState));

  const detail = h('section', { class: 'kb-detail', 'aria-live': 'polite' });
  const el = h('div', { class: 'kb-shell', 'data-pane': 'list', 'data-testid': 'kb' }, listPane, detail);

  let searchTimer = null;
  search.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => { state.q = search.value.trim(); loadList(); }, 200); });

  // ---- list ----
  let listSeq = 0;
  async function loadList() {
    const mine = ++listSeq;
    try {
      const res = await kb.list({ q: state.q, status: state.status, tag: state.tag, limit: 500 });
      if (mine !== listSeq) return;
      state.items = res.items;
      state.counts = res.counts;
      state.tags = res.tags;
      renderList(res.total);
    } catch (err) {
      if (mine === listSeq && err.status !== 401) listState.textContent = err.detail || err.message;
    }
  }

  function renderList(total) {
    const c = state.counts || {};
    subtitle.textContent = `${c.published ?? 0} live · ${c.draft ?? 0} drafts`;
    navArticles.querySelector('.nav-count').textContent = c.all != null ? String(c.all) : '';
    for (const b of filterBtns) b._count.textContent = String(c[b.dataset.filter] ?? '');
    const current = tagSelect.value;
    tagSelect.replaceChildren(h('option', { value: '' }, 'All tags'), ...state.tags.map((t) => h('option', { value: t, selected: t === current }, t)));
    listEl.replaceChildren(...state.items.map((a) => {
      const link = h('a', { class: 'kb-item', href: `#/kb/a/${a.id}`, 'data-id': String(a.id), 'aria-current': String(a.id) === String(state.selectedId) ? 'true' : null },
        h('span', { class: 'kb-item-line' }, h('span', { class: 'kb-item-title' }, a.title), statusPillFor(a)),
        h('span', { class: 'kb-item-excerpt' }, a.excerpt),
        h('span', { class: 'kb-item-meta' },
          h('span', { class: 'kb-item-slug' }, `/${a.slug}`),
          a.tags.slice(0, 3).map((t) => h('span', { class: 'kb-tag' }, t)),
          h('span', { class: 'kb-spacer' }), timeEl(a.updated_at)));
      return h('li', null, link);
    }));
    listState.textContent = state.items.length ? '' : (state.q || state.status || state.tag ? 'No article matches.' : 'No articles yet. Create one or import your help centre.');
    if (total > state.items.length) listState.textContent = `Showing ${state.items.length} of ${total}.`;
  }

  function markSelected() {
    for (const a of listEl.querySelectorAll('.kb-item')) {
      if (a.dataset.id === String(state.selectedId)) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    }
  }

  // ---- detail views ----
  function showHome(onPhone = false) {
    state.selectedId = null;
    markSelected();
    state.editor = null;
    const tryPanel = createTryPanel();
    detail.replaceChildren(h('div', { class: 'kb-home' },
      h('header', { class: 'kb-page-head' },
        h('div', null,
          h('h2', { class: 'kb-page-title' }, 'Try the bot'),
          h('p', { class: 'kb-muted' }, 'See what visitors get: only published articles answer them. Switch to “Include drafts” to test changes before you publish.'))),
      h('div', { class: 'kb-home-try' }, tryPanel.el),
      canEdit() ? null : h('p', { class: 'notice' }, icon('info', 16), 'You can read and test the knowledge base; support leads and admins edit it.')));
    el.dataset.pane = onPhone ? 'detail' : 'list';
    if (onPhone) detail.querySelector('.kb-home')?.prepend(h('a', { class: 'btn btn-secondary btn-sm kb-home-back', href: '#/kb' }, icon('back', 14), 'Articles'));
  }

  async function showArticle(id) {
    state.selectedId = id;
    markSelected();
    el.dataset.pane = 'detail';
    detail.replaceChildren(h('div', { class: 'conv-loading' }, h('span', { class: 'spinner spinner--dark' })));
    try {
      const art = await kb.get(id);
      if (String(state.selectedId) !== String(id)) return;
      mountEditor(art);
    } catch (err) {
      detail.replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, err.status === 404 ? 'This article no longer exists' : 'Couldn’t load the article'),
        h('p', { class: 'empty-text' }, err.status === 404 ? 'It may have been deleted.' : (err.detail || err.message)),
        h('a', { class: 'btn btn-secondary', href: '#/kb' }, 'Back to articles')));
    }
  }

  function mountEditor(art) {
    state.editor = createEditor({
      article: art,
      canEdit: canEdit(),
      onSaved: (saved, { created } = {}) => {
        state.selectedId = saved.id;
        if (created) history.replaceState(null, '', `#/kb/a/${saved.id}`);
        loadList();
      },
      onDeleted: () => { state.editor = null; location.hash = '#/kb'; loadList(); },
      onBack: () => { state.editor = null; location.hash = '#/kb'; },
    });
    detail.replaceChildren(state.editor.el);
    state.editor.focus();
  }

  function showNew() {
    if (!canEdit()) { location.hash = '#/kb'; return; }
    state.selectedId = null;
    markSelected();
    el.dataset.pane = 'detail';
    mountEditor(null);
  }

  function showGaps() {
    state.selectedId = null;
    state.editor = null;
    markSelected();
    el.dataset.pane = 'gaps';
    const gaps = createGaps({ canEdit: canEdit(), onOpenArticle: (id) => { location.hash = `#/kb/a/${id}`; loadList(); } });
    detail.replaceChildren(gaps.el);
  }

  // ---- routing ----
  function route(hash) {
    const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    const [, kind, id] = parts;
    navArticles.toggleAttribute('aria-current', kind !== 'gaps');
    if (kind !== 'gaps') navArticles.setAttribute('aria-current', 'page'); else navArticles.removeAttribute('aria-current');
    if (kind === 'gaps') navGaps.setAttribute('aria-current', 'page'); else navGaps.removeAttribute('aria-current');
    importBtn.hidden = !canEdit();
    newBtn.hidden = !canEdit();
    document.title = kind === 'gaps' ? 'Knowledge gaps · Parley' : 'Knowledge base · Parley';
    if (kind === 'a' && /^\d+$/.test(id || '')) showArticle(id);
    else if (kind === 'new') showNew();
    else if (kind === 'gaps') showGaps();
    else showHome(kind === 'try');
  }

  const beforeUnload = (ev) => { if (state.editor?.dirty) { ev.preventDefault(); ev.returnValue = ''; } };
  window.addEventListener('beforeunload', beforeUnload);

  return {
    el,
    navSection,
    route,
    refresh: loadList,
    deactivate() {
      navArticles.removeAttribute('aria-current');
      navGaps.removeAttribute('aria-current');
    },
    destroy() { window.removeEventListener('beforeunload', beforeUnload); },
    load: loadList,
    toast,
  };
}
