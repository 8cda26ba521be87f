// The visitor's place in the queue while they wait for a person (status "queued", not
// an offline message): "You're 2nd in line · About 4 minutes." from /api/v1/widget/queue,
// refreshed while they wait. The estimate is the server's: recent waits for that team,
// "Usually a few minutes." when it has too few to go on, and no promise when nobody is
// online — the widget never makes a number up.
import css from './queue.css';
import { h } from './dom.js';
import { backLabel } from './offline.js';

export const queueCss = css;
const EVERY = 20000;

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th';
  return n + s;
}

/** fetchQueue() resolves to the API's QueueOut; update(conversation) starts/stops it. */
export function queueNote({ fetchQueue }) {
  const text = h('span', { class: 'pl-queue-text' });
  const el = h('div', { class: 'pl-queue', role: 'status', 'data-testid': 'parley-queue', hidden: true }, text);
  let waiting = false;
  let convId = null;
  let timer = 0;
  let seq = 0;

  async function refresh() {
    const mine = ++seq;
    let q;
    try { q = await fetchQueue(); } catch (e) { return; } // keep the last answer on a blip
    if (mine !== seq || !waiting) return;
    if (!q || !q.queued || !q.position) { el.hidden = true; return; }
    const place = q.position === 1 ? 'You’re next in line' : 'You’re ' + ordinal(q.position) + ' in line';
    // Out of the team's own hours: when they are back, in the visitor's clock.
    const back = q.team_open === false ? backLabel(q.back_at) : '';
    const estimate = back ? 'The team is away, ' + back + '.' : q.estimate_text;
    text.textContent = place + (estimate ? ' · ' + estimate : '');
    el.hidden = false;
  }

  function update(conv) {
    const now = Boolean(conv && conv.status === 'queued' && !conv.offline);
    const id = conv ? conv.id : null;
    if (now === waiting && id === convId) return;
    waiting = now;
    convId = id;
    clearInterval(timer);
    if (!now) { el.hidden = true; seq++; return; }
    refresh();
    timer = setInterval(refresh, EVERY);
  }

  return { el, update, refresh };
}
