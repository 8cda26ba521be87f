// "Hand back to bot" in the conversation header: an agent gives a conversation the
// people have (queued or assigned) back to the bot, which answers the visitor's next
// message (POST /conversations/{id}/handback). Asks first: the agent lets go of it.

import { request } from './api.js';
import { h, icon, toast } from './dom.js';

/** The button; render(conv) shows it only while people have the open conversation. */
export function createHandbackButton({ getConv, onDone }) {
  const label = 'Hand back to bot';
  const btn = h('button', {
    type: 'button', class: 'btn btn-secondary', 'data-testid': 'handback-conversation', hidden: true,
    'aria-label': label, title: 'Give this conversation back to the bot: it answers the visitor’s next message',
  }, icon('bot', 16), h('span', null, label));
  let busy = false;
  btn.addEventListener('click', async () => {
    const conv = getConv();
    if (!conv || busy) return;
    const who = conv.visitor_name || 'the visitor';
    if (!window.confirm(`Hand this conversation back to the bot? The bot answers ${who}’s next message, and nobody is assigned any more.`)) return;
    busy = true;
    btn.disabled = true;
    btn.classList.add('is-busy');
    try {
      const summary = await request('POST', `/api/v1/conversations/${encodeURIComponent(conv.id)}/handback`);
      if (summary && typeof summary === 'object') onDone(summary);
      toast('Handed back to the bot', 'success', 3000);
    } catch (err) {
      toast(`Couldn’t hand back: ${err.detail || err.message}`, 'error');
    } finally {
      busy = false;
      btn.disabled = false;
      btn.classList.remove('is-busy');
    }
  });
  return {
    el: btn,
    render(conv, disabled = false) {
      btn.hidden = !conv || !['queued', 'assigned'].includes(conv.status);
      btn.disabled = busy || disabled;
    },
  };
}
