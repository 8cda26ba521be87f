// Settings → Widget (#/settings/widget): the site's theme (docs/api.md "Sites"): brand
// colour with a contrast check, position, launcher label, greeting, the bot's name and
// picture, and the widget's own words — with a live preview of the launcher and the
// panel. Visitors get a new theme on their next page load.

import { request } from './api.js';
import { h, icon, toast } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { HEX, brandContrast, errorBox, fieldError, sentence } from './settings-kit.js';

const enc = encodeURIComponent;
const api = {
  get: (id) => request('GET', `/api/v1/sites/${enc(id)}/theme`),
  put: (id, theme) => request('PUT', `/api/v1/sites/${enc(id)}/theme`, theme),
};

// The widget's strings a site may reword, in the order the editor lists them.
const STRING_LABELS = [
  ['composer_placeholder', 'Message box placeholder'],
  ['talk_to_human', '“Talk to a human” button'],
  ['status_bot', 'Status while the bot answers'],
  ['status_waiting', 'Status while waiting for a person'],
  ['prechat_title', 'Pre-chat form title'],
  ['prechat_intro', 'Pre-chat form introduction'],
  ['prechat_submit', 'Pre-chat form button'],
];

/** A labelled control with its hint, its error line and (counter) a length count;
 * ``shown`` is what the layout places (the control, or a row holding it). */
function field(id, label, control, hint, { counter, shown = control } = {}) {
  const err = fieldError(control, `${id}-error`);
  const hintEl = hint ? h('p', { class: 'kb-hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', `${id}-hint ${control.getAttribute('aria-describedby') || ''}`.trim());
  const count = counter ? h('span', { class: 'set-count', 'aria-hidden': 'true' }) : null;
  if (count) {
    const sync = () => { count.textContent = `${control.value.length}/${control.maxLength}`; };
    control.addEventListener('input', sync);
    sync();
  }
  return {
    err,
    el: h('div', { class: 'set-field' },
      h('div', { class: 'set-label-row' }, h('label', { for: id, class: 'set-label' }, label), count),
      shown, hintEl, err.el),
  };
}

export function createWidgetPage({ canEdit }) {
  let form = null;
  let saving = false;
  let reload = () => {};

  function build(site, data) {
    const t = data.theme;
    const defaults = data.default_strings || {};
    const errs = {};
    const input = (id, value, attrs = {}) => h('input', { id, class: 'kb-input', value: value ?? '', autocomplete: 'off', ...attrs });

    // ---- colour: a picker and its hex, kept in step ----
    const hex = input('theme-color', t.color, { spellcheck: 'false', maxlength: 7, 'data-testid': 'theme-color', class: 'kb-input set-hex' });
    const picker = h('input', { type: 'color', class: 'set-swatch', value: t.color.length === 4 ? `#${t.color.slice(1).replace(/./g, '$&$&')}` : t.color, 'aria-label': 'Pick the brand colour', 'data-testid': 'theme-color-picker' });
    const warn = h('div', { class: 'set-warn', role: 'status', 'data-testid': 'theme-contrast' });
    picker.addEventListener('input', () => { hex.value = picker.value; update(); });
    hex.addEventListener('input', () => { if (HEX.test(hex.value.trim()) && hex.value.trim().length === 7) picker.value = hex.value.trim().toLowerCase(); update(); });
    const colour = field('theme-color', 'Brand colour', hex, 'The launcher, header and your visitors’ messages. A hex colour such as #1f7a4d.',
      { shown: h('div', { class: 'set-color-row' }, picker, hex) });
    colour.el.append(warn);
    errs.color = colour.err;

    // ---- position ----
    const seg = (value, label) => h('label', { class: 'kb-seg-item' },
      h('input', { type: 'radio', name: 'theme-position', value, checked: t.position === value, 'data-testid': `theme-position-${value}` }),
      h('span', null, label));
    const position = h('div', { class: 'kb-seg', role: 'radiogroup', 'aria-labelledby': 'theme-position-label' }, seg('left', 'Bottom left'), seg('right', 'Bottom right'));
    position.addEventListener('change', update);
    const positionErr = fieldError(position, 'theme-position-error');
    errs.position = positionErr;

    const launcher = input('theme-launcher', t.launcher_label, { maxlength: 40, 'data-testid': 'theme-launcher' });
    const greeting = h('textarea', { id: 'theme-greeting', class: 'kb-input set-textarea', rows: 3, maxlength: 500, 'data-testid': 'theme-greeting' });
    greeting.value = t.greeting;
    const botName = input('theme-bot-name', t.bot_name, { maxlength: 40, 'data-testid': 'theme-bot-name' });
    const avatar = input('theme-avatar', t.avatar_url || '', { type: 'url', inputmode: 'url', spellcheck: 'false', placeholder: 'https://…', maxlength: 2048, 'data-testid': 'theme-avatar' });
    const launcherF = field('theme-launcher', 'Launcher label', launcher, 'Leave empty for a round button with the chat icon only.', { counter: true });
    const greetingF = field('theme-greeting', 'Greeting', greeting, 'The first message visitors see. **Bold** and [links](https://example.com) work.', { counter: true });
    const botF = field('theme-bot-name', 'Bot name', botName, 'Shown above the bot’s messages (“Parley bot” by default).', { counter: true });
    const avatarF = field('theme-avatar', 'Bot avatar', avatar, 'An https:// image, shown round in the panel header while the bot answers. If your site has a Content-Security-Policy, its img-src must allow this host.');
    Object.assign(errs, { launcher_label: launcherF.err, greeting: greetingF.err, bot_name: botF.err, avatar_url: avatarF.err });

    // ---- the widget's words ----
    const strings = {};
    const stringRows = STRING_LABELS.map(([key, label]) => {
      const el = input(`theme-str-${key}`, t.strings?.[key] || '', { maxlength: 160, placeholder: defaults[key] || '', 'data-testid': `theme-string-${key}` });
      strings[key] = el;
      const f = field(`theme-str-${key}`, label, el);
      errs[`strings.${key}`] = f.err;
      return f.el;
    });
    const stringsErr = errorBox('theme-strings-error');

    for (const el of [launcher, greeting, botName, avatar, ...Object.values(strings)]) el.addEventListener('input', update);

    const error = errorBox('theme-error');
    const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'theme-save' },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, 'Save appearance'));
    const reset = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'theme-reset' }, 'Undo changes');
    reset.addEventListener('click', reload);

    const el = h('form', { class: 'set-form', novalidate: true, 'aria-labelledby': 'settings-title' },
      h('fieldset', { class: 'set-group' }, h('legend', { class: 'set-legend' }, 'Look'),
        colour.el,
        h('div', { class: 'set-field' }, h('span', { class: 'set-label', id: 'theme-position-label' }, 'Position'), position, positionErr.el),
        launcherF.el),
      h('fieldset', { class: 'set-group' }, h('legend', { class: 'set-legend' }, 'The bot'),
        botF.el, avatarF.el, greetingF.el),
      h('fieldset', { class: 'set-group' }, h('legend', { class: 'set-legend' }, 'Widget text'),
        h('p', { class: 'kb-muted set-group-intro' }, 'Reword or translate what the widget says. Empty fields keep the default shown in grey.'),
        h('div', { class: 'set-grid' }, stringRows), stringsErr.el),
      error.el,
      h('div', { class: 'set-actions' }, reset, save));
    el.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
    if (!canEdit()) for (const c of el.querySelectorAll('input, textarea, button')) c.disabled = true;

    // ---- the live preview ----
    const pv = {};
    pv.avatar = h('span', { class: 'wp-avatar', 'aria-hidden': 'true' });
    pv.title = h('span', { class: 'wp-title' }, site.name);
    pv.status = h('span', { class: 'wp-status' }, h('span', { class: 'wp-dot' }), h('span', { class: 'wp-status-text' }));
    pv.head = h('div', { class: 'wp-head', 'data-testid': 'theme-preview-header' }, pv.avatar, h('span', { class: 'wp-titles' }, pv.title, pv.status), icon('back', 16, 'wp-down'));
    pv.author = h('div', { class: 'wp-author', 'data-testid': 'theme-preview-bot-name' });
    pv.greeting = h('div', { class: 'wp-bubble md' });
    pv.visitor = h('div', { class: 'wp-bubble wp-visitor' }, 'Do you ship to Canada?');
    pv.human = h('span', { class: 'wp-human' });
    pv.composer = h('span', { class: 'wp-composer' });
    pv.launcherLabel = h('span', { class: 'wp-launcher-label' });
    pv.launcher = h('span', { class: 'wp-launcher', 'data-testid': 'theme-preview-launcher' }, icon('message', 20), pv.launcherLabel);
    pv.root = h('div', { class: 'wp-stage', 'data-testid': 'theme-preview' },
      h('div', { class: 'wp-panel' }, pv.head,
        h('div', { class: 'wp-log' }, pv.author, pv.greeting, pv.visitor),
        h('div', { class: 'wp-foot' }, pv.human, pv.composer)),
      pv.launcher);
    const preview = h('aside', { class: 'set-preview', 'aria-label': 'Preview' },
      h('div', { class: 'set-preview-label' }, icon('eye', 14), 'Preview'), pv.root,
      h('p', { class: 'kb-hint' }, 'Visitors see the new look on their next page load.'));

    form = { avatarUrl: undefined, el, preview, hex, picker, position, launcher, greeting, botName, avatar, strings, defaults, warn, error, stringsErr, errs, save, pv };
    update();
    return [el, preview];
  }

  function values() {
    const strings = {};
    for (const [key, el] of Object.entries(form.strings)) if (el.value.trim()) strings[key] = el.value.trim();
    return {
      color: form.hex.value.trim(),
      position: form.position.querySelector('input:checked')?.value || 'right',
      greeting: form.greeting.value,
      launcher_label: form.launcher.value.trim(),
      bot_name: form.botName.value.trim(),
      avatar_url: form.avatar.value.trim() || null,
      strings,
    };
  }

  function update() {
    const v = values();
    const pv = form.pv;
    const c = brandContrast(v.color);
    const warnings = [];
    if (!c) warnings.push('Enter a hex colour such as #1f7a4d.');
    else {
      if (c.text < 4.5) warnings.push(`Text on this colour has a contrast of ${c.text.toFixed(1)}:1, below the 4.5:1 that readable text needs (WCAG AA). Choose a darker or a lighter shade.`);
      if (c.page < 3) warnings.push(`The launcher stands out little on a white page (${c.page.toFixed(1)}:1 against white; buttons need 3:1).`);
      for (const el of [pv.head, pv.launcher, pv.visitor]) {
        el.style.background = v.color;
        el.style.color = c.on;
      }
    }
    form.warn.replaceChildren(...warnings.map((w) => h('p', null, icon('alert', 14), h('span', null, w))));
    form.warn.hidden = !warnings.length;
    const s = (k) => v.strings[k] || form.defaults[k] || '';
    pv.root.dataset.pos = v.position;
    pv.launcherLabel.textContent = v.launcher_label;
    pv.launcher.classList.toggle('is-round', !v.launcher_label);
    pv.author.textContent = v.bot_name || 'Parley bot';
    pv.greeting.replaceChildren(renderMarkdown(v.greeting || ''));
    pv.status.lastChild.textContent = s('status_bot');
    pv.human.replaceChildren(icon('user', 13), s('talk_to_human'));
    pv.composer.textContent = s('composer_placeholder');
    // The avatar: the image when it is an https URL (a broken one shows the bot icon).
    const url = /^https:\/\/\S+$/i.test(v.avatar_url || '') ? v.avatar_url : null;
    if (url !== form.avatarUrl) {
      form.avatarUrl = url;
      const img = url ? h('img', { src: url, alt: '', referrerpolicy: 'no-referrer' }) : null;
      if (img) img.addEventListener('error', () => pv.avatar.replaceChildren(icon('bot', 18)));
      pv.avatar.replaceChildren(img || icon('bot', 18));
    }
  }

  function clearErrors() {
    form.error.clear();
    form.stringsErr.clear();
    for (const e of Object.values(form.errs)) e.set('');
  }

  async function submit() {
    if (saving || !canEdit()) return;
    clearErrors();
    const v = values();
    if (!HEX.test(v.color)) {
      form.errs.color.set('Enter a hex colour such as #1f7a4d.');
      form.hex.focus();
      return;
    }
    saving = true;
    form.save.classList.add('is-busy');
    try {
      const data = await api.put(form.siteId, v);
      toast('Widget appearance saved', 'success', 3000);
      form.data = data;
    } catch (err) {
      if (err.status === 401) return;
      showErrors(err);
    } finally {
      saving = false;
      form.save.classList.remove('is-busy');
    }
  }

  // The server's 422 names the field ({loc: ['body', 'bot_name'], msg}): the message goes
  // under it, focus to the first; the strings' own check speaks for the group.
  function showErrors(err) {
    let placed = 0;
    for (const e of err.errors || []) {
      const key = (e.loc || [])[1];
      if (key === 'strings') form.stringsErr.show(sentence(e.msg));
      else if (form.errs[key]) form.errs[key].set(e.msg);
      else continue;
      placed += 1;
    }
    form.error.show(placed ? 'Some fields need a change — see the messages under them.' : sentence(err.detail || err.message || 'Couldn’t save.'));
    const bad = form.el.querySelector('[aria-invalid="true"] , [aria-invalid="true"] input');
    (bad?.tagName === 'DIV' ? bad.querySelector('input') : bad)?.focus();
  }

  return {
    title: 'Widget',
    intro: 'How the chat looks and speaks on your site: colour, corner, greeting, the bot’s name and picture, and the widget’s words.',
    async render(site, again) {
      reload = again;
      const data = await api.get(site.id);
      const [el, preview] = build(site, data);
      form.siteId = site.id;
      form.data = data;
      return [h('div', { class: 'set-two' }, el, preview)];
    },
  };
}
