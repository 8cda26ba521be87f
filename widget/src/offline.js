// The offline form: out of business hours a handoff waits as an offline message
// (conversation.offline, status "queued"), so instead of "Waiting for a teammate"
// the visitor leaves an email and a message. Which state shows comes from the stored
// conversation (offline, offline_email), so a reload or another tab shows the same.
import css from './offline.css';
import { h, icon, ICONS } from './dom.js';

export const offlineCss = css;
ICONS.check = ['M20 6 9 17l-5-5'];

// Same rule as the server (app/visitors/schemas.py): one @, no spaces, a dotted domain.
export const EMAIL = /^[^\x00-\x1f\x7f\s@<>()[\],;:\\"]+@[^\x00-\x1f\x7f\s@<>()[\],;:\\".]+(\.[^\x00-\x1f\x7f\s@<>()[\],;:\\".]+)+$/;
const MAX = 5000;

/** "back Monday 9:00 AM" ("back Mon 9:00 AM" when short) in the visitor's own clock; '' when unknown. */
export function backLabel(iso, short) {
  const t = iso ? new Date(iso) : null;
  if (!t || isNaN(t)) return '';
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((day(t) - day(new Date())) / 864e5);
  const time = t.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  if (days <= 0) return 'back at ' + time;
  if (days === 1) return 'back tomorrow' + (short ? ' ' : ' at ') + time;
  const date = days < 7 ? t.toLocaleDateString('en', { weekday: short ? 'short' : 'long' }) : t.toLocaleDateString('en', { day: 'numeric', month: 'short' });
  return 'back ' + date + ' ' + time;
}

/**
 * The form and its confirmation. send({client_message_id, email, text}) stores the
 * message (rejecting with an error carrying .status); draft(v) reads (no argument) or
 * writes the unsent form, kept per tab; uuid() makes the idempotency key.
 */
export function offlineForm({ send, draft, uuid }) {
  const saved = (() => { try { return JSON.parse(draft()) || {}; } catch (e) { return {}; } })();
  let cmid = saved.id || uuid(); // kept until sent: a resend after a lost answer stays one message
  let mode = 'none';
  let busy = false;

  // A label, the control's error line (announced), and the link between them.
  const field = (id, label, control) => {
    const err = h('p', { class: 'pl-off-err', id: id + '-err', role: 'alert' });
    control.setAttribute('aria-describedby', id + '-err');
    return [h('label', { class: 'pl-off-label', for: id }, label), control, err];
  };
  const email = h('input', {
    id: 'pl-off-email', class: 'pl-off-input', type: 'email', name: 'email', autocomplete: 'email', inputmode: 'email',
    maxlength: '254', required: true, spellcheck: 'false', 'data-testid': 'parley-offline-email',
  });
  const text = h('textarea', {
    id: 'pl-off-text', class: 'pl-off-input', name: 'message', rows: '3', maxlength: String(MAX), required: true,
    'data-testid': 'parley-offline-text',
  });
  const emailField = field('pl-off-email', 'Your email', email);
  const textField = field('pl-off-text', 'Message', text);
  const emailErr = emailField[2];
  const textErr = textField[2];
  const lead = h('p', { class: 'pl-off-lead', id: 'pl-off-lead' });
  const status = h('p', { class: 'pl-off-status', role: 'alert', 'data-testid': 'parley-offline-error' });
  const submit = h('button', { type: 'submit', class: 'pl-off-send', 'data-testid': 'parley-offline-submit' }, 'Send message');
  const title = h('h3', { class: 'pl-off-title', id: 'pl-off-title', tabindex: '-1' }, 'Leave us a message');
  const form = h('form', {
    class: 'pl-off', novalidate: true, 'aria-labelledby': 'pl-off-title', 'aria-describedby': 'pl-off-lead',
    'data-testid': 'parley-offline-form', onsubmit: (e) => { e.preventDefault(); go(); },
  }, title, lead, emailField, textField, h('div', { class: 'pl-off-bar' }, status, submit));
  email.value = saved.email || '';
  text.value = saved.text || '';

  const doneText = h('p', { class: 'pl-off-done-text' });
  const done = h('div', { class: 'pl-off pl-off-done', role: 'status', tabindex: '-1', 'data-testid': 'parley-offline-done' },
    h('span', { class: 'pl-off-check', 'aria-hidden': 'true' }, icon('check', 18)),
    h('div', null, doneText, h('p', { class: 'pl-off-hint' }, 'Your conversation is kept here: if you come back, you’ll see our reply in this chat.')));
  const el = h('div', { class: 'pl-off-wrap', hidden: true }, form, done);

  const keep = () => draft(JSON.stringify({ id: cmid, email: email.value, text: text.value }));
  const oninput = (ctl, err) => () => { keep(); if (ctl.getAttribute('aria-invalid')) setError(ctl, err, ''); };
  email.addEventListener('input', oninput(email, emailErr));
  text.addEventListener('input', oninput(text, textErr));

  function setError(ctl, err, msg) {
    err.textContent = msg;
    if (msg) ctl.setAttribute('aria-invalid', 'true'); else ctl.removeAttribute('aria-invalid');
  }

  async function go() {
    if (busy) return;
    const address = email.value.trim();
    const body = text.value.trim();
    status.textContent = '';
    setError(email, emailErr, !address ? 'Enter your email so we can reply.' : EMAIL.test(address) ? '' : 'Check your email address — it should look like name@example.com.');
    setError(text, textErr, body ? '' : 'Write a message for the team.');
    const bad = email.getAttribute('aria-invalid') ? email : text.getAttribute('aria-invalid') ? text : null;
    if (bad) { bad.focus(); return; }
    busy = true;
    submit.setAttribute('aria-busy', 'true');
    submit.textContent = 'Sending…';
    try {
      await send({ client_message_id: cmid, email: address, text: body });
      cmid = uuid();
      email.value = address;
      text.value = '';
      draft(null);
    } catch (e) {
      const code = e.status;
      status.textContent = code === 429 ? 'Too many messages at once — wait a moment and try again.'
        : code === 409 ? e.message
          : code === 422 ? 'Check your email and message, then try again.'
            : 'We couldn’t send this. Check your connection and try again.';
    } finally {
      busy = false;
      submit.removeAttribute('aria-busy');
      submit.textContent = 'Send message';
    }
  }

  return {
    el,
    /**
     * Show what the conversation calls for: the form (offline, no email yet), the
     * confirmation (email left), or nothing. opts.back: "back Monday 09:00";
     * opts.email: a known address to prefill; opts.focus: move focus in (live change).
     * Returns the mode: 'form' | 'done' | 'none'.
     */
    update(conv, opts) {
      opts = opts || {};
      const was = mode;
      mode = !conv || !conv.offline || conv.status !== 'queued' ? 'none' : conv.offline_email ? 'done' : 'form';
      el.hidden = mode === 'none';
      form.hidden = mode !== 'form';
      done.hidden = mode !== 'done';
      lead.textContent = 'We’re away right now' + (opts.back ? ' — ' + opts.back : '') + '. Leave your email and a message, and we’ll reply as soon as we’re back.';
      if (mode === 'done') doneText.textContent = 'Thanks — we’ll reply to ' + conv.offline_email + '.';
      if (mode === 'form' && !email.value && opts.email) email.value = String(opts.email);
      if (mode !== was && opts.focus) {
        if (mode === 'form') (opts.touch ? title : email.value ? text : email).focus({ preventScroll: true });
        else if (mode === 'done') done.focus({ preventScroll: true });
      }
      return mode;
    },
  };
}
