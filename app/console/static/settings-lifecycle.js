// Settings → Closing & reopening (#/settings/lifecycle): per site, after how many quiet
// minutes a conversation closes by itself, and for how many hours after a close a
// visitor who writes again reopens the same conversation (docs/api.md "Lifecycle").

import { request } from './api.js';
import { h, toast } from './dom.js';
import { errorBox, fieldError } from './settings-kit.js';

const enc = encodeURIComponent;
const api = {
  get: (id) => request('GET', `/api/v1/sites/${enc(id)}/lifecycle`),
  put: (id, body) => request('PUT', `/api/v1/sites/${enc(id)}/lifecycle`, body),
};

// [field, label, unit, max, hint, what 0 means]
const LIMITS = [
  ['inactivity_minutes', 'Close quiet conversations after', 'minutes', 7 * 24 * 60,
    'Counted from the last message of the visitor or an agent. Conversations waiting in a queue are never closed for being quiet. At most 10,080 (a week).',
    'Never close a conversation for being quiet.'],
  ['reopen_hours', 'Reopen when the visitor writes again within', 'hours', 30 * 24,
    'Within this window a new message reopens the same conversation (back to the person who had it, through routing); later it starts a new one. At most 720 (30 days).',
    'Every message after a close starts a new conversation.'],
];

/** "1 h 30 min", "2 days" … beside a number of an hour or more (of a day or more in hours). */
function spell(n, unit) {
  if (!Number.isInteger(n) || n < (unit === 'minutes' ? 60 : 24)) return '';
  const minutes = unit === 'minutes' ? n : n * 60;
  const d = Math.floor(minutes / 1440);
  const hrs = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d && `${d} day${d > 1 ? 's' : ''}`, hrs && `${hrs} h`, m && `${m} min`].filter(Boolean).join(' ');
}

export function createLifecyclePage({ canEdit }) {
  return {
    title: 'Closing & reopening',
    intro: 'When a quiet conversation closes by itself, and how long a visitor can pick it up again. A closed conversation asks the visitor for a rating and offers the transcript.',
    async render(site, reload) {
      const data = await api.get(site.id);
      const inputs = {};
      const errors = {};
      const rows = LIMITS.map(([key, label, unit, max, hint, zero]) => {
        const id = `lc-${key}`;
        const input = h('input', {
          id, type: 'number', class: 'kb-input lc-number', min: 0, max, step: 1, inputmode: 'numeric',
          value: String(data[key]), required: true, 'data-testid': id, 'aria-describedby': `${id}-hint ${id}-means`,
        });
        const means = h('p', { class: 'lc-means', id: `${id}-means`, 'aria-live': 'polite' });
        const sync = () => {
          const n = Number(input.value);
          means.textContent = input.value === '' ? '' : n === 0 ? zero : spell(n, unit) ? `= ${spell(n, unit)}` : '';
        };
        input.addEventListener('input', () => { errors[key].set(''); sync(); });
        sync();
        inputs[key] = input;
        errors[key] = fieldError(input, `${id}-error`);
        return h('div', { class: 'set-field lc-field' },
          h('label', { class: 'set-label', for: id }, label),
          h('div', { class: 'lc-row' }, input, h('span', { class: 'lc-unit' }, unit), means),
          h('p', { class: 'kb-hint', id: `${id}-hint` }, `${hint} 0: ${zero.charAt(0).toLowerCase()}${zero.slice(1)}`),
          errors[key].el);
      });
      const error = errorBox('lifecycle-error');
      const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'lifecycle-save' },
        h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, 'Save'));
      const undo = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'lifecycle-reset' }, 'Undo changes');
      undo.addEventListener('click', reload);
      const form = h('form', { class: 'set-form', novalidate: true, 'aria-labelledby': 'settings-title', 'data-testid': 'lifecycle-form' },
        h('fieldset', { class: 'set-group' }, h('legend', { class: 'set-legend' }, site.name), rows),
        error.el, h('div', { class: 'set-actions' }, undo, save));
      if (!canEdit()) for (const c of form.querySelectorAll('input, button')) c.disabled = true;

      let saving = false;
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        if (saving || !canEdit()) return;
        error.clear();
        const body = {};
        let bad = null;
        for (const [key, , , max] of LIMITS) {
          const raw = inputs[key].value.trim();
          const n = Number(raw);
          const msg = raw === '' ? 'Enter a number (0 turns it off).'
            : !Number.isInteger(n) || n < 0 ? 'Enter a whole number, 0 or more.'
              : n > max ? `At most ${max.toLocaleString('en')}.` : '';
          errors[key].set(msg);
          if (msg) bad = bad || inputs[key];
          body[key] = n;
        }
        if (bad) { bad.focus(); return; }
        saving = true;
        save.classList.add('is-busy');
        try {
          const saved = await api.put(site.id, body);
          for (const [key] of LIMITS) inputs[key].value = String(saved[key]);
          toast('Closing and reopening saved', 'success', 3000);
        } catch (err) {
          if (err.status === 401) return;
          let placed = false;
          for (const e of err.errors || []) {
            const key = e.loc?.[1];
            if (errors[key]) { errors[key].set(e.msg); placed = true; }
          }
          error.show(placed ? 'Check the values under the fields.' : err.detail || err.message || 'Couldn’t save.');
        } finally {
          saving = false;
          save.classList.remove('is-busy');
        }
      });
      return [form];
    },
  };
}
