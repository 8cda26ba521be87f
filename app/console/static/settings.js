// Settings section of the console. Routes (in the URL hash):
//   #/settings/hours       business hours of a site (docs/api.md "Sites")
//   #/settings/widget      the widget's look and words (settings-widget.js)
//   #/settings/prechat     the pre-chat form (settings-prechat.js)
//   #/settings/lifecycle   when quiet conversations close and reopen (settings-lifecycle.js)
// Out of business hours the bot still answers, and a visitor who asks for a person
// leaves an email and a message (the offline form) instead of waiting in a queue.
// Everyone may look; support leads and admins change them.

import { request } from './api.js';
import { h, icon, toast } from './dom.js';
import { pageHead } from './settings-kit.js';
import { createWidgetPage } from './settings-widget.js';
import { createPrechatPage } from './settings-prechat.js';
import { createLifecyclePage } from './settings-lifecycle.js';

const DAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'], ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const enc = encodeURIComponent;
const sites = {
  list: () => request('GET', '/api/v1/sites'),
  hours: (id) => request('GET', `/api/v1/sites/${enc(id)}/business-hours`),
  setHours: (id, hours) => request('PUT', `/api/v1/sites/${enc(id)}/business-hours`, { business_hours: hours }),
};

export function isSettingsRoute(hash) {
  return /^#\/settings(\/|$)/.test(hash || '');
}

/** A nav icon from path data (24px grid, Lucide style). */
function navIcon(paths, size = 18) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor', 'stroke-width': 2,
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false', class: 'icon nav-icon',
  })) svg.setAttribute(k, String(v));
  for (const d of paths) {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}
const CLOCK = ['M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20z', 'M12 6v6l4 2'];
const BRUSH = ['M12 22a10 10 0 1 1 10-10c0 2.8-2.2 4-4 4h-2a2 2 0 0 0-1 3.7A1.5 1.5 0 0 1 12 22z', 'M7.5 10.5h.01', 'M10.5 7.5h.01', 'M15.5 8.5h.01'];
const FORM = ['M9 3h6v4H9z', 'M16 5h2a2 2 0 0 1 2 2v13a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2h2', 'M8 12h8', 'M8 16h5'];
const TIMER = ['M10 2h4', 'M12 14l3-3', 'M12 6a8 8 0 1 0 0 16 8 8 0 0 0 0-16z'];

function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

/** "Monday 7 December, 09:00" in the site's zone. */
function whenLabel(iso, zone) {
  try {
    return new Intl.DateTimeFormat(undefined, {
      weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZone: zone,
    }).format(new Date(iso));
  } catch {
    return iso;
  }
}

export function createSettings({ getMe }) {
  const canEdit = () => ['lead', 'admin'].includes(getMe()?.role);

  // ---- the pages (business hours are drawn here, the others by their modules) ----
  const pages = {
    hours: { title: 'Business hours' },
    widget: createWidgetPage({ canEdit }),
    prechat: createPrechatPage({ canEdit }),
    lifecycle: createLifecyclePage({ canEdit }),
  };
  let current = 'hours';

  // ---- nav section (placed in the console's nav by app.js) ----
  const navItem = (page, label, paths, testid) => h('a', { class: 'nav-item', href: `#/settings/${page}`, 'data-view': `settings-${page}`, title: label, 'data-testid': testid },
    navIcon(paths), h('span', { class: 'nav-label' }, label));
  const navItems = {
    hours: navItem('hours', 'Business hours', CLOCK, 'nav-business-hours'),
    widget: navItem('widget', 'Widget', BRUSH, 'nav-settings-widget'),
    prechat: navItem('prechat', 'Pre-chat form', FORM, 'nav-settings-prechat'),
    lifecycle: navItem('lifecycle', 'Closing & reopening', TIMER, 'nav-settings-lifecycle'),
  };
  const navSection = h('div', { class: 'kb-nav settings-nav' },
    h('div', { class: 'nav-section-label' }, 'Settings'),
    h('ul', { class: 'nav-views', role: 'list' }, Object.values(navItems).map((a) => h('li', null, a))));

  const body = h('div', { class: 'settings-page' });
  const el = h('section', { class: 'settings-shell', 'aria-labelledby': 'settings-title', 'data-testid': 'settings' }, body);

  const state = { sites: [], siteId: null, data: null, saving: false };

  // ---- the editor ----
  let form = null;

  function rangeRow(day, start = '09:00', end = '17:00') {
    const label = DAYS.find((d) => d[0] === day)[1];
    const s = h('input', { type: 'time', class: 'kb-input hours-time', value: start, required: true, 'aria-label': `${label} opens`, 'data-testid': `hours-${day}-start` });
    const e = h('input', { type: 'time', class: 'kb-input hours-time', value: end === '24:00' ? '00:00' : end, required: true, 'aria-label': `${label} closes`, 'data-testid': `hours-${day}-end` });
    const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `Remove these ${label} hours`, title: 'Remove' }, icon('x', 16));
    const row = h('li', { class: 'hours-range' }, s, h('span', { class: 'hours-dash', 'aria-hidden': 'true' }, '–'), e, remove);
    remove.addEventListener('click', () => {
      const list = row.parentNode;
      row.remove();
      if (list && !list.children.length) {
        form.days[day].open.checked = false;
        syncDay(day);
      }
    });
    return row;
  }

  function syncDay(day) {
    const d = form.days[day];
    d.list.hidden = !d.open.checked;
    d.add.hidden = !d.open.checked;
    d.closed.hidden = d.open.checked;
    if (d.open.checked && !d.list.children.length) d.list.append(rangeRow(day));
  }

  function buildForm(hours) {
    const always = !hours;
    const zone = hours?.timezone || browserZone();
    const mode = (value, label, hint, checked) => h('label', { class: 'hours-mode' },
      h('input', { type: 'radio', name: 'hours-mode', value, checked, 'data-testid': `hours-mode-${value}` }),
      h('span', null, h('span', { class: 'hours-mode-title' }, label), h('span', { class: 'kb-muted' }, hint)));
    const modes = h('fieldset', { class: 'hours-modes' }, h('legend', { class: 'visually-hidden' }, 'Opening hours'),
      mode('always', 'Always open', 'Visitors who ask for a person always join the queue.', always),
      mode('hours', 'Set opening hours', 'Out of hours, they leave an email and a message instead.', !always));

    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    const tz = h('input', { id: 'hours-tz', class: 'kb-input hours-tz', value: zone, list: 'hours-tz-list', autocomplete: 'off', spellcheck: 'false', 'data-testid': 'hours-timezone' });
    const tzList = h('datalist', { id: 'hours-tz-list' }, zones.map((z) => h('option', { value: z })));

    const days = {};
    const rows = DAYS.map(([day, label]) => {
      const ranges = hours?.days?.[day] || [];
      const open = h('input', { type: 'checkbox', checked: ranges.length > 0, 'data-testid': `hours-${day}-open` });
      const list = h('ul', { class: 'hours-ranges', role: 'list', 'aria-label': `${label} hours` }, ranges.map(([s, e]) => rangeRow(day, s, e)));
      const add = h('button', { type: 'button', class: 'link-btn hours-add' }, 'Add hours');
      const closed = h('span', { class: 'hours-closed' }, 'Closed');
      add.addEventListener('click', () => { const last = list.lastElementChild?.querySelectorAll('input')[1]?.value; list.append(rangeRow(day, last && last !== '00:00' ? last : '13:00', '17:00')); });
      open.addEventListener('change', () => syncDay(day));
      days[day] = { open, list, add, closed };
      return h('div', { class: 'hours-day', role: 'group', 'aria-label': label },
        h('label', { class: 'hours-day-name' }, open, h('span', null, label)),
        h('div', { class: 'hours-day-ranges' }, closed, list, add));
    });
    const copy = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Copy Monday to weekdays');
    copy.addEventListener('click', () => {
      const mon = [...days.mon.list.children].map((li) => [...li.querySelectorAll('input')].map((i) => i.value));
      for (const day of ['tue', 'wed', 'thu', 'fri']) {
        days[day].open.checked = days.mon.open.checked;
        days[day].list.replaceChildren(...mon.map(([s, e]) => rangeRow(day, s, e)));
        syncDay(day);
      }
    });

    const holidayList = h('ul', { class: 'hours-holidays', role: 'list', 'aria-label': 'Holidays' });
    const addHoliday = (iso) => {
      if (!iso || [...holidayList.children].some((li) => li.dataset.date === iso)) return;
      const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `Remove holiday ${iso}` }, icon('x', 14));
      const li = h('li', { class: 'hours-holiday', 'data-date': iso }, h('span', null, iso), remove);
      remove.addEventListener('click', () => li.remove());
      const after = [...holidayList.children].find((x) => x.dataset.date > iso);
      holidayList.insertBefore(li, after || null);
    };
    (hours?.holidays || []).forEach(addHoliday);
    const holidayInput = h('input', { type: 'date', class: 'kb-input', 'aria-label': 'Holiday date', 'data-testid': 'hours-holiday-date' });
    const holidayAdd = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'hours-holiday-add' }, 'Add holiday');
    holidayAdd.addEventListener('click', () => { addHoliday(holidayInput.value); holidayInput.value = ''; });

    const editor = h('div', { class: 'hours-editor' },
      h('div', { class: 'hours-field' }, h('label', { for: 'hours-tz', class: 'hours-label' }, 'Time zone'), tz, tzList,
        h('p', { class: 'kb-hint' }, 'Hours follow this zone’s clock, summer time included.')),
      h('div', { class: 'hours-field' },
        h('div', { class: 'hours-label-row' }, h('span', { class: 'hours-label', id: 'hours-week' }, 'Weekly hours'), copy),
        h('div', { class: 'hours-week', role: 'group', 'aria-labelledby': 'hours-week' }, rows),
        h('p', { class: 'kb-hint' }, 'A closing time of 00:00 means midnight. For a night shift, close at 00:00 and open the next day at 00:00.')),
      h('div', { class: 'hours-field' },
        h('span', { class: 'hours-label' }, 'Holidays'),
        holidayList,
        h('div', { class: 'hours-holiday-add' }, holidayInput, holidayAdd)));

    const error = h('div', { class: 'form-error', role: 'alert', 'data-testid': 'hours-error' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'hours-save' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', null, 'Save hours'));
    const el = h('form', { class: 'hours-form', novalidate: true }, modes, editor, error,
      h('div', { class: 'hours-actions' }, save));
    form = { el, tz, days, holidayList, editor, error, save };
    for (const [day] of DAYS) syncDay(day);
    const syncMode = () => { editor.hidden = el.querySelector('input[name="hours-mode"]:checked')?.value !== 'hours'; };
    modes.addEventListener('change', syncMode);
    syncMode();
    if (!canEdit()) for (const c of el.querySelectorAll('input, button')) c.disabled = true;
    el.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
    return el;
  }

  function collect() {
    if (form.editor.hidden) return null;
    const days = {};
    for (const [day] of DAYS) {
      const d = form.days[day];
      if (!d.open.checked) continue;
      days[day] = [...d.list.children].map((li) => {
        const [s, e] = [...li.querySelectorAll('input')].map((i) => i.value);
        return [s, e === '00:00' ? '24:00' : e];
      });
    }
    return { timezone: form.tz.value.trim(), days, holidays: [...form.holidayList.children].map((li) => li.dataset.date) };
  }

  function describeError(err) {
    // The API's 422 lists {loc, msg}; the msg already names the day and the fix.
    const text = err.detail || err.message || 'Couldn’t save the hours.';
    return text.replace(/Value error, /g, '');
  }

  async function submit() {
    if (state.saving || !canEdit()) return;
    const hours = collect();
    form.error.classList.remove('is-visible');
    form.error.replaceChildren();
    if (hours && [...form.editor.querySelectorAll('input[type="time"]')].some((i) => !i.value)) {
      showError('Fill in every opening and closing time, or remove the empty ones.');
      return;
    }
    state.saving = true;
    form.save.classList.add('is-busy');
    try {
      state.data = await sites.setHours(state.siteId, hours);
      renderStatus();
      toast(hours ? 'Business hours saved' : 'Always open: saved', 'success', 3000);
    } catch (err) {
      if (err.status !== 401) showError(describeError(err));
    } finally {
      state.saving = false;
      form.save.classList.remove('is-busy');
    }
  }

  function showError(text) {
    form.error.replaceChildren(icon('alert', 16), h('span', null, text));
    form.error.classList.add('is-visible');
  }

  // ---- status + page ----
  const status = h('p', { class: 'hours-status', role: 'status', 'data-testid': 'hours-status' });
  function renderStatus() {
    const d = state.data;
    if (!d) return;
    const zone = d.business_hours?.timezone;
    status.dataset.open = String(d.open_now);
    status.replaceChildren(h('span', { class: 'hours-status-dot', 'aria-hidden': 'true' }),
      d.business_hours == null ? 'Always open — no offline form.'
        : d.open_now ? 'Open now.'
          : d.next_opening ? `Closed now — opens ${whenLabel(d.next_opening, zone)} (${zone}).` : 'Closed, with no opening ahead.');
  }

  const siteSelect = h('select', { class: 'kb-select', 'aria-label': 'Site', 'data-testid': 'hours-site' });
  siteSelect.addEventListener('change', () => { state.siteId = Number(siteSelect.value); load(); });
  const sitePicker = () => (state.sites.length > 1 ? siteSelect : h('span', { class: 'hours-site-name' }, state.sites[0]?.name || ''));
  const readOnly = (what) => (canEdit() ? [] : [h('p', { class: 'notice' }, icon('info', 16), `You can see ${what}; support leads and admins change them.`)]);

  let loads = 0;
  async function load() {
    const page = current;
    const seq = ++loads;
    body.replaceChildren(h('div', { class: 'conv-loading' }, h('span', { class: 'spinner spinner--dark' })));
    let content;
    try {
      if (!state.sites.length) {
        state.sites = await sites.list();
        state.siteId = state.sites[0]?.id ?? null;
        siteSelect.replaceChildren(...state.sites.map((s) => h('option', { value: String(s.id) }, s.name)));
      }
      if (state.siteId == null) throw new Error('No site yet.');
      siteSelect.value = String(state.siteId);
      if (page === 'hours') state.data = await sites.hours(state.siteId);
      else content = await pages[page].render(state.sites.find((s) => s.id === state.siteId), load);
    } catch (err) {
      if (err.status === 401 || seq !== loads) return;
      body.replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, `Couldn’t load ${pages[page].title.toLowerCase()}`),
        h('p', { class: 'empty-text' }, err.detail || err.message)));
      return;
    }
    if (seq !== loads) return; // another page (or site) was asked for meanwhile
    if (page !== 'hours') {
      body.replaceChildren(pageHead(pages[page].title, pages[page].intro, sitePicker()), ...content, ...readOnly(pages[page].what || 'these settings'));
      return;
    }
    renderStatus();
    body.replaceChildren(
      pageHead('Business hours', 'When your team answers chats. Out of hours the bot still answers; a visitor who asks for a person leaves an email and a message, shown in the inbox as an offline message.', sitePicker()),
      status,
      buildForm(state.data.business_hours),
      ...readOnly('the hours'));
  }

  return {
    el,
    navSection,
    route(hash) {
      const name = (/^#\/settings\/([a-z]+)/.exec(hash || '') || [])[1];
      current = pages[name] ? name : 'hours';
      for (const [page, a] of Object.entries(navItems)) {
        if (page === current) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
      document.title = `${pages[current].title} · Parley`;
      load();
    },
    deactivate() { for (const a of Object.values(navItems)) a.removeAttribute('aria-current'); },
  };
}
