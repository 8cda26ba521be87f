// Server-sent events over fetch(): EventSource cannot send an Authorization
// header, and tokens must never travel in URLs.

/**
 * Incremental text/event-stream parser (WHATWG rules: CR, LF or CRLF line
 * ends, one optional space after the colon, multi-line data joined by \n,
 * comments ignored, ids containing NUL ignored). onEvent receives
 * {event, data, id} where id is the id given in that frame, or null.
 */
export class SSEParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buf = '';
    this.data = null;
    this.event = '';
    this.id = null;
    this.retry = null;
    this.lastEventId = null;
    this.first = true;
  }

  feed(chunk) {
    let text = this.buf + chunk;
    if (this.first && text) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (c === '\r' && i === text.length - 1) break;
      this.line(text.slice(start, i));
      if (c === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
    }
    this.buf = text.slice(start);
  }

  line(line) {
    if (line === '') {
      if (this.data !== null) {
        const data = this.data.endsWith('\n') ? this.data.slice(0, -1) : this.data;
        this.onEvent({ event: this.event || 'message', data, id: this.id });
      }
      this.data = null;
      this.event = '';
      this.id = null;
      return;
    }
    if (line[0] === ':') return; // comment / heartbeat
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'data') this.data = (this.data === null ? '' : this.data) + value + '\n';
    else if (field === 'event') this.event = value;
    else if (field === 'id' && value.indexOf('\0') < 0) { this.id = value; this.lastEventId = value; }
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = parseInt(value, 10);
  }
}

/**
 * Keep an authenticated SSE stream open: reconnects with jittered exponential
 * back-off, sends Last-Event-ID so the server replays what was missed, and
 * treats 45 s of silence (heartbeats come every 15 s) as a dead connection.
 */
export function openStream(opts) {
  const { url, headers, onEvent, onState, onAuth, onEmpty } = opts;
  let ctrl = null;
  let stopped = false;
  let attempt = 0;
  let timer = 0;
  let watchdog = 0;
  let serverRetry = 0;

  const kick = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => ctrl && ctrl.abort(), 45000);
  };

  const schedule = (minDelay) => {
    if (stopped) return;
    const base = Math.min(30000, 1000 * 2 ** attempt++);
    const delay = Math.max(minDelay || 0, serverRetry, base * (0.5 + Math.random() / 2));
    clearTimeout(timer);
    timer = setTimeout(run, delay);
  };

  async function run() {
    if (stopped) return;
    clearTimeout(timer);
    ctrl = new AbortController();
    const mine = ctrl;
    let minDelay = 0;
    let opened = false;
    try {
      kick();
      const res = await fetch(url, {
        headers: Object.assign({ Accept: 'text/event-stream' }, headers()),
        signal: ctrl.signal,
        cache: 'no-store',
        credentials: 'omit',
      });
      if (res.status === 401 || res.status === 403) {
        clearTimeout(watchdog);
        if (!stopped) onAuth && onAuth(res.status);
        return;
      }
      if (res.status === 204) {
        // "Nothing to follow yet" (no conversation): the spec says do not reconnect.
        clearTimeout(watchdog);
        stopped = true;
        window.removeEventListener('online', onOnline);
        window.removeEventListener('offline', onOffline);
        onEmpty && onEmpty();
        return;
      }
      if (res.status === 429 || res.status === 503) minDelay = (parseInt(res.headers.get('Retry-After'), 10) || 5) * 1000;
      if (!res.ok || !res.body) throw new Error('stream ' + res.status);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      const parser = new SSEParser(onEvent);
      onState && onState(true);
      for (;;) {
        const { done, value } = await reader.read();
        if (done || stopped || mine !== ctrl) break;
        kick();
        // Back-off resets only once bytes flow, so a server that accepts and
        // instantly drops the connection is not hammered.
        if (!opened) { opened = true; attempt = 0; }
        parser.feed(decoder.decode(value, { stream: true }));
        if (parser.retry) serverRetry = parser.retry;
      }
    } catch (e) {
      // network error, abort by the watchdog, or a bad status: fall through to reconnect
    }
    clearTimeout(watchdog);
    if (stopped || mine !== ctrl) return;
    onState && onState(false);
    schedule(minDelay);
  }

  const onOnline = () => { if (!stopped) { attempt = 0; if (ctrl) ctrl.abort(); run(); } };
  // Off line, the open response cannot be trusted (a dropped network often leaves it
  // silent rather than closed): drop it, so the state says so and "online" starts afresh.
  const onOffline = () => { if (!stopped && ctrl) ctrl.abort(); };
  window.addEventListener('online', onOnline);
  window.addEventListener('offline', onOffline);
  run();

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(watchdog);
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      if (ctrl) ctrl.abort();
    },
    /** Reconnect now (e.g. the conversation changed). */
    restart() {
      if (stopped) return;
      attempt = 0;
      const old = ctrl;
      ctrl = null;
      if (old) old.abort();
      run();
    },
  };
}
