// Knowledge-base REST calls (docs/api.md "Knowledge base"), plus the two that need more
// than JSON: uploads with byte progress (XHR) and imports that stream NDJSON progress.

import { request, session, ApiError } from './api.js';

const enc = encodeURIComponent;

function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v != null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const kb = {
  list: (params, opts) => request('GET', `/api/v1/kb/articles${qs(params)}`, undefined, opts),
  get: (id, opts) => request('GET', `/api/v1/kb/articles/${enc(id)}`, undefined, opts),
  create: (body) => request('POST', '/api/v1/kb/articles', body),
  update: (id, body) => request('PATCH', `/api/v1/kb/articles/${enc(id)}`, body),
  publish: (id, version) => request('POST', `/api/v1/kb/articles/${enc(id)}/publish`, version ? { version } : {}),
  unpublish: (id) => request('POST', `/api/v1/kb/articles/${enc(id)}/unpublish`),
  remove: (id) => request('DELETE', `/api/v1/kb/articles/${enc(id)}`),
  versions: (id, opts) => request('GET', `/api/v1/kb/articles/${enc(id)}/versions`, undefined, opts),
  version: (id, n, opts) => request('GET', `/api/v1/kb/articles/${enc(id)}/versions/${enc(n)}`, undefined, opts),
  restore: (id, n, publish = false) => request('POST', `/api/v1/kb/articles/${enc(id)}/versions/${enc(n)}/restore`, { publish }),
  tryQuestion: (body, opts) => request('POST', '/api/v1/kb/try', body, opts),
  gaps: (days = 30, opts) => request('GET', `/api/v1/kb/gaps${qs({ days })}`, undefined, opts),
  draftFromGap: (title, questions) => request('POST', '/api/v1/kb/gaps/draft', { title, questions }),
};

function errorFrom(status, data) {
  const detail = data && typeof data.detail === 'string' ? data.detail
    : Array.isArray(data?.detail) ? data.detail.map((e) => e?.msg).filter(Boolean).join('; ') : null;
  return new ApiError(status, data?.error || null, detail || `Request failed (${status})`);
}

/** Read an NDJSON import response: calls onEvent per line, resolves with the result line. */
async function readImportStream(res, onEvent) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let result = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let ev;
      try { ev = JSON.parse(line); } catch { continue; }
      if (ev.type === 'error') throw new ApiError(422, ev.error, ev.detail);
      if (ev.type === 'result') result = ev;
      else onEvent?.(ev);
    }
    if (done) break;
  }
  if (!result) throw new ApiError(0, 'ImportFailed', 'The import stopped before it finished. Check the list and try again.');
  return result;
}

/** Upload one file: byte progress from XHR, then the server's NDJSON progress. */
export function uploadFile(file, { publish, onUpload, onEvent, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const url = `/api/v1/kb/import/file${qs({ filename: file.name, publish: publish ? 'true' : 'false' })}`;
    xhr.open('POST', url);
    xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/x-ndjson');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onUpload?.(e.loaded, e.total); };
    let seen = 0;
    let result = null;
    let failure = null;
    const consume = () => {
      const text = xhr.responseText || '';
      let nl;
      while ((nl = text.indexOf('\n', seen)) >= 0) {
        const line = text.slice(seen, nl).trim();
        seen = nl + 1;
        if (!line) continue;
        try {
          const ev = JSON.parse(line);
          if (ev.type === 'result') result = ev;
          else if (ev.type === 'error') failure = new ApiError(422, ev.error, ev.detail);
          else onEvent?.(ev);
        } catch { /* partial line: wait for more */ }
      }
    };
    xhr.onprogress = () => { if (xhr.status === 200) consume(); };
    xhr.onload = () => {
      if (xhr.status !== 200) {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        reject(errorFrom(xhr.status, data));
        return;
      }
      consume();
      if (failure) reject(failure);
      else if (result) resolve(result);
      else reject(new ApiError(0, 'ImportFailed', 'The import stopped before it finished.'));
    };
    xhr.onerror = () => reject(new ApiError(0, 'NetworkError', "Can't reach the Parley server."));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

/** Import a page or sitemap of the site, with a progress event per page. */
export async function importUrl(url, { publish, onEvent, signal } = {}) {
  let res;
  try {
    res = await fetch('/api/v1/kb/import/url', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/x-ndjson',
        Authorization: `Bearer ${session.token}`,
      },
      body: JSON.stringify({ url, publish: Boolean(publish) }),
      signal,
      cache: 'no-store',
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'NetworkError', "Can't reach the Parley server.");
  }
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch { /* not JSON */ }
    throw errorFrom(res.status, data);
  }
  return readImportStream(res, onEvent);
}
