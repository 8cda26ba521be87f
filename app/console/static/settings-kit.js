// Pieces the Settings pages share (settings.js and settings-*.js): the page head, a form's
// error box, the server's 422 messages placed under the fields they name, and the
// colour arithmetic the widget uses (theme preview, contrast warning).

import { h, icon } from './dom.js';

/** The page's heading and intro, and the site picker on the right. */
export function pageHead(title, intro, sitePicker) {
  return h('header', { class: 'kb-page-head' },
    h('div', null,
      h('h1', { class: 'kb-page-title', id: 'settings-title', tabindex: '-1' }, title),
      h('p', { class: 'kb-muted' }, intro)),
    sitePicker);
}

/** A form's error summary: show(text) / clear(). */
export function errorBox(testid) {
  const el = h('div', { class: 'form-error', role: 'alert', 'data-testid': testid });
  return {
    el,
    show(text) {
      el.replaceChildren(icon('alert', 16), h('span', null, text));
      el.classList.add('is-visible');
    },
    clear() {
      el.classList.remove('is-visible');
      el.replaceChildren();
    },
  };
}

/** "Value error, x" → "X": the server's messages read as sentences. */
export function sentence(msg) {
  const text = String(msg || '').replace(/^Value error, /, '').trim();
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/**
 * An inline error under a control: set(msg) marks it aria-invalid and describes it
 * with the message; set('') clears both.
 */
export function fieldError(control, id) {
  const el = h('p', { class: 'set-field-error', id, 'data-testid': `${id}` });
  const described = control.getAttribute('aria-describedby');
  control.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
  return {
    el,
    set(msg) {
      el.textContent = msg ? sentence(msg) : '';
      if (msg) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    },
  };
}

// ---- colour (the same arithmetic as widget/src/widget.js applyTheme) ----

export const HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

/** Relative luminance (WCAG) of a #rgb / #rrggbb colour; null if it is not one. */
export function luminance(hex) {
  const m = HEX.exec(String(hex || '').trim());
  if (!m) return null;
  let x = m[1];
  if (x.length === 3) x = x.replace(/./g, '$&$&');
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(x.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const DARK = '#111827';
const L_DARK = luminance(DARK);
const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/** The widget's text colour on the brand colour, and the contrasts that matter. */
export function brandContrast(hex) {
  const L = luminance(hex);
  if (L == null) return null;
  const onDark = L > 0.2; // the widget picks whichever contrasts more
  return {
    on: onDark ? DARK : '#ffffff',
    text: ratio(L, onDark ? L_DARK : 1), // label and header text on the colour
    page: ratio(L, 1), // the launcher against a white page
  };
}
