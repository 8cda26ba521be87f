// Sign-in screen: email + password → POST /api/v1/auth/login.

import { api, session } from './api.js';
import { h, icon, logoMark } from './dom.js';

export function renderLogin(root, { notice = '', onSignedIn }) {
  const email = h('input', {
    id: 'login-email', name: 'email', type: 'email', autocomplete: 'username', required: true,
    'data-testid': 'login-email', spellcheck: 'false', autocapitalize: 'off', inputmode: 'email',
    'aria-describedby': 'login-error',
  });
  const password = h('input', {
    id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
    'data-testid': 'login-password', 'aria-describedby': 'login-error',
  });
  const reveal = h('button', {
    type: 'button', class: 'field-addon', 'aria-label': 'Show password', 'aria-pressed': 'false',
    'aria-controls': 'login-password',
  }, icon('eye', 18));
  reveal.addEventListener('click', () => {
    const show = password.type === 'password';
    password.type = show ? 'text' : 'password';
    reveal.setAttribute('aria-pressed', String(show));
    reveal.setAttribute('aria-label', show ? 'Hide password' : 'Show password');
    reveal.replaceChildren(icon(show ? 'eyeOff' : 'eye', 18));
    password.focus();
  });
  const error = h('div', { id: 'login-error', class: 'form-error', role: 'alert', 'data-testid': 'login-error' });
  const submitLabel = h('span', null, 'Sign in');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg btn-block', 'data-testid': 'login-submit' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), submitLabel);

  const showError = (msg) => {
    error.replaceChildren();
    if (msg) error.append(icon('alert', 16), h('span', null, msg));
    error.classList.toggle('is-visible', Boolean(msg));
    const invalid = Boolean(msg);
    email.setAttribute('aria-invalid', String(invalid));
    password.setAttribute('aria-invalid', String(invalid));
  };

  const form = h('form', { class: 'login-form', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'login-email' }, 'Email'),
      email),
    h('div', { class: 'field' },
      h('label', { for: 'login-password' }, 'Password'),
      h('div', { class: 'field-wrap' }, password, reveal)),
    error,
    submit);

  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    const e = email.value.trim();
    const p = password.value;
    if (!e || !p) {
      showError(!e ? 'Enter your email address.' : 'Enter your password.');
      (!e ? email : password).focus();
      return;
    }
    busy = true;
    showError('');
    submit.classList.add('is-busy');
    submit.setAttribute('aria-busy', 'true');
    submitLabel.textContent = 'Signing in…';
    try {
      const res = await api.login(e, p);
      if (!res || typeof res.access_token !== 'string') throw new Error('The server sent an unexpected response.');
      session.save(res.access_token, res.agent);
      onSignedIn(res.agent);
    } catch (err) {
      let msg;
      if (err.status === 401) msg = 'Incorrect email or password.';
      else if (err.status === 429) msg = 'Too many sign-in attempts. Wait a minute and try again.';
      else if (err.status === 422 || err.status === 400) msg = err.detail || 'Check your email and password.';
      else msg = err.message || 'Sign-in failed. Try again.';
      showError(msg);
      password.select();
      password.focus();
    } finally {
      busy = false;
      submit.classList.remove('is-busy');
      submit.removeAttribute('aria-busy');
      submitLabel.textContent = 'Sign in';
    }
  });

  const screen = h('main', { class: 'login', 'aria-labelledby': 'login-title' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-brand' }, logoMark(36), h('span', null, 'Parley')),
      h('h1', { id: 'login-title' }, 'Sign in to your inbox'),
      h('p', { class: 'login-lede' }, 'Pick up conversations the bot has handed over, with everything it learned.'),
      notice ? h('div', { class: 'notice', role: 'status' }, icon('info', 16), h('span', null, notice)) : null,
      form),
    h('p', { class: 'login-foot' }, 'Parley · self-hosted live chat'));

  root.replaceChildren(screen);
  document.title = 'Sign in · Parley';
  email.focus();
}
