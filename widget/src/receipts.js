// Read state, both ways.
//
// The visitor's reading: a read mark {c: conversation id, s: sequence number} in
// localStorage, shared by every tab of the site, so they all count the same unread bot
// and agent messages and reading in one tab clears the others. When the newly read part
// holds an agent's message, the mark goes to the server (debounced): the console shows
// "Seen" under the agent's last message.
//
// The agents' reading: the conversation's agent_read_seq (session, conversation.updated)
// and conversation.read events over SSE. The visitor's latest message says "Sent" once
// the server has it, "Read" once an agent has seen it — a tick and a word, not colour.
// The row gets data-receipt and CSS writes the words (widget.css): the message's own
// text stays what it is, and a receipt changing is no news for the live region.

const newer = (a, b) => !b || a.c > b.c || (a.c === b.c && a.s > b.s);

/**
 * load()/save(mark): the shared mark; messages(): the stored messages shown; conv(): the
 * current conversation; rows(): their container; send(c, s): tell the server; post(t, d):
 * tell the other tabs.
 */
export function receipts({ load, save, messages, conv, rows, send, post }) {
  let agent = { c: 0, s: 0 };
  let timer = 0;
  let pending = null;
  let marked = null; // the row showing the receipt

  const from = (c) => {
    const mk = load();
    return !mk ? 0 : mk.c === c.id ? mk.s : mk.c > c.id ? Infinity : 0;
  };
  const ours = (m, c) => m.conversation_id === c.id && (m.sender === 'bot' || m.sender === 'agent');

  return {
    /** Bot and agent messages of the current conversation past the read mark. */
    unread() {
      const c = conv();
      if (!c) return 0;
      const s = from(c);
      let n = 0;
      for (const m of messages()) if (ours(m, c) && m.seq > s) n++;
      return n;
    },
    /** A first visit with this feature: what is already there counts as read. */
    init() {
      const c = conv();
      if (load() || !c) return;
      let top = 0;
      for (const m of messages()) if (m.conversation_id === c.id && m.seq > top) top = m.seq;
      if (top) save({ c: c.id, s: top });
    },
    /** The visitor sees the conversation now: everything shown is read. */
    read() {
      const c = conv();
      if (!c) return;
      const s = from(c);
      let top = 0;
      let agentRead = false;
      for (const m of messages()) {
        if (m.conversation_id !== c.id) continue;
        if (m.seq > top) top = m.seq;
        if (m.sender === 'agent' && m.seq > s) agentRead = true;
      }
      const mark = { c: c.id, s: top };
      if (!top || !newer(mark, load())) return;
      save(mark);
      post('read', mark);
      if (!agentRead) return;
      pending = mark;
      clearTimeout(timer);
      timer = setTimeout(() => { const p = pending; pending = null; if (p) send(p.c, p.s); }, 600);
    },
    /** Another tab (or device) read up to mark. */
    adopt(mark) {
      if (mark && mark.c > 0 && mark.s >= 0 && newer(mark, load())) save({ c: mark.c, s: mark.s });
    },
    /** An agent has read conversation c up to s. */
    agentRead(c, s) {
      if (c > 0 && newer({ c, s: s | 0 }, agent)) { agent = { c, s: s | 0 }; this.paint(); }
    },
    /** Show the state under the visitor's latest message (none while it is being sent). */
    paint() {
      const box = rows();
      if (!box) return;
      let last = box.lastElementChild;
      while (last && last.dataset.sender !== 'visitor') last = last.previousElementSibling;
      if (last && (last.classList.contains('is-pending') || last.dataset.seq == null)) last = null;
      if (marked && marked !== last) delete marked.dataset.receipt;
      marked = last;
      if (!last) return;
      const read = agent.c === Number(last.dataset.conv) && agent.s >= Number(last.dataset.seq);
      last.dataset.receipt = read ? 'read' : 'sent';
    },
    stop() { clearTimeout(timer); },
  };
}
