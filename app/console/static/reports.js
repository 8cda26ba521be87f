// Reports section of the console (support leads and admins). Route: #/reports
// Figures come from GET /api/v1/reports (docs/api.md "Reports"); charts are drawn by uPlot
// (an npm package the widget build copies to /widget/vendor), loaded on first visit. Every
// chart has a text summary for screen readers and a table with the same numbers.

import { request } from './api.js';
import { h, humanize } from './dom.js';

const PRESETS = [7, 30, 90];
const enc = encodeURIComponent;
const BRAND = '#4f46e5';
const AMBER = '#d97706';
const GREEN = '#15803d';

export function isReportsRoute(hash) {
  return /^#\/reports(\/|$)/.test(hash || '');
}

function zone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

/** 95 s → "1m 35s"; 4000 s → "1h 07m"; null → "—". */
export function duration(s) {
  if (s == null) return '—';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) { const m = Math.floor(s / 60); const r = Math.round(s % 60); return r ? `${m}m ${String(r).padStart(2, '0')}s` : `${m}m`; }
  const hrs = Math.floor(s / 3600); return `${hrs}h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}
const pct = (x) => (x == null ? '—' : `${Math.round(x * 1000) / 10}%`);
const num = (x) => (x == null ? '—' : String(x));

function chartIcon(size = 18) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor', 'stroke-width': 2,
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false', class: 'icon nav-icon',
  })) svg.setAttribute(k, String(v));
  for (const d of ['M3 3v18h18', 'M7 16v-5', 'M12 16V7', 'M17 16v-8']) {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

let uplotReady = null;
function loadUPlot() {
  if (!uplotReady) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/widget/vendor/uplot.min.css' }));
    uplotReady = import('/widget/vendor/uplot.esm.js').then((m) => m.default);
  }
  return uplotReady;
}

function table(caption, head, rows, testid) {
  return h('table', { class: 'rp-table', 'data-testid': testid },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', null, h('tr', null, head.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, c)))),
    h('tbody', null, rows.length ? rows.map((r) => h('tr', null, r.map((c, i) => (i
      ? h('td', { class: 'num' }, c) : h('th', { scope: 'row' }, c)))))
      : h('tr', null, h('td', { colspan: String(head.length), class: 'rp-none' }, 'Nothing in this period.'))));
}

export function createReports({ getMe }) {
  const canSee = () => ['lead', 'admin'].includes(getMe()?.role);
  const state = { days: 30, start: '', end: '', team: '', agent: '', data: null, seq: 0 };
  const charts = [];

  // ---- nav ----
  const navItem = h('a', { class: 'nav-item', href: '#/reports', 'data-view': 'reports', title: 'Reports', 'data-testid': 'nav-reports' },
    chartIcon(), h('span', { class: 'nav-label' }, 'Reports'));
  const navSection = h('div', { class: 'kb-nav rp-nav', hidden: !canSee() },
    h('div', { class: 'nav-section-label' }, 'Insights'),
    h('ul', { class: 'nav-views', role: 'list' }, h('li', null, navItem)));

  // ---- controls ----
  const presetBtns = PRESETS.map((d) => {
    const b = h('button', { type: 'button', class: 'rp-seg', 'aria-pressed': 'false', 'data-testid': `reports-days-${d}` }, `${d} days`);
    b.addEventListener('click', () => { state.days = d; state.start = state.end = ''; customBox.hidden = true; load(); });
    return b;
  });
  const customBtn = h('button', { type: 'button', class: 'rp-seg', 'aria-pressed': 'false', 'aria-controls': 'rp-custom', 'data-testid': 'reports-custom' }, 'Custom');
  const startIn = h('input', { type: 'date', class: 'kb-input rp-date', 'aria-label': 'First day', 'data-testid': 'reports-start', required: true });
  const endIn = h('input', { type: 'date', class: 'kb-input rp-date', 'aria-label': 'Last day', 'data-testid': 'reports-end', required: true });
  const apply = h('button', { type: 'submit', class: 'btn btn-primary btn-sm', 'data-testid': 'reports-apply' }, 'Apply');
  const customBox = h('form', { class: 'rp-custom', id: 'rp-custom', hidden: true },
    startIn, h('span', { 'aria-hidden': 'true' }, '–'), endIn, apply);
  customBtn.addEventListener('click', () => { customBox.hidden = !customBox.hidden; if (!customBox.hidden) startIn.focus(); });
  customBox.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!startIn.value || !endIn.value) return;
    state.start = startIn.value; state.end = endIn.value; load();
  });
  const teamSel = h('select', { class: 'kb-select', 'aria-label': 'Team', 'data-testid': 'reports-team' });
  const agentSel = h('select', { class: 'kb-select', 'aria-label': 'Agent', 'data-testid': 'reports-agent' });
  teamSel.addEventListener('change', () => { state.team = teamSel.value; load(); });
  agentSel.addEventListener('change', () => { state.agent = agentSel.value; load(); });
  const periodLabel = h('p', { class: 'list-subtitle rp-period', 'data-testid': 'reports-period' });
  const statusEl = h('div', { class: 'rp-status', role: 'status' });
  const body = h('div', { class: 'rp-body', 'aria-live': 'polite' });
  const page = h('div', { class: 'rp-page' },
    h('header', { class: 'rp-head' },
      h('div', null, h('h1', { class: 'list-title' }, 'Reports'), periodLabel),
      h('div', { class: 'rp-controls' },
        h('div', { class: 'rp-segs', role: 'group', 'aria-label': 'Period' }, presetBtns, customBtn),
        teamSel, agentSel),
      customBox),
    statusEl, body);
  const el = h('section', { class: 'rp-shell', 'aria-label': 'Reports', 'data-testid': 'reports' }, page);

  function params() {
    const p = [`tz=${enc(zone())}`];
    if (state.start && state.end) p.push(`start=${enc(state.start)}`, `end=${enc(state.end)}`);
    else p.push(`days=${state.days}`);
    if (state.team) p.push(`team=${enc(state.team)}`);
    if (state.agent) p.push(`agent_id=${enc(state.agent)}`);
    return p.join('&');
  }

  function syncControls() {
    const custom = Boolean(state.start && state.end);
    for (const [i, b] of presetBtns.entries()) b.setAttribute('aria-pressed', String(!custom && PRESETS[i] === state.days));
    customBtn.setAttribute('aria-pressed', String(custom));
  }

  async function load() {
    syncControls();
    if (!canSee()) {
      body.replaceChildren(h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, 'Reports are for support leads and admins.')));
      return;
    }
    const mine = ++state.seq;
    statusEl.textContent = 'Loading…';
    try {
      const [data, uPlot] = await Promise.all([request('GET', `/api/v1/reports?${params()}`), loadUPlot()]);
      if (mine !== state.seq) return;
      state.data = data;
      statusEl.textContent = '';
      render(data, uPlot);
    } catch (err) {
      if (mine !== state.seq || err.status === 401) return;
      statusEl.textContent = `Couldn’t load the reports: ${err.detail || err.message}`;
    }
  }

  function options(sel, items, current, all) {
    sel.replaceChildren(h('option', { value: '' }, all), ...items.map(([v, label]) => h('option', { value: v, selected: String(v) === String(current) }, label)));
  }

  function kpi(label, value, hint, testid) {
    return h('div', { class: 'rp-kpi', 'data-testid': testid },
      h('span', { class: 'rp-kpi-label' }, label), h('strong', { class: 'rp-kpi-value' }, value), h('span', { class: 'rp-kpi-hint' }, hint));
  }

  function figure(title, summary, chartEl, tableEl, testid) {
    const id = `rp-${testid}`;
    return h('figure', { class: `rp-card rp-figure${testid === 'chart-series' ? ' rp-wide' : ''}`, 'aria-labelledby': `${id}-t`, 'data-testid': testid },
      h('figcaption', { class: 'rp-card-title', id: `${id}-t` }, title),
      h('div', { class: 'rp-chart', role: 'img', 'aria-label': summary }, chartEl),
      h('details', { class: 'rp-details' }, h('summary', null, 'Show as table'), tableEl));
  }

  function destroyCharts() { while (charts.length) charts.pop().destroy(); }

  function drawSeries(target, d, uPlot) {
    // Stacked by drawing cumulative bars front to back: handed off (bottom), resolved by
    // AI, and the rest (still open, or taken over by an agent without a handoff) on top.
    const xs = d.series.map((r) => Date.parse(`${r.date}T00:00:00Z`) / 1000);
    const n = xs.length;
    const step = Math.max(1, Math.ceil(n / 10));
    const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
    const bars = uPlot.paths.bars({ size: [0.7, 56] });
    const u = new uPlot({
      width: Math.max(280, target.clientWidth || 600), height: 240,
      scales: {
        x: { time: false, range: () => [xs[0] - 43200, xs[n - 1] + 43200] },
        y: { range: (_, __, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
      },
      axes: [
        { stroke: '#5b6170', grid: { show: false }, splits: () => xs.filter((_, i) => i % step === 0), values: (_, v) => v.map((x) => dayFmt.format(new Date(x * 1000))) },
        { stroke: '#5b6170', grid: { stroke: '#eceef2' }, size: 40, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      series: [{},
        { label: 'Other', stroke: '#a5b4fc', fill: '#e0e7ff', paths: bars, points: { show: false } },
        { label: 'Resolved by AI', stroke: GREEN, fill: 'rgba(21,128,61,.75)', paths: bars, points: { show: false } },
        { label: 'Handed off', stroke: AMBER, fill: 'rgba(217,119,6,.85)', paths: bars, points: { show: false } }],
    }, [xs, ...[(r) => r.conversations, (r) => r.ai_resolved + r.escalated, (r) => r.escalated].map((f) => d.series.map((r) => f(r) || null))], target);
    charts.push(u);
  }

  function drawCsat(target, d, uPlot) {
    const xs = [1, 2, 3, 4, 5];
    const u = new uPlot({
      width: Math.max(240, target.clientWidth || 360), height: 200,
      scales: { x: { time: false, range: [0.4, 5.6] }, y: { range: (_, __, max) => [0, Math.max(2, Math.ceil(max * 1.2))] } },
      axes: [{ stroke: '#5b6170', grid: { show: false }, splits: () => xs, values: (_, v) => v.map((x) => `${x}★`) },
        { stroke: '#5b6170', grid: { stroke: '#eceef2' }, size: 32, incrs: [1, 2, 5, 10, 20, 50, 100] }],
      legend: { show: false },
      cursor: { show: false },
      series: [{}, { label: 'Ratings', stroke: AMBER, fill: 'rgba(217,119,6,.55)', paths: uPlot.paths.bars({ size: [0.55, 60] }), points: { show: false } }],
    }, [xs, xs.map((n) => d.csat.distribution[String(n)] || 0)], target);
    charts.push(u);
  }

  function render(d, uPlot) {
    destroyCharts();
    const p = d.period;
    const last = new Date(Date.parse(p.end) - 1);
    const fmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: p.tz });
    periodLabel.textContent = `${fmt.format(new Date(p.start))} – ${fmt.format(last)} · ${p.days} days · ${p.tz}`;
    options(teamSel, d.options.teams.map((t) => [t, humanize(t)]), state.team, 'All teams');
    options(agentSel, d.options.agents.map((a) => [a.id, a.name]), state.agent, 'All agents');
    const t = d.totals;
    const kpis = h('div', { class: 'rp-kpis' },
      kpi('Conversations', String(t.conversations), `${t.closed} closed · ${t.open} open`, 'kpi-conversations'),
      kpi('AI resolution', pct(d.rates.ai_resolution), `${t.ai_resolved} closed without a person`, 'kpi-ai'),
      kpi('Handoff rate', pct(d.rates.handoff), `${t.escalated} handed to a person`, 'kpi-handoff'),
      kpi('First response', duration(d.first_response.median), `median · avg ${duration(d.first_response.average)}`, 'kpi-frt'),
      kpi('Wait time', duration(d.wait.median), `median · p90 ${duration(d.wait.p90)}`, 'kpi-wait'),
      kpi('Handle time', duration(d.handle.median), `median · avg ${duration(d.handle.average)}`, 'kpi-handle'),
      kpi('CSAT', d.csat.average == null ? '—' : `${d.csat.average.toFixed(2)} / 5`, `${d.csat.count} ratings · ${pct(d.csat.response_rate)} answered`, 'kpi-csat'));

    const seriesTarget = h('div', { class: 'rp-plot', 'aria-hidden': 'true' });
    const peak = d.series.reduce((a, r) => (r.conversations > (a?.conversations ?? -1) ? r : a), null);
    const seriesFig = figure('Conversations over time',
      `Conversations per day: ${t.conversations} in total, ${t.ai_resolved} resolved by AI, ${t.escalated} handed off${peak && peak.conversations ? `; busiest day ${peak.date} with ${peak.conversations}` : ''}.`,
      seriesTarget,
      table('Conversations per day', ['Day', 'Conversations', 'Resolved by AI', 'Handed off'],
        d.series.map((r) => [r.date, String(r.conversations), String(r.ai_resolved), String(r.escalated)]), 'reports-series-table'),
      'chart-series');

    const csatTarget = h('div', { class: 'rp-plot', 'aria-hidden': 'true' });
    const dist = [1, 2, 3, 4, 5].map((n) => `${n} stars: ${d.csat.distribution[String(n)] || 0}`).join(', ');
    const csatFig = figure('CSAT ratings',
      `CSAT ${d.csat.average == null ? 'no ratings' : `average ${d.csat.average} out of 5 from ${d.csat.count} ratings`}; ${dist}.`,
      csatTarget,
      table('Ratings', ['Stars', 'Ratings'], [1, 2, 3, 4, 5].map((n) => [`${n}`, String(d.csat.distribution[String(n)] || 0)]), 'reports-csat-table'),
      'chart-csat');

    const maxReason = Math.max(1, ...d.handoff_reasons.map((r) => r.count));
    const reasons = h('section', { class: 'rp-card', 'aria-labelledby': 'rp-reasons-t', 'data-testid': 'reports-reasons' },
      h('h2', { class: 'rp-card-title', id: 'rp-reasons-t' }, 'Handoff reasons'),
      d.handoff_reasons.length
        ? h('ul', { class: 'rp-bars', role: 'list' }, d.handoff_reasons.map((r) => {
          const bar = h('span', { class: 'rp-bar-fill' });
          bar.style.width = `${(100 * r.count) / maxReason}%`;
          return h('li', { class: 'rp-bar' },
            h('span', { class: 'rp-bar-label' }, humanize(r.reason)),
            h('span', { class: 'rp-bar-track', 'aria-hidden': 'true' }, bar),
            h('span', { class: 'rp-bar-value' }, String(r.count)));
        }))
        : h('p', { class: 'rp-none' }, 'No handoffs in this period.'));

    const groupRows = (rows) => rows.map((g) => [g.name === '(no team)' ? 'No team' : humanize(g.name), String(g.conversations), String(g.escalated),
      duration(g.first_response_median), duration(g.wait_median), duration(g.handle_median),
      g.csat_average == null ? '—' : `${g.csat_average.toFixed(2)} (${g.csat_count})`]);
    const head = ['Conversations', 'Handed off', 'First response', 'Wait', 'Handle', 'CSAT'];
    const teams = h('section', { class: 'rp-card rp-wide', 'aria-labelledby': 'rp-teams-t' },
      h('h2', { class: 'rp-card-title', id: 'rp-teams-t' }, 'By team'),
      h('div', { class: 'rp-scroll' }, table('By team (medians)', ['Team', ...head], groupRows(d.teams), 'reports-teams')));
    const agents = h('section', { class: 'rp-card rp-wide', 'aria-labelledby': 'rp-agents-t' },
      h('h2', { class: 'rp-card-title', id: 'rp-agents-t' }, 'By agent'),
      h('div', { class: 'rp-scroll' }, table('By agent (medians)', ['Agent', ...head], groupRows(d.agents), 'reports-agents')));

    body.replaceChildren(kpis, h('div', { class: 'rp-grid' }, seriesFig, csatFig, reasons, teams, agents),
      h('p', { class: 'rp-foot' }, 'Conversations started in the period. AI resolution: closed without ever going to a person. First response: from the visitor’s message to the first reply by a person after the handoff. Wait: handoff to assignment. Handle: assignment to close. Times are medians unless marked. In the chart, ‘Other’ counts conversations still open, or taken over by an agent without a handoff.'));
    drawSeries(seriesTarget, d, uPlot);
    drawCsat(csatTarget, d, uPlot);
  }

  const resize = new ResizeObserver(() => {
    for (const u of charts) {
      const w = u.root.parentElement?.clientWidth;
      if (w && Math.abs(w - u.width) > 4) u.setSize({ width: Math.max(240, w), height: u.height });
    }
  });
  resize.observe(page);

  return {
    el,
    navSection,
    route() {
      navItem.setAttribute('aria-current', 'page');
      navSection.hidden = !canSee();
      document.title = 'Reports · Parley';
      load();
    },
    deactivate() {
      navItem.removeAttribute('aria-current');
      navSection.hidden = !canSee();
    },
  };
}
