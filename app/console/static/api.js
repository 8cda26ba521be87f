// REST client for the agent endpoints in docs/api.md. The access token lives
// in sessionStorage (per tab, gone when the tab closes) and travels only in
// the Authorization header.

const TOKEN_KEY = 'parley.console.token';
const AGENT_KEY = 'parley.console.agent';

export const session = {
  get token() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
  },
  get agent() {
    try { return JSON.parse(sessionStorage.getItem(AGENT_KEY) || 'null'); } catch { return null; }
  },
  save(token, agent) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(AGENT_KEY, JSON.stringify(agent || null));
  },
  saveAgent(agent) {
    sessionStorage.setItem(AGENT_KEY, JSON.stringify(agent || null));
  },
  clear() {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(AGENT_KEY);
    } catch { /* storage unavailable */ }
  },
};

export class ApiError extends Error {
  constructor(status, name, detail) {
    super(detail || name || `Request failed (${status})`);
    this.status = status;
    this.name = name || 'ApiError';
    this.detail = detail;
  }
}

let unauthorizedHandler = () => {};
/** Called once per 401 on an authenticated request (expired or revoked token). */
export function onUnauthorized(fn) { unauthorizedHandler = fn; }

function detailText(data) {
  if (!data) return null;
  const d = data.detail;
  if (typeof d === 'string') return d;
  // FastAPI validation errors: [{loc, msg, type}, ...]
  if (Array.isArray(d)) return d.map((e) => (e && typeof e.msg === 'string' ? e.msg : '')).filter(Boolean).join('; ') || null;
  return null;
}

export async function request(method, path, body, { auth = true, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = session.token;
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal,
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'NetworkError', "Can't reach the Parley server. Check your connection and try again.");
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data && typeof data.error === 'string' ? data.error : null, detailText(data));
    // A 422's [{loc, msg}] list, for forms that put each message under its field.
    err.errors = Array.isArray(data?.detail) ? data.detail : [];
    if (res.status === 401 && auth) unauthorizedHandler(err);
    throw err;
  }
  return data;
}

const enc = encodeURIComponent;

export const api = {
  login: (email, password) => request('POST', '/api/v1/auth/login', { email, password }, { auth: false }),
  me: () => request('GET', '/api/v1/agents/me'),
  conversations: (view, opts) => request('GET', `/api/v1/conversations?view=${enc(view)}`, undefined, opts),
  conversation: (id, opts) => request('GET', `/api/v1/conversations/${enc(id)}`, undefined, opts),
  send: (id, clientMessageId, text) =>
    request('POST', `/api/v1/conversations/${enc(id)}/messages`, { client_message_id: clientMessageId, text }),
  assign: (id, agentId = null) => request('POST', `/api/v1/conversations/${enc(id)}/assign`, { agent_id: agentId }),
  close: (id) => request('POST', `/api/v1/conversations/${enc(id)}/close`),
  typing: (id, typing) => request('POST', `/api/v1/conversations/${enc(id)}/typing`, { typing }),
  read: (id, seq) => request('POST', `/api/v1/conversations/${enc(id)}/read`, { seq }),
};
