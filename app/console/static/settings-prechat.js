// Settings → Pre-chat form (#/settings/prechat): whether visitors answer a few questions
// before their first message, and which: name, email, an issue category (each category
// may send its conversations to a team; routing rules can match it too) and custom
// text, choice and checkbox questions — each with a label, required or not, in order.
// The widget skips it for identified visitors and for what it already knows.

import { request } from './api.js';
import { h, icon, toast } from './dom.js';
import { errorBox, sentence } from './settings-kit.js';

const enc = encodeURIComponent;
const api = {
  get: (id) => request('GET', `/api/v1/sites/${enc(id)}/prechat`),
  put: (id, body) => request('PUT', `/api/v1/sites/${enc(id)}/prechat`, body),
  teams: () => request('GET', '/api/v1/teams'),
};

const TYPES = {
  name: ['Name', 'Your name'],
  email: ['Email', 'Email'],
  category: ['Issue category', 'What can we help with?'],
  text: ['Text', ''],
  select: ['Choice list', ''],
  checkbox: ['Checkbox', ''],
};
const BUILT_IN = ['name', 'email', 'category'];
const MAX_FIELDS = 12;

/** "Order number" → "order_number" (a field key); categories may keep hyphens. */
function slug(label, { hyphen = false, max = 40 } = {}) {
  let s = String(label || '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(hyphen ? /[^a-z0-9-]+/g : /[^a-z0-9]+/g, '_').replace(/^[_-]+|[_-]+$/g, '');
  if (!hyphen && /^[0-9]/.test(s)) s = `q_${s}`;
  return s.slice(0, max);
}

export function createPrechatPage({ canEdit }) {
  let state = null; // { siteId, enabled, fields: [...], teams: [...] }
  let ui = null;
  let reload = () => {};
  let saving = false;
  let uid = 0;

  const fromServer = (f) => ({
    id: ++uid, type: f.type, key: f.key, label: f.label, required: !!f.required,
    options: [...(f.options || [])],
    categories: (f.categories || []).map((c) => ({ id: ++uid, key: c.key, label: c.label, team: c.team || '', keyTouched: true })),
    keyTouched: true,
  });

  function payload() {
    return {
      enabled: ui.enabled.checked,
      fields: state.fields.map((f) => {
        const out = { type: f.type, label: f.label.trim(), required: f.required };
        if (!BUILT_IN.includes(f.type)) out.key = f.key;
        if (f.type === 'select') out.options = f.options.map((o) => o.trim()).filter(Boolean);
        if (f.type === 'category') out.categories = f.categories.map((c) => ({ key: c.key, label: c.label.trim(), team: c.team || null }));
        return out;
      }),
    };
  }

  // ---- one field's card ----
  function categoryRow(f, c) {
    const label = h('input', { class: 'kb-input', value: c.label, placeholder: 'e.g. Billing', maxlength: 80, 'aria-label': 'Category', 'data-testid': 'prechat-category-label' });
    const key = h('input', { class: 'kb-input pc-key', value: c.key, maxlength: 40, spellcheck: 'false', 'aria-label': 'Category key (what routing rules match)', 'data-testid': 'prechat-category-key' });
    const team = h('select', { class: 'kb-select', 'aria-label': 'Team it goes to', 'data-testid': 'prechat-category-team' },
      h('option', { value: '' }, 'No team'),
      state.teams.map((t) => h('option', { value: t.key, selected: t.key === c.team }, t.name)));
    if (c.team && !state.teams.some((t) => t.key === c.team)) team.append(h('option', { value: c.team, selected: true }, `${c.team} (no such team)`));
    const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `Remove category ${c.label || ''}`.trim(), title: 'Remove' }, icon('x', 16));
    label.addEventListener('input', () => {
      c.label = label.value;
      if (!c.keyTouched) { c.key = slug(label.value, { hyphen: true }); key.value = c.key; }
      preview();
    });
    key.addEventListener('input', () => { c.key = key.value.trim().toLowerCase(); c.keyTouched = true; });
    team.addEventListener('change', () => { c.team = team.value; });
    remove.addEventListener('click', () => { f.categories = f.categories.filter((x) => x !== c); draw(); });
    return h('li', { class: 'pc-cat' }, label, key, team, remove);
  }

  function card(f, i) {
    const n = state.fields.length;
    const [typeName] = TYPES[f.type];
    const title = () => f.label.trim() || typeName;
    const label = h('input', { id: `pc-label-${f.id}`, class: 'kb-input', value: f.label, maxlength: 80, placeholder: 'The question visitors read', 'data-testid': 'prechat-field-label' });
    const required = h('input', { type: 'checkbox', checked: f.required, 'data-testid': 'prechat-field-required' });
    const up = h('button', { type: 'button', class: 'icon-btn', disabled: i === 0, 'aria-label': `Move “${title()}” up`, title: 'Move up', 'data-testid': 'prechat-field-up' }, icon('back', 16, 'pc-up'));
    const down = h('button', { type: 'button', class: 'icon-btn', disabled: i === n - 1, 'aria-label': `Move “${title()}” down`, title: 'Move down', 'data-testid': 'prechat-field-down' }, icon('back', 16, 'pc-down'));
    const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `Remove “${title()}”`, title: 'Remove', 'data-testid': 'prechat-field-remove' }, icon('x', 16));
    const move = (by) => {
      const j = i + by;
      [state.fields[i], state.fields[j]] = [state.fields[j], state.fields[i]];
      draw();
      ui.list.querySelector(`[data-fid="${f.id}"] [data-testid="prechat-field-${by < 0 ? 'up' : 'down'}"]`)?.focus();
    };
    up.addEventListener('click', () => move(-1));
    down.addEventListener('click', () => move(1));
    remove.addEventListener('click', () => { state.fields.splice(i, 1); draw(); ui.addRow.querySelector('button:not(:disabled)')?.focus(); });
    required.addEventListener('change', () => { f.required = required.checked; preview(); });

    const body = [h('div', { class: BUILT_IN.includes(f.type) ? 'set-field pc-wide' : 'set-field' }, h('label', { class: 'set-label', for: label.id }, 'Label'), label)];
    if (!BUILT_IN.includes(f.type)) {
      const key = h('input', { id: `pc-key-${f.id}`, class: 'kb-input pc-key', value: f.key || '', maxlength: 40, spellcheck: 'false', 'data-testid': 'prechat-field-key' });
      key.addEventListener('input', () => { f.key = key.value.trim().toLowerCase(); f.keyTouched = true; });
      label.addEventListener('input', () => { if (!f.keyTouched) { f.key = slug(label.value); key.value = f.key; } });
      body.push(h('div', { class: 'set-field pc-key-field' }, h('label', { class: 'set-label', for: key.id }, 'Key'), key,
        h('p', { class: 'kb-hint' }, 'How the answer is stored (a–z, 0–9, _).')));
    }
    if (f.type === 'select') {
      const opts = h('textarea', { id: `pc-opts-${f.id}`, class: 'kb-input set-textarea', rows: 3, 'data-testid': 'prechat-field-options' });
      opts.value = f.options.join('\n');
      opts.addEventListener('input', () => { f.options = opts.value.split('\n'); preview(); });
      body.push(h('div', { class: 'set-field pc-wide' }, h('label', { class: 'set-label', for: opts.id }, 'Choices, one per line'), opts));
    }
    if (f.type === 'category') {
      const list = h('ul', { class: 'pc-cats', role: 'list', 'aria-label': 'Categories' }, f.categories.map((c) => categoryRow(f, c)));
      const add = h('button', { type: 'button', class: 'link-btn', 'data-testid': 'prechat-category-add' }, '+ Add category');
      add.addEventListener('click', () => {
        f.categories.push({ id: ++uid, key: '', label: '', team: '', keyTouched: false });
        draw();
        ui.list.querySelector(`[data-fid="${f.id}"] .pc-cat:last-child input`)?.focus();
      });
      body.push(h('div', { class: 'set-field pc-wide' },
        h('div', { class: 'pc-cat-head', 'aria-hidden': 'true' }, h('span', null, 'Category'), h('span', null, 'Key'), h('span', null, 'Goes to team'), h('span')),
        list, add,
        h('p', { class: 'kb-hint' }, 'A category with a team sends its conversations there when they are handed to a person. Routing rules can also match the key (“pre-chat category”).')));
    }
    label.addEventListener('input', () => { f.label = label.value; preview(); });
    const err = h('p', { class: 'set-field-error', id: `pc-err-${f.id}`, 'data-testid': 'prechat-field-error' });
    label.setAttribute('aria-describedby', err.id);
    return h('li', { class: 'pc-card', 'data-fid': String(f.id), 'data-testid': `prechat-field-${f.key || f.type}`, 'aria-label': `${typeName}: ${title()}` },
      h('div', { class: 'pc-card-head' },
        h('span', { class: 'pc-type' }, typeName),
        h('label', { class: 'kb-check pc-required' }, required, 'Required'),
        h('span', { class: 'pc-tools' }, up, down, remove)),
      h('div', { class: 'pc-card-body' }, body),
      err);
  }

  function addField(type) {
    const [, label] = TYPES[type];
    const f = { id: ++uid, type, key: BUILT_IN.includes(type) ? type : '', label, required: type !== 'text' && type !== 'select', options: [], categories: [], keyTouched: false };
    if (type === 'category') f.categories.push({ id: ++uid, key: '', label: '', team: '', keyTouched: false });
    state.fields.push(f);
    draw();
    const last = ui.list.lastElementChild;
    last?.querySelector(type === 'category' ? '.pc-cat input' : '[data-testid="prechat-field-label"]')?.focus();
  }

  // ---- the whole form ----
  function draw() {
    ui.list.replaceChildren(...state.fields.map(card));
    ui.empty.hidden = state.fields.length > 0;
    const present = new Set(state.fields.map((f) => f.type));
    for (const b of ui.addRow.querySelectorAll('button')) {
      b.disabled = !canEdit() || state.fields.length >= MAX_FIELDS || (BUILT_IN.includes(b.dataset.type) && present.has(b.dataset.type));
    }
    if (!canEdit()) for (const c of ui.el.querySelectorAll('input, textarea, select, button')) c.disabled = true;
    preview();
  }

  function preview() {
    const p = ui.preview;
    const rows = state.fields.map((f) => {
      const text = f.label.trim() || TYPES[f.type][0];
      if (f.type === 'checkbox') return h('div', { class: 'pf-check' }, h('span', { class: 'pf-box' }), text);
      const opt = f.required ? null : h('span', { class: 'pf-opt' }, ' (optional)');
      const ctl = f.type === 'category' || f.type === 'select'
        ? h('div', { class: 'pf-input pf-select' }, 'Choose…') : h('div', { class: 'pf-input' });
      return h('div', null, h('div', { class: 'pf-label' }, text, opt), ctl);
    });
    p.body.replaceChildren(...rows);
    p.root.classList.toggle('is-off', !ui.enabled.checked || !state.fields.length);
  }

  function clearErrors() {
    ui.error.clear();
    for (const e of ui.list.querySelectorAll('.set-field-error')) e.textContent = '';
    for (const e of ui.list.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
  }

  function showErrors(err) {
    let placed = 0;
    for (const e of err.errors || []) {
      const [, where, i] = e.loc || [];
      const cardEl = where === 'fields' && Number.isInteger(i) ? ui.list.children[i] : null;
      if (!cardEl) continue;
      const line = cardEl.querySelector('.set-field-error');
      line.textContent = [line.textContent, sentence(e.msg)].filter(Boolean).join(' ');
      cardEl.querySelector('[data-testid="prechat-field-label"]').setAttribute('aria-invalid', 'true');
      placed += 1;
    }
    const rest = (err.errors || []).filter((e) => !(e.loc?.[1] === 'fields' && Number.isInteger(e.loc?.[2])));
    ui.error.show(rest.length ? rest.map((e) => sentence(e.msg)).join(' ') : placed ? 'Some questions need a change — see the messages under them.' : sentence(err.detail || err.message || 'Couldn’t save the form.'));
    ui.list.querySelector('[aria-invalid="true"]')?.focus();
  }

  async function submit() {
    if (saving || !canEdit()) return;
    clearErrors();
    saving = true;
    ui.save.classList.add('is-busy');
    try {
      const data = await api.put(state.siteId, payload());
      state.fields = data.prechat.fields.map(fromServer);
      draw();
      toast(data.prechat.enabled ? 'Pre-chat form saved — visitors see it before their first message' : 'Pre-chat form saved (off)', 'success', 3500);
    } catch (err) {
      if (err.status !== 401) showErrors(err);
    } finally {
      saving = false;
      ui.save.classList.remove('is-busy');
    }
  }

  function build(data) {
    const enabled = h('input', { type: 'checkbox', class: 'set-switch-input', checked: data.prechat.enabled, 'data-testid': 'prechat-enabled' });
    enabled.addEventListener('change', preview);
    const list = h('ol', { class: 'pc-list', role: 'list', 'aria-label': 'Questions, in the order visitors see them', 'data-testid': 'prechat-fields' });
    const empty = h('p', { class: 'kb-muted pc-empty' }, 'No questions yet. Add some below.');
    const addRow = h('div', { class: 'pc-add', role: 'group', 'aria-label': 'Add a question' },
      h('span', { class: 'set-label' }, 'Add'),
      Object.entries(TYPES).map(([type, [name]]) => {
        const b = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-type': type, 'data-testid': `prechat-add-${type}` }, `+ ${name}`);
        b.addEventListener('click', () => addField(type));
        return b;
      }));
    const error = errorBox('prechat-error');
    const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'prechat-save' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, 'Save form'));
    const undo = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'prechat-reset' }, 'Undo changes');
    undo.addEventListener('click', reload);
    const el = h('form', { class: 'set-form', novalidate: true, 'aria-labelledby': 'settings-title' },
      h('label', { class: 'set-switch' }, enabled, h('span', { class: 'set-switch-track', 'aria-hidden': 'true' }),
        h('span', null, h('span', { class: 'set-switch-title' }, 'Ask before the chat starts'),
          h('span', { class: 'kb-muted' }, 'Visitors answer these questions before their first message. Identified visitors (a signed Parley(\'identify\')) skip it, and a name or email the site already gave is not asked again.'))),
      h('fieldset', { class: 'set-group' }, h('legend', { class: 'set-legend' }, 'Questions'), empty, list, addRow),
      error.el,
      h('div', { class: 'set-actions' }, undo, save));
    el.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });

    const pvBody = h('div', { class: 'pf-body' });
    const pvRoot = h('div', { class: 'pf-form', 'data-testid': 'prechat-preview' },
      h('div', { class: 'pf-title' }, 'Before we start'),
      h('div', { class: 'pf-off' }, 'The form is off: visitors start chatting straight away.'),
      pvBody, h('div', { class: 'pf-submit' }, 'Start chat'));
    const previewEl = h('aside', { class: 'set-preview', 'aria-label': 'Preview' },
      h('div', { class: 'set-preview-label' }, icon('eye', 14), 'Preview'), pvRoot,
      h('p', { class: 'kb-hint' }, 'The title, introduction and button are worded under Settings → Widget.'));
    ui = { el, enabled, list, empty, addRow, error, save, preview: { root: pvRoot, body: pvBody } };
    draw();
    return h('div', { class: 'set-two' }, el, previewEl);
  }

  return {
    title: 'Pre-chat form',
    intro: 'Questions visitors answer before their first message. Agents see the answers in the conversation’s details, the bot’s handoff summary repeats them, and the category can route the conversation.',
    what: 'the form',
    async render(site, again) {
      reload = again;
      const [data, teams] = await Promise.all([api.get(site.id), api.teams().catch(() => [])]);
      state = { siteId: site.id, fields: data.prechat.fields.map(fromServer), teams: Array.isArray(teams) ? teams : [] };
      return [build(data)];
    },
  };
}
