// A suggestion list for the composer's textarea (the ARIA 1.2 combobox pattern):
// typing a trigger ("/" at the start, "@" in a note) opens a listbox above the composer;
// ArrowUp/ArrowDown move, Enter or Tab insert, Escape closes. Focus never leaves the
// textarea: the active option is announced through aria-activedescendant.
//
// Keys are caught in the capture phase on `host` (an ancestor of the textarea), so the
// composer's own Enter-to-send never sees a key the open list used.

import { h } from './dom.js';

let uid = 0;

/**
 * @param {object} o
 * @param {HTMLTextAreaElement} o.input the composer's textarea
 * @param {HTMLElement} o.host an ancestor to listen on (capture) and to anchor the list in
 * @param {string} o.label what the list offers, for assistive technology
 * @param {(before: string) => {query: string, start: number} | null} o.match the trigger,
 *   given the text before the caret
 * @param {(query: string) => Promise<object[]> | object[]} o.items the options for a query
 * @param {(item: object) => Node} o.render an option's content
 * @param {(item: object, start: number, end: number) => void} o.pick insert the item in
 *   place of input.value.slice(start, end)
 * @param {(query: string) => Node | string} [o.empty] shown when nothing matches
 * @param {Node} [o.footer] shown under the options (e.g. a link to manage them)
 * @param {() => boolean} [o.enabled]
 */
export function createSuggest({ input, host, label, match, items, render, pick, empty, footer, enabled = () => true, testid }) {
  const id = `suggest-${++uid}`;
  const list = h('ul', { id, class: 'suggest-list', role: 'listbox', 'aria-label': label, 'data-testid': testid ? `${testid}-list` : null });
  const emptyEl = h('p', { class: 'suggest-empty', role: 'status' });
  const box = h('div', { class: 'suggest', hidden: true, 'data-testid': testid || null }, list, emptyEl, footer || null);
  // Keep focus in the textarea when an option is clicked.
  box.addEventListener('mousedown', (ev) => { if (!ev.target.closest('a')) ev.preventDefault(); });
  host.append(box);

  let options = [];
  let active = -1;
  let open = false;
  let token = null; // {query, start, end}
  let dismissed = null; // the text before the caret when Escape closed the list
  let ticket = 0;

  function ariaSync() {
    input.setAttribute('aria-expanded', String(open));
    if (open) input.setAttribute('aria-controls', id);
    if (open && active >= 0) input.setAttribute('aria-activedescendant', `${id}-${active}`);
    else input.removeAttribute('aria-activedescendant');
  }
  // The combobox pattern on the textarea itself; it stays a multi-line text field.
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-haspopup', 'listbox');
  input.setAttribute('aria-multiline', 'true');
  ariaSync();

  function close() {
    if (!open && box.hidden) return;
    open = false;
    active = -1;
    box.hidden = true;
    list.replaceChildren();
    ariaSync();
  }

  function setActive(i) {
    const prev = list.children[active];
    prev?.setAttribute('aria-selected', 'false');
    active = options.length ? (i + options.length) % options.length : -1;
    const cur = list.children[active];
    if (cur) {
      cur.setAttribute('aria-selected', 'true');
      cur.scrollIntoView({ block: 'nearest' });
    }
    ariaSync();
  }

  function show(found, query) {
    options = found;
    list.replaceChildren(...found.map((item, i) => {
      const li = h('li', { id: `${id}-${i}`, class: 'suggest-option', role: 'option', 'aria-selected': 'false', 'data-testid': testid ? `${testid}-option` : null }, render(item));
      li.addEventListener('click', () => choose(i));
      li.addEventListener('mousemove', () => { if (active !== i) setActive(i); });
      return li;
    }));
    const nothing = !found.length;
    emptyEl.hidden = !nothing;
    emptyEl.replaceChildren(nothing && empty ? empty(query) : '');
    open = true;
    box.hidden = false;
    setActive(nothing ? -1 : 0);
  }

  async function refresh() {
    if (!enabled() || input.disabled) { close(); return; }
    const caret = input.selectionStart ?? input.value.length;
    if (input.selectionEnd !== caret) { close(); return; }
    const before = input.value.slice(0, caret);
    const m = match(before);
    if (!m) { dismissed = null; close(); return; }
    // Escape holds until the text changes: typing on ("/" then "ref") offers the list again.
    if (dismissed !== null && before === dismissed) { close(); return; }
    dismissed = null;
    token = { query: m.query, start: m.start, end: caret };
    const mine = ++ticket;
    const found = await items(m.query);
    if (mine !== ticket) return; // a newer keystroke won
    show(found, m.query);
  }

  function choose(i) {
    const item = options[i];
    if (!item || !token) return;
    const { start, end } = token;
    close();
    pick(item, start, end);
  }

  host.addEventListener('keydown', (ev) => {
    if (ev.target !== input || !open || ev.isComposing) return;
    let handled = true;
    if (ev.key === 'ArrowDown') setActive(active + 1);
    else if (ev.key === 'ArrowUp') setActive(active - 1);
    else if ((ev.key === 'Enter' || ev.key === 'Tab') && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      if (active >= 0) choose(active);
      else if (ev.key === 'Tab') { close(); handled = false; } // nothing to insert: leave Tab alone
      else close(); // Enter with no match: close, don't send "/xyz"
    } else if (ev.key === 'Escape') {
      dismissed = input.value.slice(0, input.selectionStart ?? input.value.length);
      close();
    } else handled = false;
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation();
    }
  }, true);
  input.addEventListener('input', refresh);
  input.addEventListener('click', refresh);
  input.addEventListener('keyup', (ev) => { if (ev.key === 'ArrowLeft' || ev.key === 'ArrowRight' || ev.key === 'Home' || ev.key === 'End') refresh(); });
  input.addEventListener('blur', () => close());

  return { close, refresh, get open() { return open; }, el: box };
}
