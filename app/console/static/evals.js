// Evals section of the console (support leads and admins): run a suite through the bot
// against the drafts or the live articles, follow its progress, compare it with the
// baseline, read the failing cases and the full report. Routes (in the URL hash):
//   #/evals            the newest run        #/evals/<run id>     one run
// Every text from the server is set with textContent (h() never parses HTML).

import { request } from './api.js';
import { h, icon, longTime, timeEl, toast } from './dom.js';

const enc = encodeURIComponent;
const POLL_MS = 1000; // a running run: simple and robust
const LIST_POLL_MS = 3000; // someone else's run in progress

const evalsApi = {
  suites: (opts) => request('GET', '/api/v1/evals/suites', undefined, opts),
  runs: (opts) => request('GET', '/api/v1/evals/runs?limit=50', undefined, opts),
  run: (id, opts) => request('GET', `/api/v1/evals/runs/${enc(id)}`, undefined, opts),
  start: (body) => request('POST', '/api/v1/evals/runs', body),
  baseline: (id, on) => request(on ? 'POST' : 'DELETE', `/api/v1/evals/runs/${enc(id)}/baseline`),
  reportJson: (id) => request('GET', `/api/v1/evals/runs/${enc(id)}/report.json`),
};

export function isEvalsRoute(hash) {
  return /^#\/evals(\/|$)/.test(hash || '');
}

export function canRunEvals(me) {
  return ['lead', 'admin'].includes(me?.role);
}

// ---- icons beyond dom.js's set (same 24px stroke style) ----
const SVG_NS = 'http://www.w3.org/2000/svg';
const PATHS = {
  gauge: ['M12 14l4-4', 'M3.34 19a10 10 0 1 1 17.32 0'],
  play: ['M6 4l14 8-14 8z'],
  star: ['M12 2l3.09 6.26L22 9.27l-5 4.87 1.18 6.88L12 17.77l-6.18 3.25L7 14.14 2 9.27l6.91-1.01z'],
  download: ['M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4', 'M7 10l5 5 5-5', 'M12 15V3'],
};

function evIcon(name, size = 16, cls = '') {
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor', 'stroke-width': 2,
    'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false',
  })) svg.setAttribute(k, String(v));
  svg.setAttribute('class', `icon ${cls}`.trim());
  for (const d of PATHS[name] || []) {
    const p = document.createElementNS(SVG_NS, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

// ---- formatting ----
const pct = (v) => (v == null ? '—' : `${(100 * v).toFixed(1).replace(/\.0$/, '')}%`);
const active = (run) => run && (run.status === 'queued' || run.status === 'running');

function fmtValue(kind, v) {
  if (v == null) return '—';
  if (kind === 'ms') return `${Math.round(v)} ms`;
  if (kind === 'num') return v.toFixed(3);
  return pct(v);
}

function fmtDelta(kind, d) {
  if (d == null) return '';
  if (kind === 'ms') return `${d > 0 ? '+' : ''}${Math.round(d)} ms`;
  if (Math.abs(d) < 1e-9) return '±0';
  if (kind === 'num') return `${d > 0 ? '+' : ''}${d.toFixed(3)}`;
  return `${d > 0 ? '+' : '−'}${Math.abs(100 * d).toFixed(1)} pt`;
}

function kbLabel(run) {
  return run.include_drafts ? 'Drafts' : 'Live articles';
}

function statusPill(run) {
  if (run.status === 'done') {
    if (run.gate_passed == null) return h('span', { class: 'pill' }, 'Done');
    return run.gate_passed
      ? h('span', { class: 'pill ev-pill--pass' }, 'Gate passed')
      : h('span', { class: 'pill ev-pill--fail' }, 'Gate failed');
  }
  if (run.status === 'failed') return h('span', { class: 'pill ev-pill--error' }, 'Run failed');
  const label = run.status === 'queued' || !run.total ? 'Starting' : `Running ${run.done}/${run.total}`;
  return h('span', { class: 'pill ev-pill--running' }, h('span', { class: 'pill-dot' }), label);
}

export function createEvals({ getMe }) {
  const state = {
    suites: [],
    runs: [],
    runningId: null,
    selectedId: null,
    detail: null,
    pickNewest: false, // #/evals: open the newest run once the list is in
  };
  let detailTimer = null;
  let listTimer = null;
  let detailSeq = 0;

  // ---- nav section (placed in the console's nav by app.js; leads and admins only) ----
  const navItem = h('a', { class: 'nav-item', href: '#/evals', 'data-view': 'evals', title: 'Evals', 'data-testid': 'nav-evals' },
    evIcon('gauge', 18, 'nav-icon'), h('span', { class: 'nav-label' }, 'Evals'), h('span', { class: 'nav-count' }));
  const navSection = h('div', { class: 'ev-nav' },
    h('div', { class: 'nav-section-label' }, 'Quality'),
    h('ul', { class: 'nav-views', role: 'list' }, h('li', null, navItem)));

  // ---- the run form ----
  const suiteSelect = h('select', { class: 'kb-select ev-suite', 'aria-label': 'Suite', 'data-testid': 'evals-suite' });
  const suiteHint = h('p', { class: 'kb-hint ev-hint', 'data-testid': 'evals-suite-size' });
  function updateSuiteHint() {
    const suite = state.suites.find((x) => x.name === suiteSelect.value);
    suiteHint.textContent = suite ? `${suite.cases} questions and ${suite.conversations} conversations` : '';
  }
  suiteSelect.addEventListener('change', updateSuiteHint);
  const kbName = `ev-kb-${Math.random().toString(36).slice(2, 8)}`;
  const kbChoice = (value, label, checked) => h('label', { class: 'kb-seg-item' },
    h('input', { type: 'radio', name: kbName, value, checked, 'data-testid': `evals-kb-${value}` }), h('span', null, label));
  const kbSeg = h('div', { class: 'kb-seg', role: 'radiogroup', 'aria-label': 'Knowledge base' },
    kbChoice('drafts', 'Drafts', true), kbChoice('live', 'Live articles', false));
  const kbHint = h('p', { class: 'kb-hint ev-hint' });
  const quick = h('input', { type: 'checkbox', checked: true, 'data-testid': 'evals-quick' });
  const runBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'evals-run' },
    h('span', { class: 'spinner' }), evIcon('play', 14), h('span', null, 'Run'));
  const busyNote = h('p', { class: 'kb-hint ev-busy', role: 'status' });
  const form = h('form', { class: 'ev-card ev-form', 'aria-label': 'New eval run' },
    h('h2', { class: 'ev-card-title' }, 'New run'),
    h('label', { class: 'ev-field' }, h('span', { class: 'ev-label' }, 'Suite'), suiteSelect, suiteHint),
    h('div', { class: 'ev-field' }, h('span', { class: 'ev-label' }, 'Knowledge base'), kbSeg, kbHint),
    h('label', { class: 'kb-check' }, quick, h('span', null, 'Quick run — one case in three of each kind')),
    h('div', { class: 'ev-form-foot' }, runBtn, busyNote));

  function updateHint() {
    const drafts = form.querySelector('input[type=radio]:checked')?.value !== 'live';
    kbHint.textContent = drafts
      ? 'Unpublished edits stand in for the live articles during this run. Nothing is published.'
      : 'The articles visitors get today.';
  }
  kbSeg.addEventListener('change', updateHint);
  updateHint();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!suiteSelect.value) return;
    runBtn.classList.add('is-busy');
    runBtn.disabled = true;
    try {
      const run = await evalsApi.start({
        suite: suiteSelect.value,
        include_drafts: form.querySelector('input[type=radio]:checked')?.value !== 'live',
        quick: quick.checked,
      });
      state.runningId = run.id;
      upsertRun(run);
      renderRuns();
      location.hash = `#/evals/${enc(run.id)}`;
    } catch (err) {
      if (err.status !== 401) toast(err.detail || err.message, 'error');
      loadRuns();
    } finally {
      runBtn.classList.remove('is-busy');
      updateRunButton();
    }
  });

  function updateRunButton() {
    const busy = Boolean(state.runningId);
    runBtn.disabled = busy || !state.suites.length;
    busyNote.textContent = busy ? 'A run is in progress; runs go one at a time.' : '';
  }

  // ---- past runs ----
  const runsList = h('ul', { class: 'ev-runs', role: 'list', 'aria-label': 'Past runs', 'data-testid': 'evals-runs' });
  const runsState = h('p', { class: 'kb-muted ev-runs-state', role: 'status' });
  const side = h('section', { class: 'ev-side', 'aria-label': 'Eval runs' },
    h('header', { class: 'list-header' }, h('h1', { class: 'list-title' }, 'Evals'),
      h('span', { class: 'list-subtitle' }, 'Test the bot before you publish')),
    h('div', { class: 'list-scroll ev-side-scroll' },
      form,
      h('div', { class: 'ev-runs-head' }, h('h2', { class: 'ev-card-title' }, 'Past runs')),
      runsList, runsState));

  const detail = h('section', { class: 'ev-detail', 'aria-live': 'polite', 'data-testid': 'evals-detail' });
  const el = h('div', { class: 'ev-shell', 'data-pane': 'list', 'data-testid': 'evals' }, side, detail);

  function upsertRun(run) {
    const i = state.runs.findIndex((r) => r.id === run.id);
    const row = { ...(i >= 0 ? state.runs[i] : {}), ...run };
    if (i >= 0) state.runs[i] = row;
    else state.runs.unshift(row);
  }

  function renderRuns() {
    runsList.replaceChildren(...state.runs.map((run) => {
      const score = run.status === 'done' ? pct(run.pass_rate) : '';
      const link = h('a', {
        class: 'ev-run', href: `#/evals/${enc(run.id)}`, 'data-id': run.id, 'data-status': run.status,
        'aria-current': run.id === state.selectedId ? 'true' : null,
      },
      h('span', { class: 'ev-run-line' },
        h('span', { class: 'ev-run-suite' }, run.suite),
        h('span', { class: 'kb-tag' }, kbLabel(run)),
        run.quick ? null : h('span', { class: 'kb-tag' }, 'Full'),
        run.is_baseline ? h('span', { class: 'ev-star', title: 'Baseline' }, evIcon('star', 12), h('span', { class: 'visually-hidden' }, 'Baseline')) : null,
        h('span', { class: 'kb-spacer' }),
        h('span', { class: 'ev-run-score' }, score)),
      h('span', { class: 'ev-run-meta' },
        h('span', { class: 'ev-run-who' }, run.started_by || 'Someone'), ' · ', timeEl(run.created_at),
        h('span', { class: 'kb-spacer' }), statusPill(run)));
      return h('li', null, link);
    }));
    runsState.textContent = state.runs.length ? '' : 'No runs yet. Your first one will show here.';
    updateRunButton();
  }

  async function loadSuites() {
    try {
      state.suites = await evalsApi.suites();
      const current = suiteSelect.value;
      suiteSelect.replaceChildren(...state.suites.map((s) => h('option', { value: s.name, selected: s.name === current }, s.name)));
      if (!current && state.suites.some((s) => s.name === 'demo')) suiteSelect.value = 'demo';
      updateSuiteHint();
    } catch (err) {
      if (err.status !== 401) suiteSelect.replaceChildren(h('option', { value: '' }, 'Couldn’t load the suites'));
    }
    updateRunButton();
  }

  let runsSeq = 0;
  async function loadRuns() {
    const mine = ++runsSeq;
    clearTimeout(listTimer);
    try {
      const res = await evalsApi.runs();
      if (mine !== runsSeq) return;
      state.runs = res.items;
      state.runningId = res.running_id;
      renderRuns();
      // #/evals on a wide screen opens the newest run; on a phone it is the list.
      if (state.pickNewest) {
        state.pickNewest = false;
        if (state.runs.length && !isPhone()) showRun(state.runs[0].id, { replace: true });
        else showWelcome();
      }
      // Someone's run is in progress and it is not the one on screen: keep the list fresh.
      if (state.runs.some(active) && !(state.detail && active(state.detail))) {
        listTimer = setTimeout(loadRuns, LIST_POLL_MS);
      }
    } catch (err) {
      if (mine === runsSeq && err.status !== 401) runsState.textContent = err.detail || err.message;
    }
  }

  // ---- detail ----
  function isPhone() { return window.matchMedia('(max-width: 759px)').matches; }

  function backLink() {
    return h('a', { class: 'btn btn-secondary btn-sm ev-back', href: '#/evals' }, icon('back', 14), 'Runs');
  }

  function showWelcome() {
    detail.replaceChildren(h('div', { class: 'empty ev-empty' },
      h('div', { class: 'empty-icon empty-icon--lg' }, evIcon('gauge', 26)),
      h('p', { class: 'empty-title' }, 'Measure the bot before you ship'),
      h('p', { class: 'empty-text' }, 'Run a suite of real visitor questions and conversations through the bot. Compare drafts with the live articles, keep a baseline, and see every case that fails.')));
  }

  function showRun(id, { replace = false } = {}) {
    if (replace) history.replaceState(null, '', `#/evals/${enc(id)}`);
    state.selectedId = id;
    markSelected();
    loadDetail(id, { fresh: true });
  }

  function markSelected() {
    for (const a of runsList.querySelectorAll('.ev-run')) {
      if (a.dataset.id === state.selectedId) a.setAttribute('aria-current', 'true');
      else a.removeAttribute('aria-current');
    }
  }

  async function loadDetail(id, { fresh = false } = {}) {
    const mine = ++detailSeq;
    clearTimeout(detailTimer);
    if (fresh) detail.replaceChildren(h('div', { class: 'conv-loading' }, h('span', { class: 'spinner spinner--dark' })));
    try {
      const run = await evalsApi.run(id);
      if (mine !== detailSeq || state.selectedId !== id) return;
      const was = state.detail?.id === id ? state.detail : null;
      state.detail = run;
      upsertRun(run);
      renderRuns();
      renderDetail(run, { fresh: fresh || !was || active(was) !== active(run) });
      if (active(run)) {
        detailTimer = setTimeout(() => loadDetail(id), POLL_MS);
      } else if (was && active(was)) {
        finished(run);
      }
    } catch (err) {
      if (mine !== detailSeq || err.status === 401) return;
      if (err.status === 404) {
        detail.replaceChildren(h('div', { class: 'empty' },
          h('p', { class: 'empty-title' }, 'No such run'),
          h('p', { class: 'empty-text' }, 'It may have been removed: only the newest runs and the baselines are kept.'),
          h('a', { class: 'btn btn-secondary', href: '#/evals' }, 'All runs')));
        return;
      }
      // A blip while polling: keep what is on screen and try again.
      if (state.detail?.id === id && active(state.detail)) detailTimer = setTimeout(() => loadDetail(id), POLL_MS * 3);
      else detail.replaceChildren(h('p', { class: 'kb-error ev-pad' }, err.detail || err.message));
    }
  }

  function finished(run) {
    state.runningId = null;
    loadRuns();
    // The results replace the progress bar on screen; a tab in the background gets a title.
    if (document.hidden && run.status === 'done') document.title = `${pct(run.pass_rate)} passed · Evals · Parley`;
  }

  // Parts of the running view that polling updates in place (no flicker, focus kept).
  let live = null;
  let headPill = null;

  function renderDetail(run, { fresh }) {
    if (active(run) && live && !fresh) {
      live.update(run);
      headPill?.replaceChildren(statusPill(run));
      return;
    }
    live = null;
    const head = renderHead(run);
    if (active(run)) {
      live = renderProgress(run);
      detail.replaceChildren(h('div', { class: 'ev-page' }, head, live.el));
    } else if (run.status === 'failed') {
      detail.replaceChildren(h('div', { class: 'ev-page' }, head,
        h('div', { class: 'ev-card ev-failed', role: 'alert' },
          h('p', { class: 'ev-failed-title' }, icon('alert', 16), 'This run did not finish'),
          h('p', { class: 'ev-failed-text' }, run.error || 'Unknown error.'),
          againButton(run))));
    } else {
      detail.replaceChildren(h('div', { class: 'ev-page' }, head, ...renderResults(run)));
    }
    el.dataset.pane = 'detail';
  }

  function renderHead(run) {
    headPill = h('span', { class: 'ev-head-pill' }, statusPill(run));
    const actions = h('div', { class: 'ev-actions' });
    if (run.status === 'done') {
      const mark = h('button', {
        type: 'button', class: `btn btn-secondary btn-sm${run.is_baseline ? ' is-on' : ''}`,
        'aria-pressed': String(run.is_baseline), 'data-testid': 'evals-baseline',
        title: run.is_baseline ? 'Later runs of this suite are compared with this one' : 'Compare later runs of this suite with this one',
      }, evIcon('star', 14), run.is_baseline ? 'Baseline' : 'Mark as baseline');
      mark.addEventListener('click', async () => {
        mark.disabled = true;
        try {
          const out = await evalsApi.baseline(run.id, !run.is_baseline);
          toast(out.is_baseline ? 'Marked as the baseline. Later runs of this suite are compared with it.' : 'No longer the baseline.', 'success');
          await loadRuns();
          loadDetail(run.id);
        } catch (err) {
          mark.disabled = false;
          toast(err.detail || err.message, 'error');
        }
      });
      const dl = h('button', { type: 'button', class: 'btn btn-secondary btn-sm', title: 'The JSON report: use it as parley eval run --baseline FILE' }, evIcon('download', 14), 'JSON');
      dl.addEventListener('click', () => downloadJson(run));
      actions.append(mark, dl);
    }
    const mode = run.quick ? 'quick run' : 'full run';
    const size = run.total ? ` · ${run.total} cases` : '';
    const drafts = run.include_drafts
      ? (run.drafts.length ? `With drafts of ${run.drafts.length} article${run.drafts.length > 1 ? 's' : ''}: ${run.drafts.join(', ')}` : 'With drafts (none were pending, so the live articles)')
      : 'Live articles';
    return h('header', { class: 'ev-head' },
      backLink(),
      h('div', { class: 'ev-head-main' },
        h('div', { class: 'ev-head-line' }, h('h2', { class: 'ev-title' }, run.suite), headPill),
        h('p', { class: 'ev-meta' }, `${run.started_by || 'Someone'} · ${longTime(run.created_at)} · ${mode}${size}`),
        h('p', { class: 'ev-meta ev-drafts', title: drafts }, drafts)),
      actions);
  }

  function renderProgress(run) {
    const fill = h('span', { class: 'kb-progress-fill' });
    const track = h('span', { class: 'kb-progress-track ev-track', role: 'progressbar', 'aria-label': 'Cases run', 'aria-valuemin': '0', 'data-testid': 'evals-progress' }, fill);
    const label = h('span', { class: 'ev-progress-label' });
    const count = h('span', { class: 'ev-progress-count' });
    const elapsed = h('span', { class: 'kb-muted' });
    const el = h('div', { class: 'ev-card ev-progress' },
      h('div', { class: 'ev-progress-line' }, h('span', { class: 'spinner spinner--dark' }), label, h('span', { class: 'kb-spacer' }), count),
      track,
      h('p', { class: 'kb-hint' }, elapsed, ' · The bot answers every case as it would a visitor. You can leave this page; the run carries on.'));
    function update(r) {
      const total = r.total || 0;
      const share = total ? Math.min(1, r.done / total) : 0;
      fill.style.width = `${(100 * share).toFixed(1)}%`;
      track.setAttribute('aria-valuemax', String(total || 1));
      track.setAttribute('aria-valuenow', String(r.done));
      track.setAttribute('aria-valuetext', total ? `${r.done} of ${total} cases` : 'Starting');
      label.textContent = r.status === 'queued' || !r.started_at ? 'Starting…'
        : r.done === 0 ? 'Loading the knowledge base and the bot…' : 'Running cases';
      count.textContent = total ? `${r.done} / ${total}` : '';
      const since = Date.parse(r.started_at || r.created_at);
      elapsed.textContent = Number.isFinite(since) ? `${Math.max(0, Math.round((Date.now() - since) / 1000))} s` : '';
    }
    update(run);
    return { el, update };
  }

  function againButton(run) {
    const b = h('button', { type: 'button', class: 'btn btn-secondary btn-sm' }, 'Run it again');
    b.addEventListener('click', () => {
      suiteSelect.value = run.suite;
      form.querySelector(`input[value=${run.include_drafts ? 'drafts' : 'live'}]`).checked = true;
      quick.checked = run.quick;
      updateHint();
      form.requestSubmit();
    });
    return b;
  }

  function renderResults(run) {
    const gate = run.gate || { passed: true, failed: [], newly_failing: [] };
    const cases = run.total || 0;
    const passed = cases - (run.cases_failed || 0);
    const base = run.baseline;
    const baseDelta = base && run.pass_rate != null && base.pass_rate != null ? fmtDelta('pct', run.pass_rate - base.pass_rate) : '';
    const stat = (label, value, caption, attrs = {}) => h('div', { ...attrs, class: `ev-stat ${attrs.class || ''}`.trim() },
      h('span', { class: 'ev-stat-name' }, label),
      h('span', { class: 'ev-stat-value', 'data-testid': attrs.valueId || null }, value),
      h('span', { class: 'ev-stat-label' }, caption));
    const summary = h('div', { class: 'ev-summary' },
      stat('Cases passed', pct(run.pass_rate), `${passed} of ${cases}${baseDelta ? ` · ${baseDelta} since the baseline` : ''}`, { valueId: 'evals-pass-rate' }),
      stat('Gate', gate.passed ? 'Passed' : 'Failed',
        gate.passed ? 'Floors met, no regression' : `${gate.failed.length} check${gate.failed.length === 1 ? '' : 's'} failed`,
        { class: `ev-gate ${gate.passed ? 'is-pass' : 'is-fail'}`, 'data-testid': 'evals-gate' }),
      base
        ? stat('Baseline', pct(base.pass_rate), `Run of ${longTime(base.created_at)} by ${base.started_by || 'someone'}`, { 'data-testid': 'evals-baseline-stat' })
        : stat('Baseline', run.is_baseline ? 'This run' : 'None', run.is_baseline
          ? 'Later runs of this suite are compared with it.'
          : 'Mark a run as the baseline to see what changed since.', { class: 'ev-stat--quiet', 'data-testid': 'evals-baseline-stat' }));
    const parts = [summary];
    if (!gate.passed) {
      parts.push(h('div', { class: 'ev-card ev-checks' },
        h('h3', { class: 'ev-card-title' }, 'Why the gate failed'),
        h('ul', { class: 'ev-check-list' }, gate.failed.map((m) => h('li', null, m))),
        gate.newly_failing.length ? h('p', { class: 'kb-muted' }, `Passed in the baseline, fail now: ${gate.newly_failing.join(', ')}`) : null));
    }

    const hasBase = run.metrics.some((m) => m.baseline != null);
    const rows = run.metrics.map((m) => {
      const cls = m.regression ? 'is-regression' : m.change === 'worse' ? 'is-worse' : m.change === 'better' ? 'is-better' : '';
      const floor = m.floor == null ? '' : `${m.name.startsWith('latency') ? '≤' : '≥'} ${fmtValue(m.kind, m.floor)}`;
      return h('tr', { 'data-metric': m.name },
        h('th', { scope: 'row' }, m.label),
        h('td', { class: `ev-num${m.meets_floor === false ? ' is-below' : ''}` }, fmtValue(m.kind, m.value)),
        hasBase ? h('td', { class: 'ev-num ev-muted' }, fmtValue(m.kind, m.baseline)) : null,
        hasBase ? h('td', { class: `ev-num ev-delta ${cls}` }, fmtDelta(m.kind, m.delta), m.regression ? h('span', { class: 'visually-hidden' }, ' (regression)') : null) : null,
        h('td', { class: `ev-num ev-floor${m.meets_floor === false ? ' is-below' : ''}` }, floor));
    });
    parts.push(h('div', { class: 'ev-card ev-metrics' },
      h('h3', { class: 'ev-card-title' }, 'Metrics'),
      h('div', { class: 'ev-table-wrap' }, h('table', { class: 'ev-table', 'data-testid': 'evals-metrics' },
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col', class: 'ev-num' }, 'This run'),
          hasBase ? h('th', { scope: 'col', class: 'ev-num' }, 'Baseline') : null,
          hasBase ? h('th', { scope: 'col', class: 'ev-num' }, 'Change') : null,
          h('th', { scope: 'col', class: 'ev-num' }, 'Floor'))),
        h('tbody', null, rows)))));

    const fails = run.failures || [];
    parts.push(h('div', { class: 'ev-card ev-fails' },
      h('h3', { class: 'ev-card-title' }, 'Failing cases', h('span', { class: 'ev-count' }, String(run.failures_total))),
      fails.length
        ? h('div', { class: 'ev-table-wrap' }, h('table', { class: 'ev-table ev-fail-table', 'data-testid': 'evals-failures' },
          h('thead', null, h('tr', null, ['Case', 'Visitor said', 'Expected', 'Outcome', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, fails.map((f) => h('tr', { 'data-case': f.id },
            h('td', { class: 'ev-case-id', 'data-label': 'Case' }, h('code', null, f.id),
              h('span', { class: 'ev-case-sub' }, [f.lang, f.kind === 'conversation' ? `${f.turns} turns${f.simulated_by === 'llm' ? ', LLM visitor' : ''}` : null].filter(Boolean).join(' · '))),
            h('td', { class: 'ev-case-text', 'data-label': 'Visitor said' }, f.text),
            h('td', { 'data-label': 'Expected' }, h('span', { class: 'kb-tag' }, f.expected)),
            h('td', { 'data-label': 'Outcome' }, h('span', { class: `kb-tag${f.outcome !== f.expected ? ' ev-tag-bad' : ''}` }, f.outcome)),
            h('td', { class: 'ev-why', 'data-label': 'Why' }, f.why))))))
        : h('p', { class: 'kb-muted' }, 'Every case passed.'),
      run.failures_total > fails.length ? h('p', { class: 'kb-hint' }, `Showing ${fails.length} of ${run.failures_total}; the full report lists them all.`) : null));

    if (run.report_url) {
      const open = h('a', { class: 'btn btn-secondary btn-sm', href: run.report_url, target: '_blank', rel: 'noopener', 'data-testid': 'evals-report-link' }, icon('external', 14), 'Open in a new tab');
      open.addEventListener('click', async (ev) => {
        // The link's ticket lasts minutes: fetch a fresh one if the page has sat open.
        if (Date.now() - loadedAt < 5 * 60 * 1000) return;
        ev.preventDefault();
        try {
          const fresh = await evalsApi.run(run.id);
          window.open(fresh.report_url, '_blank', 'noopener');
        } catch (err) { toast(err.detail || err.message, 'error'); }
      });
      const loadedAt = Date.now();
      parts.push(h('details', { class: 'ev-card ev-report' },
        h('summary', { class: 'ev-card-title ev-report-summary' }, 'Full report', h('span', { class: 'kb-spacer' }), open),
        h('iframe', { class: 'ev-frame', src: run.report_url, title: 'Eval report', loading: 'lazy', sandbox: '', 'data-testid': 'evals-report' })));
    }
    return parts;
  }

  async function downloadJson(run) {
    try {
      const report = await evalsApi.reportJson(run.id);
      const blob = new Blob([JSON.stringify(report, null, 2)], { type: 'application/json' });
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: `eval-${run.suite}-${run.id.slice(0, 8)}.json` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      toast(err.detail || err.message, 'error');
    }
  }

  function showForbidden() {
    detail.replaceChildren(h('div', { class: 'empty ev-empty' },
      h('div', { class: 'empty-icon' }, icon('info', 20)),
      h('p', { class: 'empty-title' }, 'Evals are for support leads'),
      h('p', { class: 'empty-text' }, 'Support leads and admins run eval suites. Ask one if you think the bot got worse.'),
      h('a', { class: 'btn btn-secondary', href: '#/all' }, 'Back to the inbox')));
  }

  // ---- routing ----
  let opened = false;
  function route(hash) {
    navItem.setAttribute('aria-current', 'page');
    document.title = 'Evals · Parley';
    if (!canRunEvals(getMe())) {
      side.hidden = true;
      el.dataset.pane = 'solo';
      showForbidden();
      return;
    }
    side.hidden = false;
    if (!opened) { opened = true; loadSuites(); }
    const id = hash.replace(/^#\/?/, '').split('/')[1];
    if (id && /^[0-9a-f]{32}$/.test(id)) {
      if (id !== state.selectedId || !state.detail) showRun(id);
      else markSelected();
      loadRuns();
      return;
    }
    state.selectedId = null;
    state.detail = null;
    live = null;
    clearTimeout(detailTimer);
    el.dataset.pane = 'list';
    markSelected();
    state.pickNewest = true;
    detail.replaceChildren(h('div', { class: 'conv-loading' }, h('span', { class: 'spinner spinner--dark' })));
    loadRuns();
  }

  function deactivate() {
    navItem.removeAttribute('aria-current');
    clearTimeout(detailTimer);
    clearTimeout(listTimer);
    detailSeq++;
    runsSeq++;
  }

  // Leaving the section stops the polling, whichever part of the console routes next.
  const onHash = () => { if (!isEvalsRoute(location.hash)) deactivate(); };
  window.addEventListener('hashchange', onHash);

  /** Show the nav item to leads and admins only (the API answers 403 to agents anyway). */
  function setAgent(me) {
    navSection.hidden = !canRunEvals(me);
  }
  setAgent(getMe());

  return {
    el,
    navSection,
    route,
    deactivate,
    setAgent,
    destroy() {
      deactivate();
      window.removeEventListener('hashchange', onHash);
    },
  };
}
