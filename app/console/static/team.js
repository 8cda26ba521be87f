// Team settings: agents (add, role, teams, capacity, status), teams (department key, how
// work is shared, answer time-out, members, business hours) and routing rules (ordered,
// first match wins, then the default). Routes (in the URL hash):
//   #/team          agents          #/team/teams    teams          #/team/rules    routing rules
// Everyone may look; leads and admins change teams and rules; admins add agents and roles.

import { request } from './api.js';
import { h, icon, toast, humanize, initials, hueFor, relTime } from './dom.js';
import { routingApi } from './routing.js';

const enc = encodeURIComponent;
const api = {
  ...routingApi,
  createAgent: (body) => request('POST', '/api/v1/agents', body),
  updateAgent: (id, body) => request('PATCH', `/api/v1/agents/${enc(id)}`, body),
  createTeam: (body) => request('POST', '/api/v1/teams', body),
  updateTeam: (id, body) => request('PUT', `/api/v1/teams/${enc(id)}`, body),
  deleteTeam: (id) => request('DELETE', `/api/v1/teams/${enc(id)}`),
  rules: () => request('GET', '/api/v1/routing/rules'),
  createRule: (body) => request('POST', '/api/v1/routing/rules', body),
  updateRule: (id, body) => request('PUT', `/api/v1/routing/rules/${enc(id)}`, body),
  deleteRule: (id) => request('DELETE', `/api/v1/routing/rules/${enc(id)}`),
  order: (ids) => request('PUT', '/api/v1/routing/order', { ids }),
  setDefault: (actions) => request('PUT', '/api/v1/routing/default', { actions }),
};

const TABS = [['', 'Agents'], ['teams', 'Teams'], ['rules', 'Routing rules']];
const DAYS = [['mon', 'Mon'], ['tue', 'Tue'], ['wed', 'Wed'], ['thu', 'Thu'], ['fri', 'Fri'], ['sat', 'Sat'], ['sun', 'Sun']];
const PRIORITIES = [['-1', 'Low'], ['0', 'Normal'], ['1', 'High'], ['2', 'Urgent']];
const FIELDS = [
  ['intent', 'Detected intent'], ['department', 'Bot’s department'], ['category', 'Pre-chat category'],
  ['language', 'Language'], ['customer', 'Customer type'], ['attribute', 'Contact attribute'],
  ['priority', 'Priority'], ['page', 'Page URL'], ['hours', 'Business hours'], ['weekday', 'Day of week'],
];

export function isTeamRoute(hash) {
  return /^#\/team(\/|$)/.test(hash || '');
}

function teamIcon(size = 18) {
  // A small "sliders" glyph for the settings entry (the inbox's Team view uses "users").
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor', 'stroke-width': 2,
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false', class: 'icon nav-icon',
  })) svg.setAttribute(k, String(v));
  for (const d of ['M4 21v-7', 'M4 10V3', 'M12 21v-9', 'M12 8V3', 'M20 21v-5', 'M20 12V3', 'M1 14h6', 'M9 8h6', 'M17 16h6']) {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

function errText(err) {
  return String(err.detail || err.message || 'Something went wrong.').replace(/Value error, /g, '');
}

/** A modal form: fields, an error line, Cancel + a primary action. Resolves on success. */
function dialog({ title, lede, fields, submitLabel, onSubmit, testid }) {
  const dlg = h('dialog', { class: 'transfer-dialog team-dialog', 'aria-labelledby': 'team-dialog-title', 'data-testid': testid || 'team-dialog' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const cancel = h('button', { type: 'button', class: 'btn btn-secondary' }, 'Cancel');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'team-dialog-submit' }, submitLabel);
  const form = h('form', { class: 'transfer-form', novalidate: true },
    h('h2', { id: 'team-dialog-title', class: 'transfer-title' }, title),
    lede ? h('p', { class: 'kb-muted' }, lede) : null,
    fields, error, h('div', { class: 'transfer-actions' }, cancel, submit));
  dlg.append(form);
  document.body.append(dlg);
  const close = () => { if (dlg.open) dlg.close(); dlg.remove(); };
  cancel.addEventListener('click', close);
  dlg.addEventListener('close', () => dlg.remove());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    submit.classList.add('is-busy');
    try {
      const keepOpen = await onSubmit();
      if (!keepOpen) close();
    } catch (err) {
      error.hidden = false;
      error.textContent = errText(err);
    } finally {
      submit.classList.remove('is-busy');
    }
  });
  dlg.showModal();
  form.querySelector('input, select, textarea')?.focus();
  return { dlg, form, error, close };
}

function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', { class: 'team-field' },
    h('label', { class: 'field-label', for: id }, label), control, hint ? h('p', { class: 'kb-hint' }, hint) : null);
}

function statusBadge(a) {
  const state = a.is_active ? a.availability : 'disabled';
  const text = a.is_active ? (a.availability_auto && a.availability !== 'online' ? `${humanize(a.availability)} (auto)` : humanize(a.availability)) : 'Disabled';
  return h('span', { class: 'presence-badge', 'data-state': state }, h('span', { class: 'presence-dot', 'data-state': state, 'aria-hidden': 'true' }), text);
}

export function createTeamSettings({ getMe }) {
  const role = () => getMe()?.role;
  const isAdmin = () => role() === 'admin';
  const isLead = () => ['lead', 'admin'].includes(role());
  const state = { tab: '', agents: [], teams: [], rules: null };

  // ---- nav section (placed in the console's nav by app.js) ----
  const navTeam = h('a', { class: 'nav-item', href: '#/team', 'data-view': 'team-settings', title: 'Team and routing', 'data-testid': 'nav-team-settings' },
    teamIcon(), h('span', { class: 'nav-label' }, 'Team & routing'));
  const navSection = h('div', { class: 'kb-nav team-nav' },
    h('ul', { class: 'nav-views', role: 'list' }, h('li', null, navTeam)));

  const tabs = h('nav', { class: 'team-tabs', 'aria-label': 'Team settings' });
  const body = h('div', { class: 'team-body' });
  const title = h('h1', { class: 'kb-page-title', id: 'team-title', tabindex: '-1' }, 'Team & routing');
  const lede = h('p', { class: 'kb-muted' });
  const action = h('div', { class: 'team-head-actions' });
  const page = h('div', { class: 'team-page' },
    h('header', { class: 'kb-page-head' }, h('div', null, title, lede), action), tabs, body);
  const el = h('section', { class: 'team-shell', 'aria-labelledby': 'team-title', 'data-testid': 'team-settings' }, page);

  function renderTabs() {
    tabs.replaceChildren(...TABS.map(([id, label]) => {
      const a = h('a', { class: 'team-tab', href: id ? `#/team/${id}` : '#/team', 'data-testid': `team-tab-${id || 'agents'}` }, label);
      if (id === state.tab) a.setAttribute('aria-current', 'page');
      return a;
    }));
  }

  async function loadAll() {
    const [agents, teams] = await Promise.all([api.agents(), api.teams()]);
    state.agents = agents;
    state.teams = teams;
  }

  // ------------------------------------------------------------------ agents
  function renderAgents() {
    lede.textContent = 'Who answers chats, in which teams, and how many at once. Routing only gives new conversations to agents who are online and under capacity.';
    action.replaceChildren();
    if (isAdmin()) {
      const add = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'agent-add' }, icon('claim', 14), 'Add agent');
      add.addEventListener('click', () => agentDialog(null));
      action.append(add);
    }
    const teamName = (key) => state.teams.find((t) => t.key === key)?.name || key;
    const rows = state.agents.map((a) => {
      const av = h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(a.name));
      av.style.setProperty('--hue', hueFor(a.name));
      const edit = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'agent-edit', 'aria-label': `Edit ${a.name}` }, 'Edit');
      edit.hidden = !isLead();
      edit.addEventListener('click', () => agentDialog(a));
      const load = h('span', { class: 'team-load', title: 'Open conversations / capacity' },
        h('span', { class: 'team-load-bar', 'aria-hidden': 'true' },
          h('span', { class: 'team-load-fill', style: null })),
        `${a.open_conversations} / ${a.capacity}`);
      load.querySelector('.team-load-fill').style.width = `${a.capacity ? Math.min(100, (100 * a.open_conversations) / a.capacity) : 100}%`;
      return h('li', { class: `team-row${a.is_active ? '' : ' is-disabled'}`, 'data-testid': 'agent-row', 'data-agent-id': String(a.id) },
        av,
        h('div', { class: 'team-row-main' },
          h('div', { class: 'team-row-title' }, h('span', { class: 'team-row-name' }, a.name), h('span', { class: 'role-chip' }, humanize(a.role))),
          h('div', { class: 'team-row-sub' }, a.email),
          h('div', { class: 'team-chips' }, a.teams.length ? a.teams.map((k) => h('span', { class: 'team-chip' }, teamName(k))) : h('span', { class: 'kb-hint' }, 'No team: takes any team’s chats'))),
        h('div', { class: 'team-row-side' }, statusBadge(a), load,
          a.last_seen_at && a.availability !== 'online' ? h('span', { class: 'kb-hint' }, `seen ${relTime(a.last_seen_at)}`) : null),
        h('div', { class: 'team-row-actions' }, edit));
    });
    body.replaceChildren(h('ul', { class: 'team-list', role: 'list', 'aria-label': 'Agents', 'data-testid': 'agent-list' }, rows));
  }

  function teamChecks(selected) {
    if (!state.teams.length) return h('p', { class: 'kb-hint' }, 'No teams yet: create one under Teams.');
    return h('div', { class: 'check-grid' }, state.teams.map((t) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: t.key, checked: selected.includes(t.key) }), h('span', null, t.name))));
  }

  function agentDialog(a) {
    const name = h('input', { class: 'kb-input', value: a?.name || '', required: true, maxlength: '200', 'data-testid': 'agent-name' });
    const email = h('input', { class: 'kb-input', type: 'email', value: a?.email || '', required: true, 'data-testid': 'agent-email', disabled: Boolean(a) });
    const roleSel = h('select', { class: 'kb-select', 'data-testid': 'agent-role', disabled: !isAdmin() },
      ['agent', 'lead', 'admin'].map((r) => h('option', { value: r, selected: (a?.role || 'agent') === r }, humanize(r))));
    const cap = h('input', { class: 'kb-input team-num', type: 'number', min: '0', max: '50', value: String(a?.capacity ?? 3), 'data-testid': 'agent-capacity' });
    const password = h('input', { class: 'kb-input', type: 'password', minlength: '10', autocomplete: 'new-password', placeholder: 'Leave empty to generate one', 'data-testid': 'agent-password' });
    const checks = teamChecks(a?.teams || []);
    const active = h('input', { type: 'checkbox', checked: a ? a.is_active : true });
    const fields = h('div', { class: 'team-fields' },
      field('Name', name), field('Email', email),
      h('div', { class: 'team-field-row' }, field('Role', roleSel, 'Leads edit teams and rules; admins also add agents.'), field('Capacity', cap, 'Open chats at most.')),
      a ? null : field('Password', password, 'At least 10 characters. Empty: we generate one and show it once.'),
      h('div', { class: 'team-field' }, h('span', { class: 'field-label' }, 'Teams'), checks),
      a && isAdmin() ? h('label', { class: 'check' }, active, h('span', null, 'Can sign in and take chats')) : null);
    dialog({
      title: a ? `Edit ${a.name}` : 'Add an agent',
      fields,
      submitLabel: a ? 'Save' : 'Add agent',
      testid: 'agent-dialog',
      onSubmit: async () => {
        const teams = [...fields.querySelectorAll('.check-grid input:checked')].map((i) => i.value);
        let out;
        if (a) {
          const patch = { capacity: Number(cap.value), teams };
          if (isAdmin()) Object.assign(patch, { name: name.value, role: roleSel.value, is_active: active.checked });
          out = await api.updateAgent(a.id, patch);
        } else {
          out = await api.createAgent({ name: name.value, email: email.value, role: roleSel.value, capacity: Number(cap.value), teams, password: password.value || null });
        }
        await refresh();
        if (out.temporary_password) showPassword(out);
        else toast(a ? 'Agent saved' : 'Agent added', 'success', 3000);
        return false;
      },
    });
  }

  function showPassword(a) {
    const code = h('code', { class: 'team-secret', 'data-testid': 'agent-temp-password' }, a.temporary_password);
    const copy = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Copy');
    copy.addEventListener('click', () => navigator.clipboard?.writeText(a.temporary_password).then(() => toast('Copied', 'success', 2000)).catch(() => {}));
    const d = dialog({
      title: `${a.name} can sign in now`,
      lede: `Give them this password with their email (${a.email}). It is shown only once.`,
      fields: h('div', { class: 'team-secret-row' }, code, copy),
      submitLabel: 'Done',
      onSubmit: async () => false,
    });
    d.form.querySelector('.btn-secondary:not(.btn-sm)').hidden = true;
  }

  // ------------------------------------------------------------------ teams
  function hoursSummary(t) {
    const bh = t.business_hours;
    if (!bh) return 'Site’s business hours';
    const days = DAYS.filter(([d]) => bh.days?.[d]?.length).map(([, l]) => l);
    const first = Object.values(bh.days || {})[0]?.[0];
    return `${days.join(' ') || 'Closed'}${first ? ` · ${first[0]}–${first[1]}` : ''} · ${bh.timezone}`;
  }

  function renderTeams() {
    lede.textContent = 'A team serves one department, named as the bot names it (support, billing, sales). Escalations and routing rules send conversations to its queue.';
    action.replaceChildren();
    if (isLead()) {
      const add = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'team-add' }, icon('users', 14), 'New team');
      add.addEventListener('click', () => teamDialog(null));
      action.append(add);
    }
    if (!state.teams.length) {
      body.replaceChildren(h('div', { class: 'empty' }, h('div', { class: 'empty-icon' }, icon('users', 22)),
        h('p', { class: 'empty-title' }, 'No teams yet'),
        h('p', { class: 'empty-text' }, 'Without teams every online agent takes any conversation. Create billing, sales or support to route by department.')));
      return;
    }
    const byId = new Map(state.agents.map((a) => [a.id, a]));
    body.replaceChildren(h('ul', { class: 'team-cards', role: 'list', 'data-testid': 'team-list' }, state.teams.map((t) => {
      const edit = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'aria-label': `Edit ${t.name}`, 'data-testid': 'team-edit' }, 'Edit');
      edit.hidden = !isLead();
      edit.addEventListener('click', () => teamDialog(t));
      const people = t.member_ids.map((id) => byId.get(id)).filter(Boolean);
      return h('li', { class: 'team-card', 'data-testid': 'team-card' },
        h('div', { class: 'team-card-head' },
          h('div', null, h('h2', { class: 'team-card-title' }, t.name), h('code', { class: 'team-key' }, t.key)),
          edit),
        h('dl', { class: 'team-facts' },
          h('div', null, h('dt', null, 'Online'), h('dd', null, `${t.agents_online} of ${t.member_ids.length}`)),
          h('div', null, h('dt', null, 'Waiting'), h('dd', { class: t.waiting ? 'is-warn' : '' }, String(t.waiting))),
          h('div', null, h('dt', null, 'Shared'), h('dd', null, t.assignment === 'round_robin' ? 'Round robin' : 'Least loaded')),
          h('div', null, h('dt', null, 'Unanswered'), h('dd', null, t.answer_timeout_seconds ? `moves after ${Math.round(t.answer_timeout_seconds / 60)} min` : 'never moves'))),
        h('p', { class: 'team-hours' }, h('span', { class: `hours-status-dot${t.open_now ? ' is-open' : ''}`, 'aria-hidden': 'true' }), `${t.open_now ? 'Open' : 'Closed'} now · ${hoursSummary(t)}`),
        h('div', { class: 'team-chips' }, people.length ? people.map((a) => h('span', { class: 'team-chip', 'data-state': a.availability }, h('span', { class: 'presence-dot', 'data-state': a.availability, 'aria-hidden': 'true' }), a.name))
          : h('span', { class: 'kb-hint' }, 'No members: any online agent takes its chats')));
    })));
  }

  function teamDialog(t) {
    const name = h('input', { class: 'kb-input', value: t?.name || '', required: true, maxlength: '100', 'data-testid': 'team-name' });
    const key = h('input', { class: 'kb-input', value: t?.key || '', required: true, maxlength: '50', pattern: '[a-z][a-z0-9_-]*', spellcheck: 'false', 'data-testid': 'team-key' });
    const mode = h('select', { class: 'kb-select', 'data-testid': 'team-assignment' },
      h('option', { value: 'least_loaded', selected: t?.assignment !== 'round_robin' }, 'Least loaded (fewest open chats)'),
      h('option', { value: 'round_robin', selected: t?.assignment === 'round_robin' }, 'Round robin (in turn)'));
    const timeout = h('input', { class: 'kb-input team-num', type: 'number', min: '0', max: '1440', value: String(Math.round((t?.answer_timeout_seconds ?? 300) / 60)), 'data-testid': 'team-timeout' });
    const members = h('div', { class: 'check-grid' }, state.agents.filter((a) => a.is_active).map((a) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', value: String(a.id), checked: Boolean(t?.member_ids.includes(a.id)) }), h('span', null, a.name))));
    // Hours: the site's, or the team's own (one range a day keeps the form short).
    const bh = t?.business_hours;
    const own = h('input', { type: 'checkbox', checked: Boolean(bh), 'data-testid': 'team-own-hours' });
    const tz = h('input', { class: 'kb-input', value: bh?.timezone || (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'), 'aria-label': 'Time zone', spellcheck: 'false' });
    const dayRows = DAYS.map(([d, label]) => {
      const r = bh?.days?.[d]?.[0];
      const on = h('input', { type: 'checkbox', checked: bh ? Boolean(r) : !['sat', 'sun'].includes(d), 'aria-label': `Open on ${label}` });
      const s = h('input', { class: 'kb-input hours-time', type: 'time', value: r?.[0] || '09:00', 'aria-label': `${label} opens` });
      const e = h('input', { class: 'kb-input hours-time', type: 'time', value: r ? (r[1] === '24:00' ? '00:00' : r[1]) : '17:00', 'aria-label': `${label} closes` });
      return { d, on, s, e, row: h('div', { class: 'team-day' }, h('label', { class: 'check' }, on, h('span', null, label)), s, h('span', { 'aria-hidden': 'true' }, '–'), e) };
    });
    const holidays = h('input', { class: 'kb-input', value: (bh?.holidays || []).join(', '), placeholder: '2026-12-25, 2027-01-01', 'aria-label': 'Holidays' });
    const hoursBox = h('div', { class: 'team-hours-box' }, field('Time zone', tz), h('div', { class: 'team-days' }, dayRows.map((x) => x.row)), field('Holidays (closed all day)', holidays));
    const syncHours = () => { hoursBox.hidden = !own.checked; };
    own.addEventListener('change', syncHours);
    syncHours();
    const fields = h('div', { class: 'team-fields' },
      h('div', { class: 'team-field-row' }, field('Name', name), field('Department key', key, 'As the bot names it: support, billing, sales…')),
      h('div', { class: 'team-field-row' }, field('Assignment', mode), field('Move on after (minutes)', timeout, 'If the agent has not answered. 0: never.')),
      h('div', { class: 'team-field' }, h('span', { class: 'field-label' }, 'Members'), members),
      h('div', { class: 'team-field' }, h('label', { class: 'check' }, own, h('span', null, 'Own business hours (otherwise the site’s)')), hoursBox));
    let del = null;
    const d = dialog({
      title: t ? `Edit ${t.name}` : 'New team',
      fields,
      submitLabel: t ? 'Save' : 'Create team',
      testid: 'team-dialog',
      onSubmit: async () => {
        const body = {
          name: name.value, key: key.value.trim().toLowerCase(), assignment: mode.value,
          answer_timeout_seconds: Math.max(0, Math.round(Number(timeout.value || 0) * 60)),
          member_ids: [...members.querySelectorAll('input:checked')].map((i) => Number(i.value)),
          business_hours: own.checked ? {
            timezone: tz.value.trim(),
            days: Object.fromEntries(dayRows.filter((x) => x.on.checked).map((x) => [x.d, [[x.s.value, x.e.value === '00:00' ? '24:00' : x.e.value]]])),
            holidays: holidays.value.split(/[\s,]+/).filter(Boolean),
          } : null,
        };
        if (t) await api.updateTeam(t.id, body); else await api.createTeam(body);
        await refresh();
        toast(t ? 'Team saved' : 'Team created', 'success', 3000);
        return false;
      },
    });
    if (t) {
      del = h('button', { type: 'button', class: 'btn btn-secondary team-danger' }, 'Delete team');
      del.addEventListener('click', async () => {
        if (!window.confirm(`Delete ${t.name}? Its conversations keep their team name; any online agent can take them.`)) return;
        try { await api.deleteTeam(t.id); d.close(); await refresh(); toast('Team deleted', 'success', 3000); } catch (err) { d.error.hidden = false; d.error.textContent = errText(err); }
      });
      d.form.querySelector('.transfer-actions').prepend(del);
    }
  }

  // ------------------------------------------------------------------ rules
  function describeCondition(c) {
    const list = (v) => (Array.isArray(v) ? v.join(' or ') : String(v));
    const neg = c.op === 'not_in' ? ' is not ' : ' is ';
    switch (c.field) {
      case 'attribute': {
        const ops = { equals: 'is', not_equals: 'is not', in: 'is one of', gte: '≥', lte: '≤' };
        if (c.op === 'exists') return `contact ${c.key} is set`;
        if (c.op === 'not_exists') return `contact ${c.key} is not set`;
        return `contact ${c.key} ${ops[c.op] || c.op} ${list(c.value)}`;
      }
      case 'priority': return `priority ${{ eq: '=', gte: '≥', lte: '≤' }[c.op] || c.op} ${PRIORITIES.find((p) => p[0] === String(c.value))?.[1] || c.value}`;
      case 'page': return `page ${c.match === 'glob' ? 'matches' : 'contains'} ${c.value}`;
      case 'hours': return c.value === 'in' ? 'in business hours' : 'out of business hours';
      case 'weekday': return `on ${list(c.value)}`;
      default: return `${(FIELDS.find((f) => f[0] === c.field)?.[1] || c.field).toLowerCase()}${neg}${list(c.value)}`;
    }
  }

  function describeActions(a) {
    const parts = [];
    const teamName = (k) => state.teams.find((t) => t.key === k)?.name || k;
    if (a.team) parts.push(`team ${teamName(a.team)}`);
    if (a.priority != null) parts.push(`priority ${PRIORITIES.find((p) => p[0] === String(a.priority))?.[1] || a.priority}`);
    if (a.agent_id != null) parts.push(`agent ${state.agents.find((x) => x.id === a.agent_id)?.name || `#${a.agent_id}`}`);
    if (a.labels?.length) parts.push(`label ${a.labels.join(', ')}`);
    return parts;
  }

  function renderRules() {
    lede.textContent = 'Checked in order when the bot hands a conversation over; the first rule whose conditions all hold decides. Each decision is noted on the conversation for agents.';
    action.replaceChildren();
    if (isLead()) {
      const add = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'rule-add' }, icon('flag', 14), 'New rule');
      add.addEventListener('click', () => ruleDialog(null));
      action.append(add);
    }
    const { rules, default: def } = state.rules;
    const move = async (i, delta) => {
      const ids = rules.map((r) => r.id);
      const [x] = ids.splice(i, 1);
      ids.splice(i + delta, 0, x);
      try { state.rules = await api.order(ids); renderRules(); } catch (err) { toast(errText(err), 'error'); }
    };
    const items = rules.map((r, i) => {
      const up = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `Move ${r.name} up`, disabled: i === 0 || !isLead() }, icon('back', 16, 'rot-up'));
      const down = h('button', { type: 'button', class: 'icon-btn', 'aria-label': `Move ${r.name} down`, disabled: i === rules.length - 1 || !isLead() }, icon('back', 16, 'rot-down'));
      up.addEventListener('click', () => move(i, -1));
      down.addEventListener('click', () => move(i, 1));
      const edit = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'rule-edit', hidden: !isLead() }, 'Edit');
      edit.addEventListener('click', () => ruleDialog(r));
      const toggle = h('input', { type: 'checkbox', checked: r.enabled, disabled: !isLead(), 'aria-label': `${r.name} enabled` });
      toggle.addEventListener('change', async () => {
        try { await api.updateRule(r.id, { name: r.name, enabled: toggle.checked, conditions: r.conditions, actions: r.actions }); await refresh(); } catch (err) { toggle.checked = !toggle.checked; toast(errText(err), 'error'); }
      });
      return h('li', { class: `rule-card${r.enabled ? '' : ' is-off'}`, 'data-testid': 'rule-card' },
        h('span', { class: 'rule-num', 'aria-hidden': 'true' }, String(i + 1)),
        h('div', { class: 'rule-main' },
          h('div', { class: 'rule-name' }, r.name),
          h('p', { class: 'rule-line' }, h('span', { class: 'rule-kw' }, 'When '),
            r.conditions.length ? r.conditions.map((c, j) => [j ? h('span', { class: 'rule-kw' }, ' and ') : null, h('span', { class: 'rule-cond' }, describeCondition(c))]) : h('span', { class: 'rule-cond' }, 'always')),
          h('p', { class: 'rule-line' }, h('span', { class: 'rule-kw' }, 'Then '), describeActions(r.actions).map((p) => h('span', { class: 'rule-act' }, p)))),
        h('div', { class: 'rule-side' }, h('label', { class: 'switch', title: r.enabled ? 'On' : 'Off' }, toggle, h('span', { class: 'switch-track', 'aria-hidden': 'true' })), up, down, edit));
    });
    const defEdit = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', hidden: !isLead(), 'data-testid': 'rule-default-edit' }, 'Edit');
    defEdit.addEventListener('click', () => ruleDialog(def, { isDefault: true }));
    const defActs = describeActions(def.actions);
    items.push(h('li', { class: 'rule-card rule-card--default', 'data-testid': 'rule-default' },
      h('span', { class: 'rule-num', 'aria-hidden': 'true' }, '∗'),
      h('div', { class: 'rule-main' },
        h('div', { class: 'rule-name' }, 'Otherwise'),
        h('p', { class: 'rule-line' }, h('span', { class: 'rule-kw' }, 'Then '),
          defActs.length ? defActs.map((p) => h('span', { class: 'rule-act' }, p)) : h('span', { class: 'rule-cond' }, 'the bot’s department is the team'))),
      h('div', { class: 'rule-side' }, defEdit)));
    const list = h('ol', { class: 'rule-list', 'data-testid': 'rule-list' }, items);
    if (rules.length) body.replaceChildren(list);
    else body.replaceChildren(h('p', { class: 'kb-muted team-empty-rules' }, 'No rules yet: every escalation goes to the team of the department the bot chose.'), list);
  }

  function conditionEditor(c) {
    const fieldSel = h('select', { class: 'kb-select', 'aria-label': 'Condition', 'data-testid': 'cond-field' }, FIELDS.map(([v, l]) => h('option', { value: v, selected: v === c.field }, l)));
    const slot = h('span', { class: 'cond-slot' });
    const remove = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Remove condition' }, icon('x', 16));
    const row = h('li', { class: 'cond-row' }, fieldSel, slot, remove);
    let read = () => ({});
    const words = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
    function build(cur) {
      const f = fieldSel.value;
      const opSel = (ops, value) => h('select', { class: 'kb-select cond-op', 'aria-label': 'Comparison' }, ops.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
      if (['intent', 'department', 'category', 'language'].includes(f)) {
        const op = opSel([['in', 'is'], ['not_in', 'is not']], cur.op);
        const val = h('input', { class: 'kb-input', value: (cur.value || []).join(', '), placeholder: { intent: 'billing_dispute, legal_threat', department: 'billing', category: 'Billing', language: 'en, fr' }[f], 'aria-label': 'Values, comma-separated', 'data-testid': 'cond-value' });
        slot.replaceChildren(op, val);
        read = () => ({ field: f, op: op.value, value: words(val.value) });
      } else if (f === 'customer') {
        const op = opSel([['in', 'is'], ['not_in', 'is not']], cur.op);
        const val = h('select', { class: 'kb-select', 'aria-label': 'Customer type', 'data-testid': 'cond-value' }, [['anonymous', 'Anonymous'], ['identified', 'Identified'], ['returning', 'Returning']].map(([v, l]) => h('option', { value: v, selected: (cur.value || [])[0] === v }, l)));
        slot.replaceChildren(op, val);
        read = () => ({ field: f, op: op.value, value: [val.value] });
      } else if (f === 'attribute') {
        const key = h('input', { class: 'kb-input cond-key', value: cur.key || '', placeholder: 'plan', 'aria-label': 'Attribute', 'data-testid': 'cond-key' });
        const op = opSel([['equals', 'is'], ['not_equals', 'is not'], ['in', 'is one of'], ['gte', '≥'], ['lte', '≤'], ['exists', 'is set'], ['not_exists', 'is not set']], cur.op || 'equals');
        const val = h('input', { class: 'kb-input', value: Array.isArray(cur.value) ? cur.value.join(', ') : (cur.value ?? ''), placeholder: 'enterprise', 'aria-label': 'Value', 'data-testid': 'cond-value' });
        const sync = () => { val.hidden = ['exists', 'not_exists'].includes(op.value); };
        op.addEventListener('change', sync);
        sync();
        slot.replaceChildren(key, op, val);
        const typed = (s) => (s === 'true' ? true : s === 'false' ? false : s !== '' && !Number.isNaN(Number(s)) ? Number(s) : s);
        read = () => {
          const o = { field: f, key: key.value.trim(), op: op.value };
          if (op.value === 'in') o.value = words(val.value).map(typed);
          else if (!['exists', 'not_exists'].includes(op.value)) o.value = typed(val.value.trim());
          return o;
        };
      } else if (f === 'priority') {
        const op = opSel([['gte', 'at least'], ['eq', 'is'], ['lte', 'at most']], cur.op || 'gte');
        const val = h('select', { class: 'kb-select', 'aria-label': 'Priority' }, PRIORITIES.map(([v, l]) => h('option', { value: v, selected: String(cur.value ?? 1) === v }, l)));
        slot.replaceChildren(op, val);
        read = () => ({ field: f, op: op.value, value: Number(val.value) });
      } else if (f === 'page') {
        const op = opSel([['contains', 'contains'], ['glob', 'matches']], cur.match || 'contains');
        const val = h('input', { class: 'kb-input', value: cur.value || '', placeholder: '/pricing or /checkout/*', 'aria-label': 'URL', 'data-testid': 'cond-value' });
        slot.replaceChildren(op, val);
        read = () => ({ field: f, match: op.value, value: val.value.trim() });
      } else if (f === 'hours') {
        const val = opSel([['in', 'in business hours'], ['out', 'out of business hours']], cur.value || 'in');
        slot.replaceChildren(val);
        read = () => ({ field: f, value: val.value });
      } else {
        const days = h('span', { class: 'cond-days' }, DAYS.map(([d, l]) => h('label', { class: 'check check--chip' }, h('input', { type: 'checkbox', value: d, checked: (cur.value || []).includes(d) }), h('span', null, l))));
        slot.replaceChildren(days);
        read = () => ({ field: f, value: [...days.querySelectorAll('input:checked')].map((i) => i.value) });
      }
    }
    fieldSel.addEventListener('change', () => build({}));
    build(c);
    return { row, read: () => read(), remove };
  }

  function ruleDialog(r, { isDefault = false } = {}) {
    const name = h('input', { class: 'kb-input', value: r?.name || '', maxlength: '120', placeholder: 'Billing disputes to Billing', 'data-testid': 'rule-name' });
    const conds = [];
    const condList = h('ul', { class: 'cond-list', role: 'list' });
    const addCond = (c) => {
      const ed = conditionEditor(c);
      conds.push(ed);
      ed.remove.addEventListener('click', () => { conds.splice(conds.indexOf(ed), 1); ed.row.remove(); });
      condList.append(ed.row);
    };
    for (const c of r?.conditions || []) addCond(c);
    if (!isDefault && !r) addCond({ field: 'intent', op: 'in', value: [] });
    const addBtn = h('button', { type: 'button', class: 'link-btn', 'data-testid': 'cond-add' }, '+ Add condition');
    addBtn.addEventListener('click', () => addCond({ field: 'intent' }));
    const a = r?.actions || {};
    const team = h('select', { class: 'kb-select', 'data-testid': 'rule-team' }, h('option', { value: '' }, 'Keep'), state.teams.map((t) => h('option', { value: t.key, selected: a.team === t.key }, t.name)));
    const prio = h('select', { class: 'kb-select', 'data-testid': 'rule-priority' }, h('option', { value: '' }, 'Keep'), PRIORITIES.map(([v, l]) => h('option', { value: v, selected: a.priority != null && String(a.priority) === v }, l)));
    const agent = h('select', { class: 'kb-select', 'data-testid': 'rule-agent' }, h('option', { value: '' }, 'Anyone in the team'), state.agents.filter((x) => x.is_active).map((x) => h('option', { value: String(x.id), selected: a.agent_id === x.id }, x.name)));
    const labels = h('input', { class: 'kb-input', value: (a.labels || []).join(', '), placeholder: 'vip, refund', 'data-testid': 'rule-labels' });
    const enabled = h('input', { type: 'checkbox', checked: r ? r.enabled : true });
    const fields = h('div', { class: 'team-fields' },
      isDefault ? null : field('Name', name),
      isDefault ? null : h('div', { class: 'team-field' }, h('span', { class: 'field-label' }, 'When all of these hold'), condList, addBtn),
      h('div', { class: 'team-field' }, h('span', { class: 'field-label' }, 'Then'),
        h('div', { class: 'team-field-row team-field-row--4' }, field('Team', team), field('Priority', prio), field('Agent', agent, 'When online with room.'), field('Add labels', labels))),
      isDefault ? null : h('label', { class: 'check' }, enabled, h('span', null, 'Rule is on')));
    const d = dialog({
      title: isDefault ? 'When no rule matches' : r ? 'Edit rule' : 'New rule',
      lede: isDefault ? 'Leave everything on “Keep” to send the conversation to the team of the department the bot chose.' : null,
      fields,
      submitLabel: 'Save rule',
      testid: 'rule-dialog',
      onSubmit: async () => {
        const actions = {};
        if (team.value) actions.team = team.value;
        if (prio.value !== '') actions.priority = Number(prio.value);
        if (agent.value) actions.agent_id = Number(agent.value);
        const ls = labels.value.split(',').map((x) => x.trim()).filter(Boolean);
        if (ls.length) actions.labels = ls;
        if (isDefault) await api.setDefault(actions);
        else {
          const body = { name: name.value, enabled: enabled.checked, conditions: conds.map((c) => c.read()), actions };
          if (r) await api.updateRule(r.id, body); else await api.createRule(body);
        }
        await refresh();
        toast('Rule saved', 'success', 3000);
        return false;
      },
    });
    if (r && !isDefault && isLead()) {
      const del = h('button', { type: 'button', class: 'btn btn-secondary team-danger' }, 'Delete rule');
      del.addEventListener('click', async () => {
        if (!window.confirm(`Delete the rule “${r.name}”?`)) return;
        try { await api.deleteRule(r.id); d.close(); await refresh(); toast('Rule deleted', 'success', 3000); } catch (err) { d.error.hidden = false; d.error.textContent = errText(err); }
      });
      d.form.querySelector('.transfer-actions').prepend(del);
    }
  }

  // ------------------------------------------------------------------ page
  function render() {
    renderTabs();
    if (state.tab === 'teams') renderTeams();
    else if (state.tab === 'rules' && state.rules) renderRules();
    else renderAgents();
  }

  async function refresh() {
    try {
      await loadAll();
      if (state.tab === 'rules') state.rules = await api.rules();
      render();
    } catch (err) {
      if (err.status === 401) return;
      body.replaceChildren(h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, 'Couldn’t load the team'), h('p', { class: 'empty-text' }, errText(err))));
    }
  }

  let active = false;
  return {
    el,
    navSection,
    route(hash) {
      const sub = (hash.match(/^#\/team\/?([a-z]*)/) || [])[1] || '';
      state.tab = TABS.some(([id]) => id === sub) ? sub : '';
      navTeam.setAttribute('aria-current', 'page');
      if (!active) body.replaceChildren(h('div', { class: 'conv-loading' }, h('span', { class: 'spinner spinner--dark' })));
      active = true;
      document.title = 'Team & routing · Parley';
      refresh().then(() => title.focus({ preventScroll: true }));
    },
    deactivate() {
      active = false;
      navTeam.removeAttribute('aria-current');
    },
  };
}
