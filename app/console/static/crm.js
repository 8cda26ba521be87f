// Contacts and CRM webhooks pages of the console.
// Routes (in the URL hash):
//   #/contacts            search contacts           #/contacts/<id>   a contact: attributes,
//   #/webhooks            subscriptions + log                           timeline, notes, merge
// Everyone reads and edits contacts; leads and admins merge and export; admins erase,
// manage webhooks and see the identity secret. Text is set with textContent only (h()).

import { request, session } from './api.js';
import { h, icon, longTime, statusPill, timeEl, toast } from './dom.js';

const enc = encodeURIComponent;
const api = {
  sites: () => request('GET', '/api/v1/sites'),
  contacts: (q, offset = 0) => request('GET', `/api/v1/contacts?q=${enc(q)}&limit=50&offset=${offset}`),
  contact: (id) => request('GET', `/api/v1/contacts/${enc(id)}`),
  patch: (id, body) => request('PATCH', `/api/v1/contacts/${enc(id)}`, body),
  note: (id, text) => request('POST', `/api/v1/contacts/${enc(id)}/notes`, { text }),
  merge: (id, otherId) => request('POST', `/api/v1/contacts/${enc(id)}/merge`, { other_id: otherId }),
  exportJson: (id) => request('GET', `/api/v1/contacts/${enc(id)}/export`),
  erase: (id) => request('POST', `/api/v1/contacts/${enc(id)}/erase`),
  secret: (siteId) => request('GET', `/api/v1/sites/${enc(siteId)}/identity-secret`),
  rotateSecret: (siteId) => request('POST', `/api/v1/sites/${enc(siteId)}/identity-secret/rotate`),
  eventTypes: () => request('GET', '/api/v1/webhooks/event-types'),
  subs: () => request('GET', '/api/v1/webhooks/subscriptions'),
  createSub: (body) => request('POST', '/api/v1/webhooks/subscriptions', body),
  patchSub: (id, body) => request('PATCH', `/api/v1/webhooks/subscriptions/${enc(id)}`, body),
  deleteSub: (id) => request('DELETE', `/api/v1/webhooks/subscriptions/${enc(id)}`),
  rotateSub: (id) => request('POST', `/api/v1/webhooks/subscriptions/${enc(id)}/rotate-secret`),
  testSub: (id) => request('POST', `/api/v1/webhooks/subscriptions/${enc(id)}/test`),
  replayDead: (id) => request('POST', `/api/v1/webhooks/subscriptions/${enc(id)}/replay-dead`),
  deliveries: (subId, status) => request('GET', `/api/v1/webhooks/deliveries?subscription_id=${enc(subId)}&limit=100${status ? `&status=${enc(status)}` : ''}`),
  delivery: (id) => request('GET', `/api/v1/webhooks/deliveries/${enc(id)}`),
  replay: (id) => request('POST', `/api/v1/webhooks/deliveries/${enc(id)}/replay`),
};

export function isCrmRoute(hash) {
  return /^#\/(contacts|webhooks)(\/|$)/.test(hash || '');
}

const errText = (err) => err?.detail || err?.message || 'Something went wrong.';

function field(label, control, hint) {
  return h('label', { class: 'crm-field' }, h('span', { class: 'crm-label' }, label), control, hint ? h('span', { class: 'kb-hint' }, hint) : null);
}

/** Attributes as editable rows of key / value (JSON-typed: true, 3, "text"). */
function attributesEditor(attrs) {
  const rows = h('div', { class: 'crm-attrs', 'data-testid': 'crm-attrs' });
  const add = (k = '', v = '') => {
    const key = h('input', { class: 'kb-input crm-attr-key', value: k, 'aria-label': 'Attribute name', maxlength: 50 });
    const val = h('input', { class: 'kb-input crm-attr-val', value: v, 'aria-label': 'Attribute value', maxlength: 500 });
    const del = h('button', { type: 'button', class: 'icon-btn', title: 'Remove attribute', 'aria-label': 'Remove attribute' }, icon('x', 14));
    const row = h('div', { class: 'crm-attr-row' }, key, val, del);
    del.addEventListener('click', () => row.remove());
    rows.append(row);
  };
  for (const [k, v] of Object.entries(attrs || {})) add(k, typeof v === 'string' ? v : JSON.stringify(v));
  const addBtn = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Add attribute');
  addBtn.addEventListener('click', () => add());
  return {
    el: h('div', null, rows, addBtn),
    value() {
      const out = {};
      for (const row of rows.querySelectorAll('.crm-attr-row')) {
        const k = row.querySelector('.crm-attr-key').value.trim();
        const raw = row.querySelector('.crm-attr-val').value.trim();
        if (!k) continue;
        let v = raw;
        if (/^(true|false|null|-?\d+(\.\d+)?)$/.test(raw)) v = JSON.parse(raw);
        out[k] = v;
      }
      return out;
    },
  };
}

export function createCrm({ getMe }) {
  const role = () => getMe()?.role;
  const isLead = () => ['lead', 'admin'].includes(role());
  const isAdmin = () => role() === 'admin';
  const state = { q: '', contactId: null, sites: [] };

  // ---- nav (placed by app.js) ----
  const navContacts = h('a', { class: 'nav-item', href: '#/contacts', 'data-view': 'contacts', 'data-testid': 'nav-contacts', title: 'Contacts' },
    icon('users', 18, 'nav-icon'), h('span', { class: 'nav-label' }, 'Contacts'), h('span', { class: 'nav-count' }));
  const navWebhooks = h('a', { class: 'nav-item', href: '#/webhooks', 'data-view': 'webhooks', 'data-testid': 'nav-webhooks', title: 'CRM webhooks' },
    icon('external', 18, 'nav-icon'), h('span', { class: 'nav-label' }, 'Webhooks'), h('span', { class: 'nav-count' }));
  const webhooksItem = h('li', null, navWebhooks);
  const navSection = h('div', { class: 'kb-nav crm-nav' },
    h('div', { class: 'nav-section-label' }, 'Customers'),
    h('ul', { class: 'nav-views', role: 'list' }, h('li', null, navContacts), webhooksItem));

  const el = h('div', { class: 'crm-shell', 'data-testid': 'crm' });

  async function sites() {
    if (!state.sites.length) state.sites = await api.sites();
    return state.sites;
  }

  // ---------------------------------------------------------------- contacts
  function showList() {
    const search = h('input', { type: 'search', class: 'kb-input crm-search', placeholder: 'Search by name, email or user id', 'aria-label': 'Search contacts', value: state.q, 'data-testid': 'crm-search' });
    const list = h('ul', { class: 'crm-list', role: 'list', 'data-testid': 'crm-list' });
    const status = h('p', { class: 'kb-muted', role: 'status' });
    const secretBox = h('div', { class: 'crm-secret' });
    el.replaceChildren(h('section', { class: 'crm-page' },
      h('header', { class: 'crm-head' },
        h('div', null, h('h1', { class: 'crm-title' }, 'Contacts'),
          h('p', { class: 'crm-lead' }, 'People your visitors are: verified by your site’s signature, synced from your CRM, or added here.')),
        search),
      status, list, isAdmin() ? secretBox : null));
    let timer = null;
    let seq = 0;
    async function load() {
      const mine = ++seq;
      try {
        const res = await api.contacts(state.q);
        if (mine !== seq) return;
        navContacts.querySelector('.nav-count').textContent = state.q ? '' : String(res.total);
        status.textContent = res.items.length ? (res.total > res.items.length ? `Showing ${res.items.length} of ${res.total}.` : '') : (state.q ? 'No contact matches.' : 'No contacts yet. Identified visitors appear here.');
        list.replaceChildren(...res.items.map((c) => h('li', null,
          h('a', { class: 'crm-item', href: `#/contacts/${c.id}`, 'data-id': String(c.id) },
            h('span', { class: 'crm-item-name' }, c.name || c.email || c.external_id || `Contact #${c.id}`),
            c.verified ? h('span', { class: 'pill pill--assigned', title: `Verified user id ${c.external_id}` }, 'Verified') : h('span', { class: 'pill' }, 'Unverified'),
            h('span', { class: 'crm-item-meta' }, [c.email, c.external_id ? `id ${c.external_id}` : null].filter(Boolean).join(' · ')),
            h('span', { class: 'crm-item-meta' }, `${c.conversations} conversation${c.conversations === 1 ? '' : 's'}`),
            c.last_seen_at ? timeEl(c.last_seen_at) : h('span')))));
      } catch (err) {
        if (err.status !== 401) status.textContent = errText(err);
      }
    }
    search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { state.q = search.value.trim(); load(); }, 200); });
    load();
    if (isAdmin()) renderSecret(secretBox);
    search.focus();
  }

  async function renderSecret(box) {
    try {
      const [site] = await sites();
      if (!site) return;
      const value = h('code', { class: 'crm-code', 'data-testid': 'crm-identity-secret' }, '••••••••••••');
      let secret = null;
      const reveal = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Show');
      reveal.addEventListener('click', async () => {
        secret = secret || (await api.secret(site.id)).identity_secret;
        value.textContent = secret;
      });
      const rotate = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Rotate');
      rotate.addEventListener('click', async () => {
        if (!confirm('Rotate the identity secret? Signatures made with the current one stop verifying at once.')) return;
        secret = (await api.rotateSecret(site.id)).identity_secret;
        value.textContent = secret;
        toast('Identity secret rotated. Update your backend.');
      });
      box.replaceChildren(h('h2', { class: 'crm-h2' }, `Identity secret · ${site.name}`),
        h('p', { class: 'kb-muted' }, 'Your backend signs Parley(\'identify\') with it (HMAC of the user id, or an HS256 JWT). Keep it on your server; recipes are in the widget README.'),
        h('div', { class: 'crm-row' }, value, reveal, rotate));
    } catch { /* not an admin, or no sites */ }
  }

  async function showContact(id) {
    state.contactId = id;
    el.replaceChildren(h('div', { class: 'conv-loading' }, h('span', { class: 'spinner spinner--dark' })));
    let c;
    try {
      c = await api.contact(id);
    } catch (err) {
      el.replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, err.status === 404 ? 'This contact no longer exists' : 'Couldn’t load the contact'),
        h('p', { class: 'empty-text' }, err.status === 404 ? 'It may have been merged or erased.' : errText(err)),
        h('a', { class: 'btn btn-secondary', href: '#/contacts' }, 'Back to contacts')));
      return;
    }
    if (String(state.contactId) !== String(id)) return;
    renderContact(c);
  }

  function renderContact(c) {
    const name = h('input', { class: 'kb-input', value: c.name || '', maxlength: 200, 'data-testid': 'crm-name' });
    const email = h('input', { class: 'kb-input', type: 'email', value: c.email || '', maxlength: 254, 'data-testid': 'crm-email' });
    const attrs = attributesEditor(c.attributes);
    const save = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'crm-save' }, 'Save');
    const formError = h('p', { class: 'kb-error', role: 'alert' });
    save.addEventListener('click', async () => {
      formError.textContent = '';
      try {
        const updated = await api.patch(c.id, { name: name.value.trim() || null, email: email.value.trim() || null, attributes: attrs.value() });
        toast('Contact saved.');
        renderContact(updated);
      } catch (err) { formError.textContent = errText(err); }
    });

    const noteText = h('textarea', { class: 'kb-input crm-note-input', rows: 2, maxlength: 5000, placeholder: 'Add a private note (never shown to the visitor)', 'aria-label': 'Note', 'data-testid': 'crm-note' });
    const addNote = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Add note');
    addNote.addEventListener('click', async () => {
      if (!noteText.value.trim()) return;
      try { await api.note(c.id, noteText.value.trim()); showContact(c.id); } catch (err) { toast(errText(err), 'error'); }
    });

    const actions = h('div', { class: 'crm-row' });
    if (isLead()) {
      const mergeId = h('input', { class: 'kb-input crm-merge-id', inputmode: 'numeric', placeholder: 'Contact #', 'aria-label': 'Contact to merge into this one' });
      const merge = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Merge into this');
      merge.addEventListener('click', async () => {
        const other = Number(mergeId.value.replace(/^#/, ''));
        if (!Number.isInteger(other) || other <= 0) { toast('Enter the number of the contact to merge.', 'error'); return; }
        if (!confirm(`Merge contact #${other} into this one? Its conversations, visits and notes move here and #${other} is removed.`)) return;
        try { renderContact(await api.merge(c.id, other)); toast('Contacts merged.'); } catch (err) { toast(errText(err), 'error'); }
      });
      const exp = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'crm-export' }, 'Export JSON');
      exp.addEventListener('click', async () => {
        try {
          const data = await api.exportJson(c.id);
          const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
          const a = h('a', { href: url, download: `contact-${c.id}.json` });
          document.body.append(a); a.click(); a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        } catch (err) { toast(errText(err), 'error'); }
      });
      // The archive a person expects to open: contact.json and their files (fetched with the
      // token in a header, saved from a blob: URL).
      const zip = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'crm-export-zip' }, 'Export ZIP with files');
      zip.addEventListener('click', async () => {
        try {
          const res = await fetch(`/api/v1/contacts/${enc(c.id)}/export?format=zip`, {
            headers: { Authorization: `Bearer ${session.token}` }, cache: 'no-store', credentials: 'same-origin',
          });
          if (!res.ok) throw new Error(`Export failed (${res.status})`);
          const url = URL.createObjectURL(await res.blob());
          const a = h('a', { href: url, download: `contact-${c.id}-export.zip` });
          document.body.append(a); a.click(); a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        } catch (err) { toast(errText(err), 'error'); }
      });
      actions.append(mergeId, merge, exp, zip);
    }
    if (isAdmin()) {
      const erase = h('button', { type: 'button', class: 'btn btn-secondary btn-sm crm-danger', 'data-testid': 'crm-erase' }, 'Erase…');
      erase.addEventListener('click', async () => {
        if (!confirm('Erase this contact and all their conversations, messages, visits, files and webhook payloads? This cannot be undone.')) return;
        try { await api.erase(c.id); toast('Contact erased.'); location.hash = '#/contacts'; } catch (err) { toast(errText(err), 'error'); }
      });
      actions.append(erase);
    }

    const timeline = h('ol', { class: 'crm-timeline', 'data-testid': 'crm-timeline' }, ...c.timeline.map((item) => {
      if (item.kind === 'conversation') {
        return h('li', { class: 'crm-tl crm-tl--conv' }, icon('message', 14),
          h('a', { href: `#/all/${item.conversation_id}` }, `Conversation #${item.conversation_id}`), statusPill(item.status),
          item.first_message ? h('span', { class: 'crm-tl-text' }, `“${item.first_message}”`) : null,
          item.handoff_reason ? h('span', { class: 'kb-hint' }, `handoff: ${item.handoff_reason}`) : null,
          h('time', { class: 'crm-tl-at', title: longTime(item.at) }, longTime(item.at)));
      }
      if (item.kind === 'note') {
        return h('li', { class: 'crm-tl crm-tl--note' }, icon('file', 14),
          h('span', { class: 'crm-tl-text' }, item.note.text), h('span', { class: 'kb-hint' }, `— ${item.note.author_name}`),
          h('time', { class: 'crm-tl-at' }, longTime(item.at)));
      }
      return h('li', { class: 'crm-tl crm-tl--page' }, icon('eye', 14),
        h('span', { class: 'crm-tl-text' }, item.title || item.url), h('span', { class: 'kb-hint crm-url' }, item.url),
        h('time', { class: 'crm-tl-at' }, longTime(item.at)));
    }));

    el.replaceChildren(h('section', { class: 'crm-page' },
      h('a', { class: 'btn btn-secondary btn-sm', href: '#/contacts' }, icon('back', 14), 'Contacts'),
      h('header', { class: 'crm-head' },
        h('div', null,
          h('h1', { class: 'crm-title', 'data-testid': 'crm-contact-title' }, c.name || c.email || c.external_id || `Contact #${c.id}`),
          h('p', { class: 'crm-lead' }, `Contact #${c.id}`, ' · ',
            c.verified ? `verified user id ${c.external_id}` : 'unverified (never linked by a typed email)')),
        actions),
      h('div', { class: 'crm-grid' },
        h('div', { class: 'crm-card' },
          h('h2', { class: 'crm-h2' }, 'Details'),
          field('Name', name), field('Email', email),
          h('div', { class: 'crm-field' }, h('span', { class: 'crm-label' }, 'Attributes'), attrs.el,
            h('span', { class: 'kb-hint' }, 'The bot’s escalation rules and routing read these (e.g. plan, vip). true/false and numbers are typed.')),
          h('div', { class: 'crm-row' }, save), formError),
        h('div', { class: 'crm-card' },
          h('h2', { class: 'crm-h2' }, 'Timeline'),
          h('div', { class: 'crm-row' }, noteText, addNote),
          c.timeline.length ? timeline : h('p', { class: 'kb-muted' }, 'Nothing yet.')))));
  }

  // ---------------------------------------------------------------- webhooks
  async function showWebhooks() {
    if (!isAdmin()) {
      el.replaceChildren(h('section', { class: 'crm-page' }, h('p', { class: 'notice' }, icon('info', 16), 'Only admins manage CRM webhooks.')));
      return;
    }
    const body = h('div', { class: 'crm-subs', 'data-testid': 'crm-subs' });
    const url = h('input', { class: 'kb-input crm-grow', type: 'url', placeholder: 'https://crm.example.com/hooks/parley', 'aria-label': 'Receiver URL', 'data-testid': 'crm-sub-url' });
    const add = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'crm-sub-add' }, 'Add subscription');
    const err = h('p', { class: 'kb-error', role: 'alert' });
    el.replaceChildren(h('section', { class: 'crm-page' },
      h('header', { class: 'crm-head' },
        h('div', null, h('h1', { class: 'crm-title' }, 'CRM webhooks'),
          h('p', { class: 'crm-lead' }, 'Signed events (Standard Webhooks) from a durable outbox: retried with back-off, in order per conversation; dead letters can be replayed.'))),
      h('div', { class: 'crm-card' }, h('div', { class: 'crm-row' }, url, add), err),
      body));
    add.addEventListener('click', async () => {
      err.textContent = '';
      try {
        const [site] = await sites();
        await api.createSub({ site_id: site.id, url: url.value.trim() });
        url.value = '';
        render();
      } catch (e) { err.textContent = errText(e); }
    });
    const types = await api.eventTypes().catch(() => []);
    async function render() {
      const subs = await api.subs();
      body.replaceChildren(...subs.map((s) => subCard(s, types, render)));
      if (!subs.length) body.append(h('p', { class: 'kb-muted' }, 'No subscriptions yet.'));
    }
    render().catch((e) => { err.textContent = errText(e); });
  }

  function subCard(s, types, rerender) {
    const secret = h('code', { class: 'crm-code' }, '••••••••••••');
    const show = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Show secret');
    show.addEventListener('click', () => { secret.textContent = s.secret; });
    const act = (label, fn, testid) => {
      const b = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': testid || null }, label);
      b.addEventListener('click', async () => { try { await fn(); await rerender(); } catch (e) { toast(errText(e), 'error'); } });
      return b;
    };
    const filter = h('div', { class: 'crm-events' }, ...types.map((t) => {
      const box = h('input', { type: 'checkbox', checked: !s.events.length || s.events.includes(t) });
      box.addEventListener('change', async () => {
        const chosen = [...filter.querySelectorAll('input')].filter((x) => x.checked).map((x) => x.parentElement.textContent);
        try { await api.patchSub(s.id, { events: chosen.length === types.length ? [] : chosen }); } catch (e) { toast(errText(e), 'error'); }
      });
      return h('label', { class: 'crm-event' }, box, t);
    }));
    const log = h('div', { class: 'crm-log', 'data-testid': `crm-log-${s.id}` });
    const statusSel = h('select', { class: 'kb-select', 'aria-label': 'Delivery status' },
      ...[['', 'All'], ['pending', 'Pending'], ['delivered', 'Delivered'], ['dead', 'Dead']].map(([v, l]) => h('option', { value: v }, l)));
    async function loadLog() {
      const res = await api.deliveries(s.id, statusSel.value);
      log.replaceChildren(h('table', { class: 'crm-table' },
        h('thead', null, h('tr', null, ...['Event', 'Status', 'Tries', 'Last answer', 'Time', 'When', ''].map((x) => h('th', null, x)))),
        h('tbody', null, ...res.items.map((d) => {
          const replay = d.status === 'pending' ? null : h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'crm-replay' }, 'Replay');
          replay?.addEventListener('click', async () => { try { await api.replay(d.id); toast('Queued again, same delivery id.'); loadLog(); } catch (e) { toast(errText(e), 'error'); } });
          return h('tr', { 'data-status': d.status },
            h('td', { title: d.delivery_id }, d.event_type, d.conversation_id ? h('span', { class: 'kb-hint' }, ` #${d.conversation_id}`) : null),
            h('td', null, h('span', { class: `pill crm-st--${d.status}` }, d.status)),
            h('td', null, String(d.attempts)),
            h('td', { class: 'crm-err' }, d.last_status_code ? String(d.last_status_code) : (d.last_error || '—')),
            h('td', null, d.last_duration_ms != null ? `${d.last_duration_ms} ms` : '—'),
            h('td', null, timeEl(d.created_at)),
            h('td', null, replay));
        }))),
        ...(res.items.length ? [] : [h('p', { class: 'kb-muted' }, 'No deliveries.')]));
    }
    statusSel.addEventListener('change', loadLog);
    loadLog().catch(() => {});
    const c = s.counts || {};
    return h('article', { class: 'crm-card', 'data-sub': String(s.id) },
      h('div', { class: 'crm-row' }, h('strong', { class: 'crm-url' }, s.url),
        h('span', { class: `pill ${s.active ? 'pill--assigned' : ''}` }, s.active ? 'Active' : 'Paused'),
        h('span', { class: 'kb-hint' }, `${c.delivered ?? 0} delivered · ${c.pending ?? 0} pending · ${c.dead ?? 0} dead`)),
      h('div', { class: 'crm-row' }, secret, show,
        act('Rotate secret', () => api.rotateSub(s.id)),
        act('Send test', () => api.testSub(s.id)),
        act(s.active ? 'Pause' : 'Resume', () => api.patchSub(s.id, { active: !s.active })),
        act('Replay dead', async () => { const r = await api.replayDead(s.id); toast(`${r.replayed} queued again.`); }, 'crm-replay-dead'),
        act('Delete', async () => { if (confirm('Delete this subscription and its delivery log?')) await api.deleteSub(s.id); })),
      h('details', { class: 'crm-details' }, h('summary', null, 'Events sent'), filter),
      h('div', { class: 'crm-row' }, h('h3', { class: 'crm-h3' }, 'Delivery log'), statusSel,
        h('button', { type: 'button', class: 'icon-btn', title: 'Refresh', 'aria-label': 'Refresh the log', onclick: () => loadLog() }, icon('refresh', 14))),
      log);
  }

  // ---------------------------------------------------------------- routing
  function route(hash) {
    const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    const [page, id] = parts;
    webhooksItem.hidden = !isAdmin();
    for (const a of navSection.closest('nav')?.querySelectorAll('.nav-item[aria-current]') || []) a.removeAttribute('aria-current');
    (page === 'webhooks' ? navWebhooks : navContacts).setAttribute('aria-current', 'page');
    if (page === 'webhooks') { document.title = 'Webhooks · Parley'; showWebhooks(); return; }
    document.title = 'Contacts · Parley';
    if (id && /^\d+$/.test(id)) showContact(id);
    else { state.contactId = null; showList(); }
  }

  return {
    el,
    navSection,
    route,
    load() { webhooksItem.hidden = !isAdmin(); },
    deactivate() { navContacts.removeAttribute('aria-current'); navWebhooks.removeAttribute('aria-current'); },
  };
}
