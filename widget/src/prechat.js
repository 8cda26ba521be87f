// The pre-chat form: the site's questions (site.prechat.fields, already without what
// the server knows) before the visitor's first message. It takes the composer's place
// and looks like the offline form (offline.css). Checked here first (required, email),
// then by the server, whose 422 names the fields at fault; each error sits under its
// field (aria-invalid + aria-describedby) and focus goes to the first one.
import css from './prechat.css';
import { h } from './dom.js';
import { EMAIL } from './offline.js';

export const prechatCss = css;
const MAX = { name: 200, email: 254, text: 500 };

/**
 * fields: [{key, type, label, required, options, categories}]; str(key, default): the
 * site's wording; send(answers) resolves once stored (rejects with .status, .detail).
 */
export function prechatForm({ fields, str, send }) {
  let busy = false;
  const rows = fields.map((f) => {
    const id = 'pl-pre-' + f.key;
    const err = h('p', { class: 'pl-off-err', id: id + '-err' });
    const a = { id, 'aria-describedby': id + '-err', 'data-testid': 'parley-prechat-' + f.key, required: f.required };
    let ctl;
    if (f.type === 'checkbox') {
      ctl = h('input', Object.assign(a, { type: 'checkbox' }));
      return { f, ctl, err, el: [h('label', { class: 'pl-pre-check' }, ctl, h('span', null, f.label)), err] };
    }
    if (f.type === 'category' || f.type === 'select') {
      const opts = f.type === 'select' ? f.options.map((o) => [o, o]) : f.categories.map((c) => [c.key, c.label]);
      ctl = h('select', Object.assign(a, { class: 'pl-off-input' }), h('option', { value: '' }, 'Choose…'), opts.map(([v, t]) => h('option', { value: v }, t)));
    } else {
      ctl = h('input', Object.assign(a, {
        class: 'pl-off-input', maxlength: String(MAX[f.type] || MAX.text),
        type: f.type === 'email' ? 'email' : 'text',
        autocomplete: f.type === 'name' ? 'name' : f.type === 'email' ? 'email' : 'off',
        spellcheck: f.type === 'email' ? 'false' : null,
      }));
    }
    return { f, ctl, err, el: [h('label', { class: 'pl-off-label', for: id }, f.label, f.required ? null : h('span', { class: 'pl-pre-opt' }, ' (optional)')), ctl, err] };
  });
  const status = h('p', { class: 'pl-off-status', role: 'alert', 'data-testid': 'parley-prechat-error' });
  const submit = h('button', { type: 'submit', class: 'pl-off-send', 'data-testid': 'parley-prechat-submit' }, str('prechat_submit', 'Start chat'));
  const title = h('h3', { class: 'pl-off-title', id: 'pl-pre-title', tabindex: '-1' }, str('prechat_title', 'Before we start'));
  const form = h('form', {
    class: 'pl-off', novalidate: true, 'aria-labelledby': 'pl-pre-title',
    onsubmit: (e) => { e.preventDefault(); go(); },
  }, title, h('p', { class: 'pl-off-lead' }, str('prechat_intro', 'Tell us a little about you so the right person can help.')),
  rows.map((r) => r.el), h('div', { class: 'pl-off-bar' }, status, submit));
  const el = h('div', { class: 'pl-off-wrap pl-pre', 'data-testid': 'parley-prechat' }, form);

  const value = (r) => (r.f.type === 'checkbox' ? r.ctl.checked : r.ctl.value.trim());
  function setError(r, msg) {
    r.err.textContent = msg || '';
    if (msg) r.ctl.setAttribute('aria-invalid', 'true'); else r.ctl.removeAttribute('aria-invalid');
  }
  for (const r of rows) r.ctl.addEventListener(r.f.type === 'checkbox' || r.ctl.tagName === 'SELECT' ? 'change' : 'input', () => setError(r, ''));
  const firstBad = () => { const r = rows.find((x) => x.ctl.getAttribute('aria-invalid')); if (r) r.ctl.focus(); return r; };

  async function go() {
    if (busy) return;
    status.textContent = '';
    const answers = {};
    for (const r of rows) {
      const v = value(r);
      setError(r, !v && r.f.required ? (r.f.type === 'checkbox' ? 'Tick this box to continue.' : r.ctl.tagName === 'SELECT' ? 'Please choose one.' : 'Please fill this in.')
        : v && r.f.type === 'email' && !EMAIL.test(v) ? 'Enter an email address like name@example.com.' : '');
      if (v) answers[r.f.key] = v;
    }
    if (firstBad()) return;
    busy = true;
    submit.setAttribute('aria-busy', 'true');
    try {
      await send(answers);
    } catch (e) {
      // The server's 422: [{loc: ['body', 'answers', key], msg}] → under each field.
      const list = e.status === 422 && Array.isArray(e.detail) ? e.detail : [];
      for (const x of list) { const r = rows.find((y) => x && x.loc && y.f.key === x.loc[2]); if (r) setError(r, x.msg); }
      if (!firstBad()) status.textContent = list.length ? e.message : 'We couldn’t send this. Check your connection and try again.';
    } finally {
      busy = false;
      submit.removeAttribute('aria-busy');
    }
  }
  return { el };
}
