// "Try a question": what the bot would do — intent, retrieved chunks with scores, the answer.
// Against live content, every draft, or the article open in the editor (unsaved text included).

import { h, icon, humanize, plainPreview } from './dom.js';
import { renderMarkdown } from './markdown.js';
import { kb } from './kb-api.js';

const ACTION = {
  answer: ['Answers', 'kb-verdict--answer'],
  escalate: ['Hands over to a person', 'kb-verdict--escalate'],
  smalltalk: ['Small talk', 'kb-verdict--smalltalk'],
};

/**
 * @param {{getDraft?: () => ({slug,title,body,lang}|null), compact?: boolean}} opts
 */
export function createTryPanel({ getDraft = null } = {}) {
  const input = h('input', {
    type: 'search', class: 'kb-input', placeholder: 'e.g. How long does a refund take?',
    'aria-label': 'Question', 'data-testid': 'try-question', maxlength: '2000', enterkeyhint: 'go',
  });
  const run = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'try-run' },
    h('span', { class: 'spinner' }), h('span', null, 'Ask'));
  const modeName = `try-mode-${Math.random().toString(36).slice(2, 8)}`;
  const modes = getDraft
    ? [['draft', 'This draft'], ['live', 'Live only']]
    : [['live', 'Live content'], ['drafts', 'Include drafts']];
  const radios = modes.map(([value, label], i) => {
    const r = h('input', { type: 'radio', name: modeName, value, checked: i === 0, 'data-testid': `try-mode-${value}` });
    return h('label', { class: 'kb-seg-item' }, r, h('span', null, label));
  });
  const seg = h('div', { class: 'kb-seg', role: 'radiogroup', 'aria-label': 'Answer from' }, radios);
  const form = h('form', { class: 'kb-try-form' },
    h('div', { class: 'kb-try-row' }, input, run), seg);
  const out = h('div', { class: 'kb-try-out', 'aria-live': 'polite', 'data-testid': 'try-result' },
    h('p', { class: 'kb-muted' }, 'Ask what a visitor would ask. You see the detected intent, the passages retrieved with their scores, and the reply.'));
  const el = h('section', { class: 'kb-try', 'aria-label': 'Try a question' },
    h('h3', { class: 'kb-side-title' }, icon('sparkle', 16), 'Try a question'), form, out);

  let seq = 0;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const question = input.value.trim();
    if (!question) { input.focus(); return; }
    const mode = form.querySelector(`input[name="${modeName}"]:checked`)?.value || 'live';
    const body = { question, include_drafts: mode === 'drafts' };
    if (mode === 'draft' && getDraft) {
      const d = getDraft();
      if (d && d.title.trim() && d.body.trim()) body.draft = d;
    }
    const mine = ++seq;
    run.classList.add('is-busy');
    run.disabled = true;
    try {
      const res = await kb.tryQuestion(body);
      if (mine === seq) out.replaceChildren(renderResult(res));
    } catch (err) {
      if (mine === seq) out.replaceChildren(h('p', { class: 'kb-error', role: 'alert' }, err.detail || err.message));
    } finally {
      if (mine === seq) { run.classList.remove('is-busy'); run.disabled = false; }
    }
  });

  return { el, focus: () => input.focus() };
}

function scoreBar(score, threshold) {
  const pct = Math.max(0, Math.min(100, Math.round(score * 100)));
  const fill = h('span', { class: 'kb-score-fill' });
  fill.style.width = `${pct}%`;
  const mark = h('span', { class: 'kb-score-mark', title: `Answer threshold ${threshold.toFixed(2)}` });
  mark.style.left = `${Math.round(threshold * 100)}%`;
  return h('span', { class: `kb-score ${score >= threshold ? 'is-above' : 'is-below'}` },
    h('span', { class: 'kb-score-track', 'aria-hidden': 'true' }, fill, mark),
    h('span', { class: 'kb-score-value', 'data-testid': 'chunk-score' }, score.toFixed(3)));
}

function renderResult(res) {
  const [label, cls] = ACTION[res.action] || [humanize(res.action), ''];
  const why = res.action === 'escalate'
    ? (res.reason === 'low_confidence'
      ? `No passage scored above the threshold (${res.threshold.toFixed(2)}).`
      : `Reason: ${humanize(res.reason)}.`)
    : null;
  const verdict = h('div', { class: `kb-verdict ${cls}`, 'data-testid': 'try-action' },
    h('strong', null, label), why ? h('span', null, ` ${why}`) : null);
  const facts = h('dl', { class: 'kb-facts' },
    h('div', null, h('dt', null, 'Intent'), h('dd', { 'data-testid': 'try-intent' }, humanize(res.intent) || '—')),
    h('div', null, h('dt', null, 'Confidence'), h('dd', null, res.confidence.toFixed(2))),
    h('div', null, h('dt', null, 'Language'), h('dd', null, res.lang || '—')),
    h('div', null, h('dt', null, 'Time'), h('dd', null, `${Math.round(res.ms)} ms`)));
  const answer = h('div', { class: 'kb-answer md', 'data-testid': 'try-answer' }, renderMarkdown(res.answer || ''));
  const sources = (res.sources || []).length
    ? h('p', { class: 'kb-muted kb-cites' }, 'Cites: ', res.sources.map((s, i) => [i ? ', ' : '', s.title, s.draft ? ' (draft)' : '']))
    : null;
  const chunks = h('ol', { class: 'kb-chunks', 'data-testid': 'try-chunks' },
    (res.retrieved || []).map((c) => h('li', { class: `kb-chunk${c.draft ? ' is-draft' : ''}` },
      h('div', { class: 'kb-chunk-head' },
        scoreBar(c.score, res.threshold),
        h('span', { class: 'kb-chunk-where' }, c.title, c.section ? h('span', { class: 'kb-muted' }, ` › ${c.section}`) : null),
        c.draft ? h('span', { class: 'pill pill--draft' }, 'Draft') : null),
      h('p', { class: 'kb-chunk-text' }, plainPreview(c.text, 280)))));
  return h('div', null, verdict, facts,
    h('h4', { class: 'kb-sub' }, 'Reply'), answer, sources,
    h('h4', { class: 'kb-sub' }, `Retrieved passages (${(res.retrieved || []).length})`),
    (res.retrieved || []).length ? chunks : h('p', { class: 'kb-muted' }, 'Nothing retrieved (small talk or a direct handover skips the search).'));
}
