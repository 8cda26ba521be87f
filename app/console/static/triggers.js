// Proactive triggers page of the console (support leads and admins): the site's triggers
// with shows / opens / dismissals and open rate, enable-disable, and a create/edit form.
// Routes (in the URL hash):  #/triggers   #/triggers/new   #/triggers/<id>
// Everything is rendered with textContent (h()); server text is never parsed as HTML.

import { request } from './api.js';
import { h, icon, toast } from './dom.js';

const enc = encodeURIComponent;
const api = {
  sites: () => request('GET', '/api/v1/sites'),
  list: (siteId) => request('GET', `/api/v1/triggers?site_id=${enc(siteId)}`),
  get: (id) => request('GET', `/api/v1/triggers/${enc(id)}`),
  create: (body) => request('POST', '/api/v1/triggers', body),
  update: (id, body) => request('PATCH', `/api/v1/triggers/${enc(id)}`, body),
  remove: (id) => request('DELETE', `/api/v1/triggers/${enc(id)}`),
};

// kind → [label, setting field, its label, unit, min, max, default, hint]
const KINDS = {
  time_on_page: ['Time on page', 'seconds', 'After', 'seconds on the page', 1, 3600, 30, 'Counts while the page is visible; starts over on each page (also single-page-app routes).'],
  scroll_depth: ['Scroll depth', 'percent', 'When scrolled', '% of the page', 1, 100, 50, 'Pages too short to scroll never fire.'],
  nth_visit: ['Repeat visit', 'visit', 'From visit number', '(a visit ends after 30 minutes away)', 1, 100, 2, 'Shows a few seconds into the page on that visit and later ones.'],
  exit_intent: ['Exit intent', null, '', '', 0, 0, 0, 'When the pointer leaves the window towards the tabs or address bar (mouse and trackpad only).'],
  idle: ['Idle on page', 'seconds', 'After', 'seconds without activity', 1, 3600, 45, 'No mouse, keyboard, touch or scroll for that long.'],
  form_abandonment: ['Form abandonment', 'seconds', 'After', 'seconds untouched', 1, 3600, 20, 'The visitor typed into one of the page’s forms, then left it alone (or headed for the tabs) without sending it.'],
  custom_event: ['Custom event', 'event', 'Event name', '', 0, 0, '', 'Fired by your page: Parley(\'track\', \'viewed_pricing\').'],
};
const MAX_MESSAGE = 500;

const SVG_NS = 'http://www.w3.org/2000/svg';
function zapIcon(size = 18, cls = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor', 'stroke-width': 2,
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false', class: `icon ${cls}`.trim(),
  })) svg.setAttribute(k, String(v));
  const p = document.createElementNS(SVG_NS, 'path');
  p.setAttribute('d', 'M13 2 3 14h9l-1 8 10-12h-9l1-8z');
  svg.append(p);
  return svg;
}

export function isTriggersRoute(hash) {
  return /^#\/triggers(\/|$)/.test(hash || '');
}

/** "30 s on page", "Scroll 50%", … for the list. */
function whenText(t) {
  switch (t.kind) {
    case 'time_on_page': return `${t.seconds} s on the page`;
    case 'scroll_depth': return `Scrolled ${t.percent}%`;
    case 'nth_visit': return `From visit ${t.visit}`;
    case 'exit_intent': return 'Exit intent';
    case 'idle': return `Idle ${t.seconds} s`;
    case 'form_abandonment': return `Form left ${t.seconds} s`;
    case 'custom_event': return `Event “${t.event}”`;
    default: return t.kind;
  }
}
function pagesText(pages) {
  if (!pages || !pages.length) return 'Every page';
  const first = pages[0].value;
  return pages.length > 1 ? `${first} +${pages.length - 1}` : first;
}
const pct = (x) => `${Math.round((x || 0) * 100)}%`;
function bar(rate) {
  const fill = h('span');
  fill.style.width = pct(rate); // CSSOM, not a style attribute: the console's CSP forbids inline styles
  return h('span', { class: 'trg-bar', 'aria-hidden': 'true' }, fill);
}

export function createTriggers({ getMe }) {
  const canEdit = () => ['lead', 'admin'].includes(getMe()?.role);
  const state = { sites: [], siteId: null, items: [], editing: null, dirty: false };

  // ---- nav (placed by app.js) ----
  const navLink = h('a', { class: 'nav-item', href: '#/triggers', 'data-view': 'triggers', 'data-testid': 'nav-triggers', title: 'Proactive triggers' },
    zapIcon(18, 'nav-icon'), h('span', { class: 'nav-label' }, 'Triggers'), h('span', { class: 'nav-count' }));
  const navSection = h('div', { class: 'kb-nav trg-nav' },
    h('div', { class: 'nav-section-label' }, 'Engage'),
    h('ul', { class: 'nav-views', role: 'list' }, h('li', null, navLink)));

  const el = h('div', { class: 'trg-shell', 'data-testid': 'triggers' });

  // ---- list ----
  const siteSelect = h('select', { class: 'kb-select', 'aria-label': 'Site', 'data-testid': 'trg-site' });
  siteSelect.addEventListener('change', () => { state.siteId = Number(siteSelect.value); loadList(); });
  const listBody = h('div', { class: 'trg-list-body' });
  const summary = h('p', { class: 'trg-summary', 'data-testid': 'trg-summary' });
  const listView = h('section', { class: 'trg-page', 'aria-labelledby': 'trg-title' },
    h('header', { class: 'trg-head' },
      h('div', { class: 'trg-head-text' },
        h('h1', { class: 'trg-title', id: 'trg-title' }, 'Proactive triggers'),
        h('p', { class: 'trg-lead' }, 'Messages the widget offers on its own — on the pages you list, and never more often than the guardrails allow.')),
      h('div', { class: 'trg-head-actions' }, siteSelect,
        h('a', { class: 'btn btn-primary', href: '#/triggers/new', 'data-testid': 'trg-new' }, icon('message', 16), 'New trigger'))),
    summary, listBody);

  async function loadSites() {
    if (state.sites.length) return;
    state.sites = await api.sites();
    state.siteId = state.siteId || state.sites[0]?.id || null;
    siteSelect.replaceChildren(...state.sites.map((s) => h('option', { value: String(s.id), selected: s.id === state.siteId }, s.name)));
    siteSelect.hidden = state.sites.length < 2;
  }

  async function loadList() {
    try {
      await loadSites();
      if (state.siteId == null) { listBody.replaceChildren(h('p', { class: 'kb-muted' }, 'No site yet.')); return; }
      state.items = await api.list(state.siteId);
      renderList();
    } catch (err) {
      if (err.status === 401) return;
      listBody.replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, 'Couldn’t load the triggers'),
        h('p', { class: 'empty-text' }, err.detail || err.message),
        h('button', { type: 'button', class: 'btn btn-secondary', onclick: loadList }, 'Try again')));
    }
  }

  function renderList() {
    const items = state.items;
    const live = items.filter((t) => t.enabled).length;
    navLink.querySelector('.nav-count').textContent = items.length ? String(live) : '';
    const shows = items.reduce((n, t) => n + t.stats.shows, 0);
    const opens = items.reduce((n, t) => n + t.stats.opens, 0);
    summary.textContent = items.length
      ? `${live} of ${items.length} on · ${shows} shown · ${opens} opened (${pct(shows ? opens / shows : 0)})`
      : '';
    if (!items.length) {
      listBody.replaceChildren(h('div', { class: 'empty' },
        h('span', { class: 'empty-icon empty-icon--lg' }, zapIcon(26)),
        h('p', { class: 'empty-title' }, 'No triggers yet'),
        h('p', { class: 'empty-text' }, 'Greet visitors who linger on pricing, or catch them before they leave checkout.'),
        h('a', { class: 'btn btn-primary', href: '#/triggers/new' }, 'Create a trigger')));
      return;
    }
    const head = h('div', { class: 'trg-row trg-row--head', role: 'row' },
      ...['Trigger', 'On', 'Shows', 'Opens', 'Dismissed', 'Open rate'].map((t) => h('span', { role: 'columnheader' }, t)));
    const rows = items.map((t) => {
      const toggle = h('button', {
        type: 'button', class: 'trg-switch', role: 'switch', 'aria-checked': String(t.enabled),
        'aria-label': `${t.enabled ? 'Turn off' : 'Turn on'} ${t.name}`, 'data-testid': 'trg-toggle',
      }, h('span', { class: 'trg-switch-knob' }));
      toggle.addEventListener('click', () => setEnabled(t, toggle));
      const rate = t.stats.shows ? t.stats.open_rate : 0;
      return h('div', { class: 'trg-row', role: 'row', 'data-id': String(t.id), 'data-testid': 'trg-row', 'data-enabled': String(t.enabled) },
        h('span', { class: 'trg-cell-name', role: 'cell' },
          h('a', { class: 'trg-name', href: `#/triggers/${t.id}` }, t.name),
          h('span', { class: 'trg-meta' }, h('span', { class: 'trg-kind' }, whenText(t)), h('span', { class: 'trg-pages' }, pagesText(t.pages)))),
        h('span', { role: 'cell', class: 'trg-cell-on' }, toggle),
        h('span', { role: 'cell', class: 'trg-num', 'data-label': 'Shows', 'data-testid': 'trg-shows' }, String(t.stats.shows)),
        h('span', { role: 'cell', class: 'trg-num', 'data-label': 'Opens', 'data-testid': 'trg-opens' }, String(t.stats.opens)),
        h('span', { role: 'cell', class: 'trg-num', 'data-label': 'Dismissed', 'data-testid': 'trg-dismissals' }, String(t.stats.dismissals)),
        h('span', { role: 'cell', class: 'trg-num trg-rate', 'data-label': 'Open rate', 'data-testid': 'trg-rate' },
          bar(rate),
          t.stats.shows ? pct(rate) : '—'));
    });
    listBody.replaceChildren(h('div', { class: 'trg-table', role: 'table', 'aria-label': 'Triggers', 'data-testid': 'trg-table' }, head, ...rows));
  }

  async function setEnabled(t, toggle) {
    const next = !t.enabled;
    toggle.disabled = true;
    try {
      Object.assign(t, await api.update(t.id, { enabled: next }));
      toast(next ? `“${t.name}” is on.` : `“${t.name}” is off: visitors won’t see it.`, 'success');
      renderList();
    } catch (err) {
      toggle.disabled = false;
      if (err.status !== 401) toast(err.detail || err.message, 'error');
    }
  }

  // ---- editor ----
  // A labelled control with its error line (and an optional unit after it).
  function field(label, control, { hint, id, unit } = {}) {
    const err = h('p', { class: 'trg-err', id: `${id}-err`, 'data-field': id, role: 'alert' });
    control.id = id;
    control.setAttribute('aria-describedby', `${id}-err${hint ? ` ${id}-hint` : ''}`);
    return h('div', { class: 'kb-field trg-field' },
      h('label', { for: id }, label),
      unit ? h('div', { class: 'trg-with-unit' }, control, h('span', { class: 'trg-unit' }, unit)) : control,
      hint ? h('p', { class: 'kb-hint', id: `${id}-hint` }, hint) : null, err);
  }
  // A guardrail as a sentence with inputs in it: "Show at most [1] times per visitor every [7] days."
  function sentence(parts, ids) {
    const errs = ids.map((id) => h('p', { class: 'trg-err', id: `${id}-err`, 'data-field': id, role: 'alert' }));
    for (const p of parts) if (p instanceof HTMLElement) p.setAttribute('aria-describedby', `${p.id}-err`);
    return h('div', { class: 'trg-guard' }, h('p', { class: 'trg-sentence' }, parts), errs);
  }
  const num = (value, min, max, attrs = {}) => h('input', { class: 'kb-input trg-num-input', type: 'number', inputmode: 'numeric', min: String(min), max: String(max), step: '1', value: String(value), required: true, ...attrs });

  function showEditor(t) {
    state.dirty = false;
    const isNew = !t;
    const kind = t?.kind || 'time_on_page';
    const f = {
      name: h('input', { class: 'kb-input', maxlength: '120', required: true, value: t?.name || '', placeholder: 'Pricing page help', 'data-testid': 'trg-name' }),
      kind: h('select', { class: 'kb-select', 'data-testid': 'trg-kind' },
        Object.entries(KINDS).map(([k, v]) => h('option', { value: k, selected: k === kind }, v[0]))),
      setting: h('div', { class: 'trg-setting' }),
      message: h('textarea', { class: 'kb-input trg-message', rows: '3', maxlength: String(MAX_MESSAGE), required: true, 'data-testid': 'trg-message', placeholder: 'Questions about plans? I can help you pick one.' }),
      enabled: h('input', { type: 'checkbox', checked: t ? t.enabled : true, 'data-testid': 'trg-enabled' }),
      cap_count: num(t?.cap_count ?? 1, 1, 100, { id: 'trg-f-cap_count', 'aria-label': 'Shows per visitor' }),
      cap_days: num(t?.cap_days ?? 7, 1, 365, { id: 'trg-f-cap_days', 'aria-label': 'Days' }),
      cooldown_minutes: num(t?.cooldown_minutes ?? 30, 0, 43200, { id: 'trg-f-cooldown_minutes', 'aria-label': 'Minutes of quiet after any proactive message' }),
      session_max: num(t?.session_max ?? 1, 1, 20, { id: 'trg-f-session_max', 'aria-label': 'Shows per visit' }),
    };
    f.message.value = t?.message || '';
    let settingInput = null;
    const settingValues = { seconds: t?.seconds, percent: t?.percent, visit: t?.visit, event: t?.event };
    const kindHint = h('p', { class: 'kb-hint', id: 'trg-kind-hint' });
    function renderSetting() {
      const [, key, label, unit, min, max, dflt, hint] = KINDS[f.kind.value];
      kindHint.textContent = hint;
      if (settingInput && settingInput.dataset.key) settingValues[settingInput.dataset.key] = settingInput.value;
      if (!key) { f.setting.replaceChildren(); settingInput = null; return; }
      settingInput = key === 'event'
        ? h('input', { class: 'kb-input', maxlength: '100', required: true, placeholder: 'viewed_pricing', value: settingValues.event ?? dflt, spellcheck: 'false' })
        : num(settingValues[key] ?? dflt, min, max);
      settingInput.dataset.key = key;
      settingInput.setAttribute('data-testid', 'trg-setting');
      f.setting.replaceChildren(field(label, settingInput, { id: `trg-f-${key}`, unit }));
    }
    f.kind.addEventListener('change', renderSetting);

    // Pages: a list of rules.
    const pagesList = h('ul', { class: 'trg-pages-list', role: 'list', 'data-testid': 'trg-pages' });
    function pageRow(rule = { match: 'contains', value: '' }) {
      const match = h('select', { class: 'kb-select', 'aria-label': 'How the URL is matched' },
        h('option', { value: 'contains', selected: rule.match !== 'glob' }, 'URL contains'),
        h('option', { value: 'glob', selected: rule.match === 'glob' }, 'URL matches'));
      const value = h('input', { class: 'kb-input', 'aria-label': 'URL or part of it', value: rule.value, placeholder: '/pricing', spellcheck: 'false', maxlength: '500' });
      const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Remove this page' }, icon('x', 16));
      const li = h('li', { class: 'trg-page-rule' }, match, value, remove);
      remove.addEventListener('click', () => { li.remove(); state.dirty = true; pagesEmpty(); });
      return li;
    }
    const pagesNote = h('p', { class: 'kb-hint trg-pages-note' });
    function pagesEmpty() {
      pagesNote.textContent = pagesList.children.length
        ? '“Matches” is a pattern: * stands for anything; starting with / it is the path (/blog/*), otherwise the whole URL.'
        : 'No pages listed: it may show on every page of the site.';
    }
    for (const p of t?.pages || []) pagesList.append(pageRow(p));
    if (isNew) pagesList.append(pageRow());
    pagesEmpty();
    const addPage = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'trg-add-page' }, '+ Add a page');
    addPage.addEventListener('click', () => { pagesList.append(pageRow()); pagesEmpty(); pagesList.lastElementChild.querySelector('input').focus(); });

    // Live preview of the bubble (text only).
    const previewText = h('span', { class: 'trg-preview-text' });
    const count = h('span', { class: 'kb-hint trg-count', 'aria-live': 'polite' });
    const sync = () => {
      previewText.textContent = f.message.value.trim() || 'Your message shows here.';
      count.textContent = `${f.message.value.length} / ${MAX_MESSAGE}`;
    };
    f.message.addEventListener('input', sync);
    const siteName = state.sites.find((s) => s.id === (t?.site_id ?? state.siteId))?.name || 'Your site';
    const preview = h('div', { class: 'trg-preview', 'aria-label': 'Preview of the message bubble', role: 'img' },
      h('span', { class: 'trg-preview-av', 'aria-hidden': 'true' }, icon('bot', 14)),
      h('span', { class: 'trg-preview-body' }, h('span', { class: 'trg-preview-author' }, siteName), previewText, h('span', { class: 'trg-preview-reply' }, 'Reply')));

    const formError = h('p', { class: 'trg-err trg-form-err', role: 'alert', 'data-testid': 'trg-error' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'trg-save' }, h('span', { class: 'spinner' }), isNew ? 'Create trigger' : 'Save changes');
    const del = isNew ? null : h('button', { type: 'button', class: 'btn btn-secondary kb-danger', 'data-testid': 'trg-delete' }, 'Delete');
    const stats = t ? h('dl', { class: 'kb-facts trg-facts', 'data-testid': 'trg-stats' },
      [['Shows', t.stats.shows], ['Opens', t.stats.opens], ['Dismissed', t.stats.dismissals], ['Open rate', t.stats.shows ? pct(t.stats.open_rate) : '—']]
        .map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, String(v))))) : null;

    const form = h('form', { class: 'trg-form', novalidate: true, 'data-testid': 'trg-form' },
      h('header', { class: 'trg-form-head' },
        h('a', { class: 'btn btn-secondary btn-sm', href: '#/triggers' }, icon('back', 14), 'Triggers'),
        h('h1', { class: 'trg-title' }, isNew ? 'New trigger' : t.name),
        h('label', { class: 'trg-check' }, f.enabled, 'On')),
      stats,
      h('fieldset', { class: 'trg-card' }, h('legend', null, 'What and when'),
        field('Name (only your team sees it)', f.name, { id: 'trg-f-name' }),
        h('div', { class: 'trg-when' }, field('Show when', f.kind, { id: 'trg-f-kind' }), f.setting),
        kindHint),
      h('fieldset', { class: 'trg-card' }, h('legend', null, 'Message'),
        h('div', { class: 'trg-message-row' },
          h('div', { class: 'trg-message-col' }, field('Text the visitor sees (plain text)', f.message, { id: 'trg-f-message', wide: true }), count),
          preview)),
      h('fieldset', { class: 'trg-card' }, h('legend', null, 'Pages'),
        pagesList, h('div', { class: 'trg-pages-foot' }, addPage, pagesNote), h('p', { class: 'trg-err', 'data-field': 'trg-f-pages', role: 'alert' })),
      h('fieldset', { class: 'trg-card' }, h('legend', null, 'Guardrails'),
        h('div', { class: 'trg-guards' },
          sentence(['Show at most ', f.cap_count, ' times per visitor every ', f.cap_days, ' days.'], ['trg-f-cap_count', 'trg-f-cap_days']),
          sentence(['Stay quiet for ', f.cooldown_minutes, ' minutes after any proactive message (from any trigger).'], ['trg-f-cooldown_minutes']),
          sentence(['Show at most ', f.session_max, ' times per visit.'], ['trg-f-session_max'])),
        h('p', { class: 'notice' }, icon('info', 16), h('span', null, 'Always on: nothing more after a visitor dismisses one during a visit; never while they type or have the chat open; one message at a time.'))),
      formError,
      h('div', { class: 'trg-actions' }, del, h('span', { class: 'kb-spacer' }), h('a', { class: 'btn btn-secondary', href: '#/triggers' }, 'Cancel'), save));
    form.addEventListener('input', (ev) => {
      state.dirty = true;
      // A field the visitor is fixing loses its error at once.
      const c = ev.target.closest?.('[aria-invalid]');
      if (c) { c.removeAttribute('aria-invalid'); const e = form.querySelector(`.trg-err[data-field="${c.id}"]`); if (e) e.textContent = ''; }
    });
    f.kind.setAttribute('aria-describedby', 'trg-f-kind-err trg-kind-hint');
    renderSetting();
    sync();

    function body() {
      const b = {
        name: f.name.value, enabled: f.enabled.checked, kind: f.kind.value, message: f.message.value,
        pages: [...pagesList.children].map((li) => ({ match: li.querySelector('select').value, value: li.querySelector('input').value.trim() }))
          .filter((p) => p.value),
      };
      for (const k of ['cap_count', 'cap_days', 'cooldown_minutes', 'session_max']) b[k] = f[k].value === '' ? null : Number(f[k].value);
      if (settingInput) b[settingInput.dataset.key] = settingInput.dataset.key === 'event' ? settingInput.value : (settingInput.value === '' ? null : Number(settingInput.value));
      return b;
    }

    // The same rules as the API, checked here so each message sits by its field;
    // anything the server still refuses is shown under the form.
    function check(b) {
      const bad = {};
      const whole = (v, min, max) => Number.isInteger(v) && v >= min && v <= max;
      if (!b.name.trim()) bad.name = 'Give the trigger a name.';
      if (!b.message.trim()) bad.message = 'Write the message visitors will see.';
      const [, key, , , min, max] = KINDS[b.kind];
      if (key === 'event' && !/^[\w.:/ -]{1,100}$/.test((b.event || '').trim())) bad.event = 'Use letters, digits, spaces and _ . : / - (the name your page passes to Parley(\'track\')).';
      else if (key && key !== 'event' && !whole(b[key], min, max)) bad[key] = `A whole number from ${min} to ${max}.`;
      const pageBad = b.pages.findIndex((p) => /\s/.test(p.value));
      if (pageBad >= 0) bad.pages = `Page ${pageBad + 1}: a URL rule has no spaces.`;
      for (const [k, lo, hi] of [['cap_count', 1, 100], ['cap_days', 1, 365], ['cooldown_minutes', 0, 43200], ['session_max', 1, 20]]) {
        if (!whole(b[k], lo, hi)) bad[k] = `${lo}–${hi}.`;
      }
      return bad;
    }

    function showErrors(bad, general = '') {
      for (const p of form.querySelectorAll('.trg-err')) p.textContent = '';
      for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
      for (const [name, msg] of Object.entries(bad)) {
        const slot = form.querySelector(`.trg-err[data-field="trg-f-${name}"]`);
        if (slot) slot.textContent = msg;
        const control = form.querySelector(`#trg-f-${name}`) || (name === 'pages' ? pagesList.querySelector('input') : null);
        control?.setAttribute('aria-invalid', 'true');
      }
      formError.textContent = general;
      form.querySelector('[aria-invalid="true"]')?.focus(); // the first one on the page
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const b = body();
      const bad = check(b);
      showErrors(bad);
      if (Object.keys(bad).length) return;
      save.classList.add('is-busy');
      try {
        const saved = isNew ? await api.create({ site_id: state.siteId, ...b }) : await api.update(t.id, b);
        state.dirty = false;
        toast(isNew ? 'Trigger created.' : 'Trigger saved.', 'success');
        location.hash = '#/triggers';
        if (!isNew) Object.assign(t, saved);
      } catch (err) {
        if (err.status !== 401) showErrors({}, err.detail || err.message);
      } finally {
        save.classList.remove('is-busy');
      }
    });
    del?.addEventListener('click', async () => {
      if (!window.confirm(`Delete “${t.name}” and its stats?`)) return;
      try {
        await api.remove(t.id);
        state.dirty = false;
        toast('Trigger deleted.', 'success');
        location.hash = '#/triggers';
      } catch (err) {
        if (err.status !== 401) toast(err.detail || err.message, 'error');
      }
    });
    el.replaceChildren(h('div', { class: 'trg-page trg-page--form' }, form));
    f.name.focus({ preventScroll: true });
  }

  async function openTrigger(id) {
    el.replaceChildren(h('div', { class: 'conv-loading' }, h('span', { class: 'spinner spinner--dark' })));
    try {
      await loadSites();
      showEditor(await api.get(id));
    } catch (err) {
      if (err.status === 401) return;
      el.replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, err.status === 404 ? 'This trigger no longer exists' : 'Couldn’t load the trigger'),
        h('p', { class: 'empty-text' }, err.detail || err.message),
        h('a', { class: 'btn btn-secondary', href: '#/triggers' }, 'Back to triggers')));
    }
  }

  // ---- routing ----
  function route(hash) {
    const [, id] = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    // Ours is the current page now, whichever section's link was before.
    for (const a of navLink.closest('nav')?.querySelectorAll('.nav-item[aria-current]') || []) a.removeAttribute('aria-current');
    navLink.setAttribute('aria-current', 'page');
    if (!canEdit()) {
      el.replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, 'Triggers are for support leads'),
        h('p', { class: 'empty-text' }, 'Ask a lead or an admin to change proactive messages.')));
      return;
    }
    if (id === 'new') {
      document.title = 'New trigger · Parley';
      loadSites().then(() => showEditor(null), (err) => err.status !== 401 && toast(err.detail || err.message, 'error'));
    } else if (/^\d+$/.test(id || '')) {
      document.title = 'Trigger · Parley';
      openTrigger(id);
    } else {
      document.title = 'Triggers · Parley';
      el.replaceChildren(listView);
      loadList();
    }
  }

  const beforeUnload = (ev) => { if (state.dirty) { ev.preventDefault(); ev.returnValue = ''; } };
  window.addEventListener('beforeunload', beforeUnload);

  return {
    el,
    navSection,
    route,
    /** Show the nav entry to leads and admins only. */
    load() { navSection.hidden = !canEdit(); if (canEdit()) loadList(); },
    deactivate() { navLink.removeAttribute('aria-current'); state.dirty = false; },
    destroy() { window.removeEventListener('beforeunload', beforeUnload); },
  };
}
