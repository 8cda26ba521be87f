// DOM helpers. Everything is built with createElement and text nodes; the
// widget never assigns innerHTML (which also keeps it working on host pages
// that enforce Trusted Types).

/** h('div', {class: 'x', onclick: fn}, 'text', child) → element. Strings become text nodes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const k in attrs) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

const NS = 'http://www.w3.org/2000/svg';

// 24×24 stroke icons (paths in the style of Lucide, ISC licence).
export const ICONS = {
  chat: ['M7.9 20A9 9 0 1 0 4 16.1L2 22Z'],
  close: ['M18 6 6 18', 'm6 6 12 12'],
  down: ['m6 9 6 6 6-6'],
  send: ['m5 12 7-7 7 7', 'M12 19V5'],
  human: ['M18 20a6 6 0 0 0-12 0', 'M12 4a4 4 0 1 0 0 8 4 4 0 0 0 0-8z'],
  bot: ['M12 8V4H8', 'M6 8h12a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2z', 'M2 14h2', 'M20 14h2', 'M15 13v2', 'M9 13v2'],
  ext: ['M15 3h6v6', 'M10 14 21 3', 'M18 13v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h6'],
  retry: ['M3 12a9 9 0 1 0 3-6.7L3 8', 'M3 3v5h5'],
  clip: ['m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l8.57-8.57A4 4 0 1 1 18 8.84l-8.59 8.57a2 2 0 0 1-2.83-2.83l8.49-8.48'],
  file: ['M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z', 'M14 2v6h6'],
};

/** An inline SVG icon, hidden from assistive technology (buttons carry aria-labels). */
export function icon(name, size = 20, cls) {
  const svg = document.createElementNS(NS, 'svg');
  const set = (el, k, v) => el.setAttribute(k, v);
  set(svg, 'viewBox', '0 0 24 24');
  set(svg, 'width', size);
  set(svg, 'height', size);
  set(svg, 'fill', 'none');
  set(svg, 'stroke', 'currentColor');
  set(svg, 'stroke-width', '2');
  set(svg, 'stroke-linecap', 'round');
  set(svg, 'stroke-linejoin', 'round');
  set(svg, 'aria-hidden', 'true');
  set(svg, 'focusable', 'false');
  if (cls) set(svg, 'class', cls);
  for (const d of ICONS[name]) {
    const p = document.createElementNS(NS, 'path');
    set(p, 'd', d);
    svg.appendChild(p);
  }
  return svg;
}
