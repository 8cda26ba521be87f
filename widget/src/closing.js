// Closing: the visitor's "End chat" (with a confirm step), then a rating request (CSAT)
// and the transcript download once the conversation is closed. What shows comes from
// the stored conversation (status, csat_rating), so a reload or another tab agrees.
// One rating per conversation, final: the server refuses a second one (409).
import css from './closing.css';
import { h, icon, ICONS } from './dom.js';

export const closingCss = css;
ICONS.star = ['M12 2l3.09 6.26L22 9.27l-5 4.87 1.18 6.88L12 17.77l-6.18 3.25L7 14.14 2 9.27l6.91-1.01z'];
ICONS.dl = ['M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4', 'm7 10 5 5 5-5', 'M12 15V3'];

const WORDS = ['', 'Very bad', 'Bad', 'Okay', 'Good', 'Great'];

/**
 * end(): POST the close (resolves with the closed conversation); rate(body): POST the
 * rating; download(conversationId): fetch the HTML transcript as a Blob.
 */
export function closing({ end, rate, download }) {
  let conv = null;
  let busy = false;

  // ---- "End chat" and its confirm step (in the actions row)
  const endBtn = h('button', { type: 'button', class: 'pl-human pl-end', 'data-testid': 'parley-end', onclick: ask }, 'End chat');
  const yes = h('button', { type: 'button', class: 'pl-cl-yes', 'data-testid': 'parley-end-confirm', onclick: confirm }, 'End chat');
  const no = h('button', { type: 'button', class: 'pl-cl-no', 'data-testid': 'parley-end-cancel', onclick: () => cancel(true) }, 'Keep chatting');
  const askErr = h('span', { class: 'pl-note', role: 'alert' });
  const confirmEl = h('div', {
    class: 'pl-cl-confirm', role: 'group', 'aria-labelledby': 'pl-cl-q', hidden: true, 'data-testid': 'parley-end-ask',
    onkeydown: (e) => { if (e.key === 'Escape') { e.stopPropagation(); cancel(true); } },
  }, h('span', { class: 'pl-cl-q', id: 'pl-cl-q' }, 'End this chat?'), yes, no, askErr);

  function ask() { endBtn.hidden = true; confirmEl.hidden = false; askErr.textContent = ''; yes.focus(); }
  function cancel(focus) { confirmEl.hidden = true; endBtn.hidden = !canEnd(); if (focus && !endBtn.hidden) endBtn.focus(); }
  async function confirm() {
    if (busy) return;
    busy = true;
    yes.setAttribute('aria-busy', 'true');
    try {
      await end();
      confirmEl.hidden = true;
      if (!card.hidden) (title.hidden ? card : title).focus({ preventScroll: true });
    } catch (e) {
      askErr.textContent = e.status === 409 ? 'This chat has already ended.' : 'Could not end the chat. Try again.';
    } finally {
      busy = false;
      yes.removeAttribute('aria-busy');
    }
  }
  const canEnd = () => !!conv && conv.status !== 'closed';

  // ---- the card after a close: rating request, thanks, transcript
  const title = h('h3', { class: 'pl-cl-title', id: 'pl-cl-title', tabindex: '-1' }, 'How was this chat?');
  const picked = h('span', { class: 'pl-cl-word', 'aria-hidden': 'true' });
  const stars = [1, 2, 3, 4, 5].map((n) => {
    const input = h('input', {
      type: 'radio', name: 'pl-csat', value: String(n), class: 'pl-cl-radio', id: 'pl-cl-r' + n, 'data-testid': 'parley-csat-' + n,
    });
    input.addEventListener('change', () => { paint(n); more.hidden = false; });
    return [input, h('label', { for: 'pl-cl-r' + n, class: 'pl-cl-star', title: WORDS[n] }, icon('star', 26), h('span', { class: 'pl-cl-sr' }, n + ' of 5, ' + WORDS[n]))];
  });
  const comment = h('textarea', {
    class: 'pl-off-input pl-cl-comment', rows: '2', maxlength: '1000', id: 'pl-cl-comment',
    placeholder: 'Anything to add? (optional)', 'data-testid': 'parley-csat-comment',
  });
  const status = h('p', { class: 'pl-off-status', role: 'alert', 'data-testid': 'parley-csat-error' });
  const send = h('button', { type: 'submit', class: 'pl-off-send', 'data-testid': 'parley-csat-submit' }, 'Send rating');
  // The comment and the send button appear once a star is chosen: a compact first ask.
  const more = h('div', { hidden: true },
    h('label', { for: 'pl-cl-comment', class: 'pl-cl-sr' }, 'Comment (optional)'), comment,
    h('div', { class: 'pl-off-bar' }, status, send));
  const form = h('form', { class: 'pl-cl-form', 'aria-labelledby': 'pl-cl-title', onsubmit: (e) => { e.preventDefault(); submit(); } },
    h('fieldset', { class: 'pl-cl-stars' }, h('legend', { class: 'pl-cl-sr' }, 'Rating'), stars, picked), more);
  const thanks = h('p', { class: 'pl-cl-thanks', role: 'status', 'data-testid': 'parley-csat-thanks' });
  const dlErr = h('span', { class: 'pl-note', role: 'alert' });
  const dl = h('button', { type: 'button', class: 'pl-cl-dl', 'data-testid': 'parley-transcript', onclick: save }, icon('dl', 15), 'Download transcript');
  const card = h('section', { class: 'pl-off pl-cl', tabindex: '-1', 'aria-labelledby': 'pl-cl-title', 'data-testid': 'parley-closing' },
    title, form, thanks, h('div', { class: 'pl-cl-foot' }, dl, dlErr),
    h('p', { class: 'pl-off-hint' }, 'Need more help? Write below to pick this chat up again.'));
  const el = h('div', { class: 'pl-off-wrap pl-cl-wrap', hidden: true }, card);

  function paint(n) {
    stars.forEach(([, label], i) => label.classList.toggle('is-on', i < n));
    picked.textContent = WORDS[n];
  }

  async function submit() {
    const chosen = stars.find(([input]) => input.checked);
    status.textContent = '';
    if (!chosen) { status.textContent = 'Choose from 1 to 5 stars.'; stars[0][0].focus(); return; }
    if (busy || !conv) return;
    busy = true;
    send.setAttribute('aria-busy', 'true');
    try {
      const out = await rate({ conversation_id: conv.id, rating: Number(chosen[0].value), comment: comment.value.trim() || null });
      conv.csat_rating = out.rating;
      show(true);
    } catch (e) {
      if (e.status === 409) { conv.csat_rating = conv.csat_rating || Number(chosen[0].value); show(true); } else {
        status.textContent = e.status === 422 ? 'Check your rating and comment (1000 characters at most).' : 'Could not send your rating. Try again.';
      }
    } finally {
      busy = false;
      send.removeAttribute('aria-busy');
    }
  }

  async function save() {
    if (!conv) return;
    dlErr.textContent = '';
    try {
      const blob = await download(conv.id);
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: 'conversation-' + conv.id + '.html', hidden: true });
      card.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      dlErr.textContent = 'Could not download the transcript.';
    }
  }

  function show(focus) {
    const rated = conv && conv.csat_rating != null;
    form.hidden = rated;
    title.textContent = rated ? 'Thanks for your feedback' : 'How was this chat?';
    thanks.hidden = !rated;
    thanks.textContent = rated ? 'You rated this chat ' + conv.csat_rating + ' out of 5.' : '';
    if (focus) title.focus({ preventScroll: true });
  }

  return {
    el,
    endBtn,
    confirmEl,
    /** Show what the conversation calls for; returns whether the closing card shows. */
    update(c) {
      const was = conv && conv.status === 'closed' ? conv.id : null;
      conv = c ? Object.assign({}, c) : null;
      const closed = !!conv && conv.status === 'closed';
      if (closed && was !== conv.id) {
        // A newly closed conversation: a fresh form.
        for (const [input] of stars) input.checked = false;
        comment.value = '';
        more.hidden = true;
        status.textContent = '';
        paint(0);
      }
      el.hidden = !closed;
      if (!canEnd()) confirmEl.hidden = true;
      endBtn.hidden = !canEnd() || !confirmEl.hidden;
      if (closed) show(false);
      return closed;
    },
    /** csat.submitted from the stream (another tab rated it). */
    rated(data) {
      if (conv && data && data.conversation_id === conv.id) { conv.csat_rating = data.rating; show(false); }
    },
  };
}
