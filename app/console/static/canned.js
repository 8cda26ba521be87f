// Canned responses page of the console: every agent lists and searches the responses they
// can use; leads and admins write shared and team ones, everyone their personal ones.
// Routes (in the URL hash):  #/canned   #/canned/new   #/canned/<id>
// Everything is rendered with textContent (h()) or the safe Markdown renderer.

import { request } from './api.js';
import { h, icon, relTime, longTime, plainPreview, toast } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { cannedApi, invalidateCanned, readable } from './canned-composer.js';

const MAX_BODY = 5000;
const PLACEHOLDERS = [
  ['{{visitor.name}}', 'Visitor’s name', 'Ada Lovelace'],
  ['{{visitor.first_name}}', 'First name', 'Ada'],
  ['{{visitor.email}}', 'Visitor’s email', 'ada@example.com'],
  ['{{agent.name}}', 'Your name', null],
  ['{{agent.first_name}}', 'Your first name', null],
];
const SCOPES = { personal: 'Personal', shared: 'Shared', team: 'Team' };

const SVG_NS = 'http://www.w3.org/2000/svg';
/** A speech bubble with a slash: "/ shortcut" replies. */
export function cannedIcon(size = 18, cls = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor', 'stroke-width': 2,
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false', class: `icon ${cls}`.trim(),
  })) svg.setAttribute(k, String(v));
  for (const d of ['M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z', 'M13.5 6.5l-3 7']) {
    const p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

export function isCannedRoute(hash) {
  return /^#\/canned(\/|$)/.test(hash || '');
}

/** The body as it would read, placeholders filled with sample values (marked). */
function preview(body, me) {
  const frag = renderMarkdown(body);
  const samples = Object.fromEntries(PLACEHOLDERS.map(([k, , v]) => [k.slice(2, -2), v]));
  samples['agent.name'] = me?.name || 'You';
  samples['agent.first_name'] = (me?.name || 'You').split(/\s+/)[0];
  const walker = document.createTreeWalker(frag, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode);
  const re = /\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\|\s*([^{}]*?)\s*)?\}\}/g;
  for (const node of texts) {
    const s = node.nodeValue;
    if (!re.test(s)) continue;
    re.lastIndex = 0;
    const out = document.createDocumentFragment();
    let last = 0;
    for (const m of s.matchAll(re)) {
      out.append(s.slice(last, m.index));
      const known = m[1] in samples;
      out.append(h('mark', { class: `cr-ph${known ? '' : ' is-unknown'}`, title: known ? m[0] : `Unknown placeholder ${m[0]}` }, known ? samples[m[1]] : m[0]));
      last = m.index + m[0].length;
    }
    out.append(s.slice(last));
    node.replaceWith(out);
  }
  return frag;
}

export function createCanned({ getMe }) {
  const leads = () => ['lead', 'admin'].includes(getMe()?.role);
  const state = { sites: [], siteId: null, teams: [], items: [], query: '', scope: '', dirty: false };

  // ---- nav (placed by app.js, in the strip of sections) ----
  const navLink = h('a', { class: 'nav-item', href: '#/canned', 'data-view': 'canned', 'data-testid': 'nav-canned', title: 'Canned responses' },
    cannedIcon(18, 'nav-icon'), h('span', { class: 'nav-label' }, 'Canned'), h('span', { class: 'nav-count' }));
  const navSection = h('div', { class: 'kb-nav cr-nav' },
    h('div', { class: 'nav-section-label' }, 'Replies'),
    h('ul', { class: 'nav-views', role: 'list' }, h('li', null, navLink)));

  const el = h('div', { class: 'cr-shell', 'data-testid': 'canned' });

  // ---- list ----
  const siteSelect = h('select', { class: 'kb-select', 'aria-label': 'Site', 'data-testid': 'cr-site' });
  siteSelect.addEventListener('change', () => { state.siteId = Number(siteSelect.value); loadList(); });
  const search = h('input', {
    class: 'kb-input cr-search', type: 'search', placeholder: 'Search shortcut, title or text', 'aria-label': 'Search canned responses',
    'data-testid': 'cr-search', autocomplete: 'off', spellcheck: 'false',
  });
  search.addEventListener('input', () => { state.query = search.value; renderList(); });
  const scopeSelect = h('select', { class: 'kb-select', 'aria-label': 'Which responses', 'data-testid': 'cr-scope-filter' },
    h('option', { value: '' }, 'All I can use'), h('option', { value: 'shared' }, 'Shared'), h('option', { value: 'team' }, 'Team'), h('option', { value: 'personal' }, 'Mine'));
  scopeSelect.addEventListener('change', () => { state.scope = scopeSelect.value; renderList(); });
  const count = h('p', { class: 'cr-count', 'aria-live': 'polite', 'data-testid': 'cr-count' });
  const listBody = h('div', { class: 'cr-list-body' });
  const listView = h('section', { class: 'cr-page', 'aria-labelledby': 'cr-title' },
    h('header', { class: 'cr-head' },
      h('div', { class: 'cr-head-text' },
        h('h1', { class: 'cr-title', id: 'cr-title' }, 'Canned responses'),
        h('p', { class: 'cr-lead' }, 'Saved replies. In a conversation, type ', h('kbd', null, '/'), ' at the start of the composer and pick one with the arrow keys.')),
      h('div', { class: 'cr-head-actions' }, siteSelect,
        h('a', { class: 'btn btn-primary', href: '#/canned/new', 'data-testid': 'cr-new' }, icon('message', 16), 'New response'))),
    h('div', { class: 'cr-tools' }, search, scopeSelect), count, listBody);

  async function loadSites() {
    if (state.sites.length) return;
    const [sites, teams] = await Promise.all([request('GET', '/api/v1/sites'), request('GET', '/api/v1/teams').catch(() => [])]);
    state.sites = sites;
    state.teams = teams;
    state.siteId = state.siteId || state.sites[0]?.id || null;
    siteSelect.replaceChildren(...state.sites.map((s) => h('option', { value: String(s.id), selected: s.id === state.siteId }, s.name)));
    siteSelect.hidden = state.sites.length < 2;
  }

  async function loadList() {
    try {
      await loadSites();
      if (state.siteId == null) { listBody.replaceChildren(h('p', { class: 'kb-muted' }, 'No site yet.')); return; }
      state.items = await cannedApi.list({ site_id: state.siteId });
      renderList();
    } catch (err) {
      if (err.status === 401) return;
      listBody.replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, 'Couldn’t load the canned responses'),
        h('p', { class: 'empty-text' }, err.detail || err.message),
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: loadList }, 'Try again')));
    }
  }

  function scopeBadge(r) {
    const text = r.scope === 'team' ? (r.team?.name || 'Team') : r.scope === 'personal' ? 'Mine' : 'Shared';
    return h('span', { class: `cr-scope cr-scope--${r.scope}` }, text);
  }

  function renderList() {
    const words = state.query.toLowerCase().replace(/^\//, '').split(/\s+/).filter(Boolean);
    const rows = state.items
      .filter((r) => (state.scope ? r.scope === state.scope : r.usable))
      .filter((r) => words.every((w) => `${r.shortcut} ${r.title} ${r.body}`.toLowerCase().includes(w)));
    const usable = state.items.filter((r) => r.usable).length;
    navLink.querySelector('.nav-count').textContent = '';
    count.textContent = state.items.length ? `${rows.length} of ${usable} you can use` : '';
    if (!state.items.length) {
      listBody.replaceChildren(h('div', { class: 'empty' },
        h('span', { class: 'empty-icon empty-icon--lg' }, cannedIcon(26)),
        h('p', { class: 'empty-title' }, 'No canned responses yet'),
        h('p', { class: 'empty-text' }, 'Save the answers you type every day, then insert them with /shortcut.'),
        h('a', { class: 'btn btn-primary', href: '#/canned/new' }, 'Create one')));
      return;
    }
    if (!rows.length) {
      listBody.replaceChildren(h('p', { class: 'cr-none', role: 'status' }, `Nothing matches “${state.query}”.`));
      return;
    }
    listBody.replaceChildren(h('ul', { class: 'cr-list', role: 'list', 'aria-label': 'Canned responses', 'data-testid': 'cr-list' },
      ...rows.map((r) => h('li', { class: 'cr-item', 'data-testid': 'cr-item', 'data-shortcut': r.shortcut },
        h('a', { class: 'cr-item-link', href: `#/canned/${r.id}` },
          h('span', { class: 'cr-item-top' },
            h('code', { class: 'cr-key' }, `/${r.shortcut}`),
            h('span', { class: 'cr-item-title' }, r.title),
            scopeBadge(r)),
          h('span', { class: 'cr-item-preview' }, plainPreview(readable(r.body), 160)),
          h('span', { class: 'cr-item-meta' },
            `Updated ${relTime(r.updated_at)}${r.updated_by ? ` by ${r.updated_by.name}` : ''}`))))));
  }

  // ---- editor ----
  // A labelled control with its error line; `input` is the labelled element when the
  // control wraps it (the shortcut sits behind a "/").
  function field(label, control, { id, hint, input = control } = {}) {
    input.id = id;
    const err = h('p', { class: 'trg-err', id: `${id}-err`, 'data-field': id, role: 'alert' });
    input.setAttribute('aria-describedby', `${id}-err${hint ? ` ${id}-hint` : ''}`);
    return h('div', { class: 'kb-field' }, h('label', { for: id }, label), control,
      hint ? h('p', { class: 'kb-hint', id: `${id}-hint` }, hint) : null, err);
  }

  function showEditor(r) {
    state.dirty = false;
    const isNew = !r;
    const editable = isNew || r.can_edit;
    const f = {
      shortcut: h('input', { class: 'kb-input cr-key-input', maxlength: '32', required: true, value: r?.shortcut || '', placeholder: 'refund', spellcheck: 'false', autocomplete: 'off', 'data-testid': 'cr-shortcut', pattern: '[a-z0-9-]{1,32}' }),
      title: h('input', { class: 'kb-input', maxlength: '120', required: true, value: r?.title || '', placeholder: 'Refund timing', 'data-testid': 'cr-title-input' }),
      scope: h('select', { class: 'kb-select', 'data-testid': 'cr-scope' },
        h('option', { value: 'personal' }, 'Personal — only me'),
        h('option', { value: 'shared', disabled: !leads() }, `Shared — every agent${leads() ? '' : ' (leads)'}`),
        h('option', { value: 'team', disabled: !leads() }, `One team${leads() ? '' : ' (leads)'}`)),
      team: h('select', { class: 'kb-select', 'data-testid': 'cr-team' },
        ...state.teams.map((t) => h('option', { value: t.key }, t.name))),
      body: h('textarea', { class: 'kb-input cr-body', rows: '8', maxlength: String(MAX_BODY), required: true, 'data-testid': 'cr-body', placeholder: 'Hi {{visitor.name}}, …' }),
    };
    f.scope.value = r?.scope || (leads() ? 'shared' : 'personal');
    if (r?.team) f.team.value = r.team.key;
    f.body.value = r?.body || '';
    const shortcutWrap = h('div', { class: 'cr-key-wrap' }, h('span', { class: 'cr-key-slash', 'aria-hidden': 'true' }, '/'), f.shortcut);
    const teamField = field('Team', f.team, { id: 'cr-f-team' });
    const syncScope = () => { teamField.hidden = f.scope.value !== 'team'; };
    f.scope.addEventListener('change', syncScope);
    syncScope();

    // Placeholders: buttons that insert at the caret.
    const chips = h('div', { class: 'cr-chips', role: 'group', 'aria-label': 'Insert a placeholder' },
      ...PLACEHOLDERS.map(([ph, label]) => {
        const b = h('button', { type: 'button', class: 'cr-chip', title: `Insert ${ph}`, disabled: !editable }, label);
        b.addEventListener('click', () => {
          f.body.focus();
          f.body.setRangeText(ph, f.body.selectionStart, f.body.selectionEnd, 'end');
          f.body.dispatchEvent(new Event('input', { bubbles: true }));
        });
        return b;
      }));
    const previewEl = h('div', { class: 'cr-preview-body md', 'data-testid': 'cr-preview' });
    const counter = h('span', { class: 'kb-hint cr-counter', 'aria-live': 'polite' });
    const sync = () => {
      previewEl.replaceChildren(f.body.value.trim() ? preview(f.body.value, getMe()) : h('p', { class: 'kb-muted' }, 'The preview shows here as you type.'));
      counter.textContent = `${f.body.value.length} / ${MAX_BODY}`;
    };
    f.body.addEventListener('input', sync);

    const formError = h('p', { class: 'trg-err trg-form-err', role: 'alert', 'data-testid': 'cr-error' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'cr-save', hidden: !editable }, h('span', { class: 'spinner' }), isNew ? 'Create response' : 'Save changes');
    const del = isNew || !editable ? null : h('button', { type: 'button', class: 'btn btn-secondary kb-danger', 'data-testid': 'cr-delete' }, 'Delete');
    const readonly = editable ? null : h('p', { class: 'notice' }, icon('info', 16),
      h('span', null, 'Only support leads and admins can change shared and team responses. You can use it in any conversation with ', h('code', null, `/${r.shortcut}`), '.'));
    for (const c of Object.values(f)) c.disabled = !editable;

    const meta = r ? h('p', { class: 'kb-hint cr-meta' },
      `Created ${r.created_by ? `by ${r.created_by.name} ` : ''}${relTime(r.created_at)} · updated ${relTime(r.updated_at)}${r.updated_by ? ` by ${r.updated_by.name}` : ''}`) : null;
    if (meta) meta.title = longTime(r.updated_at);

    const form = h('form', { class: 'cr-form', novalidate: true, 'data-testid': 'cr-form' },
      h('header', { class: 'trg-form-head' },
        h('a', { class: 'btn btn-secondary btn-sm', href: '#/canned' }, icon('back', 14), 'Canned responses'),
        h('h1', { class: 'cr-title' }, isNew ? 'New canned response' : r.title)),
      meta, readonly,
      h('div', { class: 'cr-grid' },
        h('fieldset', { class: 'trg-card cr-card' }, h('legend', null, 'Response'),
          h('div', { class: 'cr-row' },
            field('Shortcut', shortcutWrap, { id: 'cr-f-shortcut', input: f.shortcut, hint: 'Lower-case letters, digits and hyphens; type it after / in the composer.' }),
            field('Title', f.title, { id: 'cr-f-title' })),
          h('div', { class: 'cr-row' }, field('Who can use it', f.scope, { id: 'cr-f-scope' }), teamField),
          h('div', { class: 'kb-field' },
            h('label', { for: 'cr-f-body' }, 'Text (Markdown)'),
            chips, f.body,
            h('div', { class: 'cr-body-foot' }, h('p', { class: 'kb-hint', id: 'cr-f-body-hint' }, 'Placeholders are filled for each conversation; a missing value reads naturally (“Hi there”). Add your own fallback: {{visitor.name | friend}}.'), counter),
            h('p', { class: 'trg-err', id: 'cr-f-body-err', 'data-field': 'cr-f-body', role: 'alert' }))),
        h('section', { class: 'cr-preview', 'aria-labelledby': 'cr-preview-title' },
          h('h2', { class: 'cr-preview-title', id: 'cr-preview-title' }, 'Preview ', h('span', { class: 'kb-hint' }, 'with sample values')),
          h('div', { class: 'cr-preview-bubble' }, previewEl))),
      formError,
      h('div', { class: 'trg-actions' }, del, h('span', { class: 'kb-spacer' }), h('a', { class: 'btn btn-secondary', href: '#/canned' }, editable ? 'Cancel' : 'Back'), save));
    f.body.id = 'cr-f-body';
    f.body.setAttribute('aria-describedby', 'cr-f-body-err cr-f-body-hint');
    form.addEventListener('input', (ev) => {
      state.dirty = true;
      // A field being fixed loses its error at once.
      const c = ev.target.closest?.('[aria-invalid]');
      if (!c) return;
      c.removeAttribute('aria-invalid');
      const slot = form.querySelector(`.trg-err[data-field="${c.id}"]`);
      if (slot) slot.textContent = '';
    });
    sync();

    const FIELD = { shortcut: ['cr-f-shortcut', f.shortcut], title: ['cr-f-title', f.title], body: ['cr-f-body', f.body], team: ['cr-f-team', f.team], scope: ['cr-f-scope', f.scope] };
    function showErrors(bad, general = '') {
      for (const p of form.querySelectorAll('.trg-err')) p.textContent = '';
      for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
      for (const [name, msg] of Object.entries(bad)) {
        const [slotId, control] = FIELD[name] || [];
        const slot = slotId && form.querySelector(`.trg-err[data-field="${slotId}"]`);
        if (slot) { slot.textContent = msg; control.setAttribute('aria-invalid', 'true'); } else general = general || msg;
      }
      formError.textContent = general;
      form.querySelector('[aria-invalid="true"]')?.focus();
    }
    function body() {
      const b = { shortcut: f.shortcut.value.trim().replace(/^\//, ''), title: f.title.value, body: f.body.value, scope: f.scope.value };
      b.team = b.scope === 'team' ? f.team.value || null : null;
      return b;
    }
    function check(b) {
      const bad = {};
      if (!/^[a-z0-9-]{1,32}$/.test(b.shortcut)) bad.shortcut = 'Use 1 to 32 lower-case letters, digits or hyphens (like refund-policy).';
      if (!b.title.trim()) bad.title = 'Give it a title.';
      if (!b.body.trim()) bad.body = 'Write the text to insert.';
      if (b.scope === 'team' && !b.team) bad.team = 'Pick a team.';
      return bad;
    }
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!editable) return;
      const b = body();
      const bad = check(b);
      showErrors(bad);
      if (Object.keys(bad).length) return;
      save.classList.add('is-busy');
      try {
        if (isNew) await cannedApi.create({ site_id: state.siteId, ...b });
        else await cannedApi.update(r.id, b);
        state.dirty = false;
        invalidateCanned();
        toast(isNew ? `Saved /${b.shortcut}.` : 'Changes saved.', 'success');
        location.hash = '#/canned';
      } catch (err) {
        if (err.status === 401) return;
        // A taken shortcut sits by its field; anything else the server refused, under the form.
        if (err.status === 409) showErrors({ shortcut: err.detail });
        else showErrors({}, err.detail || err.message);
      } finally {
        save.classList.remove('is-busy');
      }
    });
    del?.addEventListener('click', async () => {
      if (!window.confirm(`Delete /${r.shortcut} “${r.title}”?`)) return;
      try {
        await cannedApi.remove(r.id);
        state.dirty = false;
        invalidateCanned();
        toast(`Deleted /${r.shortcut}.`, 'success');
        location.hash = '#/canned';
      } catch (err) {
        if (err.status !== 401) toast(err.detail || err.message, 'error');
      }
    });
    el.replaceChildren(h('div', { class: 'cr-page cr-page--form' }, form));
    (editable ? f.shortcut : form.querySelector('a.btn'))?.focus({ preventScroll: true });
  }

  async function openOne(id) {
    el.replaceChildren(h('div', { class: 'conv-loading' }, h('span', { class: 'spinner spinner--dark' })));
    try {
      await loadSites();
      showEditor(await cannedApi.get(id));
    } catch (err) {
      if (err.status === 401) return;
      el.replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, err.status === 404 ? 'This canned response no longer exists' : 'Couldn’t load it'),
        h('p', { class: 'empty-text' }, err.detail || err.message),
        h('a', { class: 'btn btn-secondary', href: '#/canned' }, 'Back to canned responses')));
    }
  }

  function route(hash) {
    const [, id] = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    for (const a of navLink.closest('nav')?.querySelectorAll('.nav-item[aria-current]') || []) a.removeAttribute('aria-current');
    navLink.setAttribute('aria-current', 'page');
    if (id === 'new') {
      document.title = 'New canned response · Parley';
      loadSites().then(() => showEditor(null), (err) => err.status !== 401 && toast(err.detail || err.message, 'error'));
    } else if (/^\d+$/.test(id || '')) {
      document.title = 'Canned response · Parley';
      openOne(id);
    } else {
      document.title = 'Canned responses · Parley';
      el.replaceChildren(listView);
      loadList().then(() => search.focus({ preventScroll: true }));
    }
  }

  const beforeUnload = (ev) => { if (state.dirty) { ev.preventDefault(); ev.returnValue = ''; } };
  window.addEventListener('beforeunload', beforeUnload);

  return {
    el,
    navSection,
    route,
    deactivate() { navLink.removeAttribute('aria-current'); state.dirty = false; },
    destroy() { window.removeEventListener('beforeunload', beforeUnload); },
  };
}
