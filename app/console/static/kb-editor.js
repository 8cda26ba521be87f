// One article: edit (Markdown with a live, safe preview), publish/unpublish, delete,
// version history with diffs and restore, and "try a question" against this draft.

import { h, icon, longTime, timeEl, toast } from './dom.js';
import { kb } from './kb-api.js';
import { renderArticle } from './kb-markdown.js';
import { createTryPanel } from './kb-try.js';
import { kbIcon } from './kb-icons.js';

export function statusPillFor(a) {
  if (a.status === 'published' && a.has_unpublished_changes) {
    return h('span', { class: 'pill pill--changed', 'data-status': 'changed' }, h('span', { class: 'pill-dot' }), 'Published · edited');
  }
  if (a.status === 'published') return h('span', { class: 'pill pill--published', 'data-status': 'published' }, h('span', { class: 'pill-dot' }), 'Published');
  return h('span', { class: 'pill pill--draft', 'data-status': 'draft' }, h('span', { class: 'pill-dot' }), 'Draft');
}

function parseTags(text) {
  return [...new Set(String(text).split(',').map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

/**
 * @param {{article: object|null, canEdit: boolean, onSaved: (a) => void, onDeleted: (id) => void, onBack: () => void}} o
 */
export function createEditor({ article, canEdit, onSaved, onDeleted, onBack }) {
  let art = article; // null for a new article
  let dirty = false;

  // ---- header ----
  const back = h('button', { type: 'button', class: 'icon-btn kb-back', 'aria-label': 'Back to articles' }, icon('back', 20));
  back.addEventListener('click', () => { if (!dirty || confirm('Discard your unsaved changes?')) onBack(); });
  const heading = h('h2', { class: 'kb-editor-title', tabindex: '-1' });
  const meta = h('div', { class: 'kb-editor-meta' });
  const saveBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'kb-save' }, h('span', { class: 'spinner' }), h('span', null, 'Save draft'));
  const publishBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'kb-publish' }, h('span', { class: 'spinner' }), h('span', null, 'Publish'));
  const unpublishBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'kb-unpublish' }, 'Unpublish');
  const deleteBtn = h('button', { type: 'button', class: 'icon-btn kb-danger', 'aria-label': 'Delete article', title: 'Delete article', 'data-testid': 'kb-delete' }, kbIcon('trash', 18));
  const actions = h('div', { class: 'kb-editor-actions' }, canEdit ? [deleteBtn, unpublishBtn, saveBtn, publishBtn] : []);
  const header = h('header', { class: 'kb-editor-header' }, back, h('div', { class: 'kb-editor-heading' }, heading, meta), actions);

  // ---- form ----
  const title = h('input', { class: 'kb-input kb-title-input', id: 'kb-title', maxlength: '300', 'data-testid': 'kb-title', placeholder: 'Article title', readonly: !canEdit });
  const slug = h('input', { class: 'kb-input', id: 'kb-slug', maxlength: '200', 'data-testid': 'kb-slug', placeholder: 'from-the-title', pattern: '[a-z0-9]+(-[a-z0-9]+)*', readonly: !canEdit || Boolean(art) });
  const tags = h('input', { class: 'kb-input', id: 'kb-tags', 'data-testid': 'kb-tags', placeholder: 'returns, shipping', readonly: !canEdit });
  const lang = h('input', { class: 'kb-input kb-lang', id: 'kb-lang', maxlength: '10', value: 'en', 'data-testid': 'kb-lang', readonly: !canEdit });
  const body = h('textarea', { class: 'kb-body-input', id: 'kb-body', 'data-testid': 'kb-body', spellcheck: 'true', placeholder: 'Write the answer in Markdown: ## headings split the article into passages the bot can retrieve.', readonly: !canEdit });
  const preview = h('div', { class: 'kb-preview md', 'data-testid': 'kb-preview', 'aria-label': 'Preview' });
  const viewName = `kb-view-${Math.random().toString(36).slice(2, 8)}`;
  // Side by side needs room; narrower screens switch between writing and previewing.
  const initialView = window.matchMedia('(max-width: 1099px)').matches ? 'write' : 'split';
  const views = [['split', 'Split'], ['write', 'Write'], ['preview', 'Preview']].map(([v, label]) =>
    h('label', { class: `kb-seg-item kb-seg-item--${v}` }, h('input', { type: 'radio', name: viewName, value: v, checked: v === initialView, 'data-testid': `kb-view-${v}` }), h('span', null, label)));
  const viewSeg = h('div', { class: 'kb-seg kb-seg--sm', role: 'radiogroup', 'aria-label': 'Editor view' }, views);
  const workspace = h('div', { class: 'kb-workspace', 'data-view': initialView },
    h('div', { class: 'kb-pane-write' }, h('label', { class: 'visually-hidden', for: 'kb-body' }, 'Body (Markdown)'), body),
    h('div', { class: 'kb-pane-preview' }, preview));
  viewSeg.addEventListener('change', (ev) => { workspace.dataset.view = ev.target.value; });
  const field = (label, input, hint) => h('div', { class: 'kb-field' }, h('label', { for: input.id }, label), input, hint ? h('span', { class: 'kb-hint' }, hint) : null);
  const slugHint = h('span', { class: 'kb-hint' });
  const fields = h('div', { class: 'kb-fields' },
    field('Title', title),
    h('div', { class: 'kb-field-row' },
      h('div', { class: 'kb-field' }, h('label', { for: slug.id }, 'Slug'), slug, slugHint),
      field('Tags', tags, 'Comma-separated.'),
      field('Language', lang)));
  const readOnlyNote = canEdit ? null : h('p', { class: 'notice kb-readonly' }, icon('info', 16), 'You can read the knowledge base; support leads and admins edit it.');
  const main = h('div', { class: 'kb-editor-main' }, readOnlyNote, fields, h('div', { class: 'kb-workspace-bar' }, h('span', { class: 'kb-hint' }, 'Markdown · ## starts a section'), viewSeg), workspace);

  // ---- side: try / history ----
  const tryPanel = createTryPanel({
    getDraft: () => ({ slug: (art?.slug || slug.value.trim() || 'new-article'), title: title.value, body: body.value, lang: lang.value || 'en' }),
  });
  const historyEl = h('section', { class: 'kb-history', 'aria-label': 'Version history' });
  const tabTry = h('button', { type: 'button', class: 'kb-tab', role: 'tab', 'aria-selected': 'true', 'data-testid': 'kb-tab-try' }, 'Try a question');
  const tabHistory = h('button', { type: 'button', class: 'kb-tab', role: 'tab', 'aria-selected': 'false', 'data-testid': 'kb-tab-history', disabled: !art }, 'History');
  const side = h('aside', { class: 'kb-side', 'data-tab': 'try' },
    h('div', { class: 'kb-tabs', role: 'tablist' }, tabTry, tabHistory),
    h('div', { class: 'kb-tab-panel kb-tab-panel--try' }, tryPanel.el),
    h('div', { class: 'kb-tab-panel kb-tab-panel--history' }, historyEl));
  const selectTab = (name) => {
    side.dataset.tab = name;
    tabTry.setAttribute('aria-selected', String(name === 'try'));
    tabHistory.setAttribute('aria-selected', String(name === 'history'));
    if (name === 'history') loadHistory();
  };
  tabTry.addEventListener('click', () => selectTab('try'));
  tabHistory.addEventListener('click', () => selectTab('history'));

  const el = h('div', { class: 'kb-editor', 'data-testid': 'kb-editor' }, header, h('div', { class: 'kb-editor-body' }, main, side));

  // ---- state → DOM ----
  function fill(a) {
    title.value = a?.title || '';
    slug.value = a?.slug || '';
    tags.value = (a?.tags || []).join(', ');
    lang.value = a?.lang || 'en';
    body.value = a?.body || '';
    slug.readOnly = !canEdit || Boolean(a);
    slugHint.textContent = a ? 'Fixed once created (links stay valid).' : 'Empty: made from the title.';
    dirty = false;
    renderPreview();
    renderHeader();
  }

  function renderHeader() {
    heading.textContent = art ? art.title : 'New article';
    const bits = [];
    if (art) {
      bits.push(statusPillFor(art));
      bits.push(h('span', null, `v${art.version}`));
      if (art.published_version) bits.push(h('span', null, `live: v${art.published_version}`));
      bits.push(h('span', null, 'saved ', timeEl(art.updated_at, { long: true })));
      if (art.url) bits.push(h('a', { href: art.url, target: '_blank', rel: 'noopener', class: 'kb-live-link' }, 'View on help centre', icon('external', 12)));
    } else bits.push(h('span', { class: 'pill pill--draft' }, h('span', { class: 'pill-dot' }), 'Not saved yet'));
    if (dirty) bits.push(h('span', { class: 'kb-unsaved', 'data-testid': 'kb-unsaved' }, 'Unsaved changes'));
    meta.replaceChildren(...bits);
    const live = art?.status === 'published';
    unpublishBtn.hidden = !live;
    deleteBtn.hidden = !art;
    publishBtn.lastChild.textContent = !art ? 'Save & publish'
      : dirty ? 'Save & publish'
        : live && !art.has_unpublished_changes ? 'Published' : 'Publish';
    publishBtn.disabled = Boolean(art && live && !art.has_unpublished_changes && !dirty);
    saveBtn.disabled = Boolean(art && !dirty);
    tabHistory.disabled = !art;
  }

  let previewTimer = null;
  function renderPreview() {
    preview.replaceChildren(h('h1', { class: 'kb-preview-title' }, title.value || 'Untitled'), renderArticle(body.value));
  }
  const onInput = () => {
    dirty = true;
    renderHeader();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, 120);
  };
  for (const input of [title, tags, lang, body]) input.addEventListener('input', onInput);
  slug.addEventListener('input', onInput);

  // ---- actions ----
  async function busy(btn, fn) {
    btn.classList.add('is-busy');
    btn.disabled = true;
    try { return await fn(); } finally { btn.classList.remove('is-busy'); btn.disabled = false; renderHeader(); }
  }

  function payload() {
    return { title: title.value.trim(), body: body.value, tags: parseTags(tags.value), lang: (lang.value || 'en').trim() };
  }

  function invalid() {
    if (!title.value.trim()) { title.focus(); toast('Give the article a title.', 'error'); return true; }
    if (!body.value.trim()) { body.focus(); toast('Write the article text first.', 'error'); return true; }
    if (!art && slug.value && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug.value)) { slug.focus(); toast('Slugs use lowercase letters, digits and dashes.', 'error'); return true; }
    return false;
  }

  async function save(publish) {
    if (invalid()) return;
    try {
      let saved;
      if (!art) saved = await kb.create({ ...payload(), slug: slug.value.trim() || null, publish });
      else if (dirty) saved = await kb.update(art.id, { ...payload(), base_version: art.version, publish });
      else saved = await kb.publish(art.id);
      const created = !art;
      art = saved;
      fill(art);
      onSaved(art, { created });
      toast(publish ? 'Published — the bot answers from it now.' : 'Draft saved.', 'success');
      if (side.dataset.tab === 'history') loadHistory();
    } catch (err) {
      toast(err.status === 409 ? err.detail : `Couldn’t save: ${err.detail || err.message}`, 'error', 8000);
    }
  }
  saveBtn.addEventListener('click', () => busy(saveBtn, () => save(false)));
  publishBtn.addEventListener('click', () => busy(publishBtn, () => save(true)));
  unpublishBtn.addEventListener('click', () => busy(unpublishBtn, async () => {
    if (!confirm('Unpublish this article? The bot stops using it and its help-centre page disappears.')) return;
    try {
      art = await kb.unpublish(art.id);
      fill(art);
      onSaved(art, {});
      toast('Unpublished.', 'success');
    } catch (err) { toast(err.detail || err.message, 'error'); }
  }));
  deleteBtn.addEventListener('click', async () => {
    if (!confirm(`Delete “${art.title}” and its whole history? This cannot be undone.`)) return;
    try {
      await kb.remove(art.id);
      dirty = false;
      toast('Article deleted.', 'success');
      onDeleted(art.id);
    } catch (err) { toast(err.detail || err.message, 'error'); }
  });

  // ---- history ----
  let historySeq = 0;
  async function loadHistory(selected = null) {
    if (!art) return;
    const mine = ++historySeq;
    historyEl.replaceChildren(h('p', { class: 'kb-muted' }, 'Loading history…'));
    try {
      const versions = await kb.versions(art.id);
      if (mine !== historySeq) return;
      const list = h('ol', { class: 'kb-versions', 'data-testid': 'kb-versions' });
      const detail = h('div', { class: 'kb-version-detail' });
      const show = async (v, row) => {
        for (const r of list.children) r.classList.toggle('is-selected', r === row);
        detail.replaceChildren(h('p', { class: 'kb-muted' }, 'Loading…'));
        try {
          const d = await kb.version(art.id, v.number);
          detail.replaceChildren(renderVersion(d));
        } catch (err) { detail.replaceChildren(h('p', { class: 'kb-error' }, err.detail || err.message)); }
      };
      for (const v of versions) {
        const row = h('li', { class: 'kb-version' },
          h('button', { type: 'button', class: 'kb-version-btn', 'data-testid': `kb-version-${v.number}` },
            h('span', { class: 'kb-version-no' }, `v${v.number}`),
            h('span', { class: 'kb-version-main' },
              h('span', { class: 'kb-version-note' }, v.note || 'saved'),
              h('span', { class: 'kb-muted' }, `${v.author_name || 'Parley'} · `, h('time', { datetime: v.created_at, title: longTime(v.created_at) }, longTime(v.created_at)))),
            v.is_published ? h('span', { class: 'pill pill--published' }, 'Live') : null,
            v.is_head && !v.is_published ? h('span', { class: 'pill' }, 'Current') : null));
        row.firstChild.addEventListener('click', () => show(v, row));
        list.append(row);
      }
      historyEl.replaceChildren(list, detail);
      const first = versions.find((v) => v.number === selected) || versions[0];
      if (first) show(first, list.children[versions.indexOf(first)]);
    } catch (err) {
      if (mine === historySeq) historyEl.replaceChildren(h('p', { class: 'kb-error' }, err.detail || err.message));
    }
  }

  function renderVersion(d) {
    const diff = h('pre', { class: 'kb-diff', 'data-testid': 'kb-diff' },
      (d.diff.length ? d.diff : ['(no changes)']).map((line) => {
        const cls = line.startsWith('+++') || line.startsWith('---') ? 'is-file'
          : line.startsWith('@@') ? 'is-hunk' : line.startsWith('+') ? 'is-add' : line.startsWith('-') ? 'is-del' : '';
        return h('span', { class: `kb-diff-line ${cls}` }, `${line}\n`);
      }));
    const restore = canEdit && !d.is_head
      ? h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'kb-restore' }, icon('refresh', 14), `Restore v${d.number}`)
      : null;
    restore?.addEventListener('click', () => busy(restore, async () => {
      if (dirty && !confirm('Restoring replaces your unsaved changes. Continue?')) return;
      try {
        art = await kb.restore(art.id, d.number);
        fill(art);
        onSaved(art, {});
        toast(`Version ${d.number} restored as v${art.version}. Publish to put it live.`, 'success', 7000);
        loadHistory(art.version);
      } catch (err) { toast(err.detail || err.message, 'error'); }
    }));
    return h('div', null,
      h('div', { class: 'kb-version-head' },
        h('strong', null, d.compared_to ? `v${d.compared_to} → v${d.number}` : `v${d.number} (first version)`), restore),
      diff);
  }

  fill(art);
  return {
    el,
    get dirty() { return dirty; },
    focus() { (art ? heading : title).focus({ preventScroll: true }); },
    showHistory() { selectTab('history'); },
  };
}
