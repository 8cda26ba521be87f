// Gap report: what visitors asked that the bot could not answer, grouped, with one-click drafts.

import { h, icon, timeEl, toast } from './dom.js';
import { kb } from './kb-api.js';
import { kbIcon } from './kb-icons.js';

export function createGaps({ canEdit, onOpenArticle }) {
  const days = h('select', { class: 'kb-select', 'aria-label': 'Period', 'data-testid': 'gaps-days' },
    [[7, 'Last 7 days'], [30, 'Last 30 days'], [90, 'Last 90 days']].map(([v, l]) => h('option', { value: String(v), selected: v === 30 }, l)));
  const summary = h('p', { class: 'kb-muted' });
  const list = h('ol', { class: 'kb-gaps', 'data-testid': 'gap-groups' });
  const el = h('div', { class: 'kb-gaps-view' },
    h('header', { class: 'kb-page-head' },
      h('div', null, h('h2', { class: 'kb-page-title' }, 'Knowledge gaps'), summary),
      days),
    list);

  async function load() {
    list.replaceChildren(h('li', { class: 'kb-muted' }, 'Loading…'));
    try {
      const rep = await kb.gaps(Number(days.value));
      summary.textContent = rep.total
        ? `${rep.total} question(s) the bot handed over for low confidence, in ${rep.groups.length} group(s).`
        : '';
      if (!rep.groups.length) {
        list.replaceChildren(h('li', { class: 'empty' },
          h('div', { class: 'empty-icon' }, icon('checkCircle', 22)),
          h('p', { class: 'empty-title' }, 'No gaps in this period'),
          h('p', { class: 'empty-text' }, 'Questions the bot can’t answer from the knowledge base will be grouped here.')));
        return;
      }
      list.replaceChildren(...rep.groups.map(renderGroup));
    } catch (err) {
      list.replaceChildren(h('li', { class: 'kb-error' }, err.detail || err.message));
    }
  }

  function renderGroup(g) {
    const start = canEdit ? h('button', { type: 'button', class: 'btn btn-secondary btn-sm', 'data-testid': 'gap-start-draft' }, kbIcon('pen', 14), 'Start a draft') : null;
    start?.addEventListener('click', async () => {
      start.disabled = true;
      try {
        const art = await kb.draftFromGap(g.label, g.examples.map((e) => e.text));
        toast('Draft started from the questions visitors asked.', 'success');
        onOpenArticle(art.id);
      } catch (err) {
        start.disabled = false;
        toast(err.detail || err.message, 'error');
      }
    });
    const covered = g.covered_by
      ? h('span', { class: 'pill pill--published', title: `Best match now scores ${g.covered_by.score.toFixed(2)}` }, `Now answered by “${g.covered_by.title}”`)
      : h('span', { class: 'pill pill--gap' }, 'Unanswered');
    return h('li', { class: 'kb-gap', 'data-testid': 'gap-group' },
      h('div', { class: 'kb-gap-count', 'aria-label': `${g.count} questions` }, String(g.count)),
      h('div', { class: 'kb-gap-main' },
        h('div', { class: 'kb-gap-head' }, h('strong', { class: 'kb-gap-label' }, g.label), covered),
        h('ul', { class: 'kb-gap-examples' }, g.examples.map((e) => h('li', null,
          h('span', null, `“${e.text}”`), ' ',
          h('span', { class: 'kb-muted' }, timeEl(e.at), e.score != null ? ` · best match ${e.score.toFixed(2)}` : '')))),
        h('div', { class: 'kb-gap-foot' },
          h('span', { class: 'kb-muted' }, `${g.conversations} conversation(s) · last `, timeEl(g.last_at, { long: true })), start)));
  }

  days.addEventListener('change', load);
  load();
  return { el, reload: load };
}
