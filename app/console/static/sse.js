// Server-sent events over fetch(): EventSource cannot send an Authorization
// header, and tokens never go in URLs. Reconnects with Last-Event-ID so the
// server replays what we missed, with jittered exponential back-off.

const HEARTBEAT_TIMEOUT_MS = 45000; // server pings every 15 s; three missed pings = dead socket
const MAX_DELAY_MS = 30000;

export class EventStream {
  /**
   * @param {object} o
   * @param {string} o.url
   * @param {() => string|null} o.getToken
   * @param {(ev: {type: string, id: string|null, data: any}) => void} o.onEvent
   * @param {(status: 'connecting'|'live'|'reconnecting', info: object) => void} [o.onStatus]
   * @param {() => void} [o.onUnauthorized]
   */
  constructor({ url, getToken, onEvent, onStatus = () => {}, onUnauthorized = () => {} }) {
    Object.assign(this, { url, getToken, onEvent, onStatus, onUnauthorized });
    this.lastEventId = null;
    this.attempt = 0;
    this.baseDelay = 1000;
    this.stopped = true;
    this.connectedOnce = false;
    this._wake = null;
    this._onOnline = () => this.kick();
    this._onVisible = () => { if (document.visibilityState === 'visible') this.kick(); };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this._onOnline);
    document.addEventListener('visibilitychange', this._onVisible);
    this._loop();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this._onOnline);
    document.removeEventListener('visibilitychange', this._onVisible);
    this.ctrl?.abort();
    this._wake?.();
  }

  /** Skip the current back-off wait (network came back, tab became visible). */
  kick() { this._wake?.(); }

  async _loop() {
    while (!this.stopped) {
      const ctrl = new AbortController();
      this.ctrl = ctrl;
      this.onStatus(this.connectedOnce ? 'reconnecting' : 'connecting', { attempt: this.attempt });
      try {
        const headers = { Accept: 'text/event-stream', 'Cache-Control': 'no-cache' };
        const token = this.getToken();
        if (token) headers.Authorization = `Bearer ${token}`;
        if (this.lastEventId != null) headers['Last-Event-ID'] = this.lastEventId;
        const res = await fetch(this.url, { headers, signal: ctrl.signal, cache: 'no-store' });
        if (res.status === 401) {
          this.stopped = true;
          this.onUnauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream HTTP ${res.status}`);
        const reconnected = this.connectedOnce;
        this.connectedOnce = true;
        this.onStatus('live', { reconnected });
        await this._read(res.body, ctrl);
      } catch (err) {
        if (this.stopped) return;
        // fall through to back-off
      }
      if (this.stopped) return;
      this.onStatus('reconnecting', { attempt: this.attempt });
      await this._sleep(this._delay());
      this.attempt += 1;
    }
  }

  _delay() {
    const exp = Math.min(MAX_DELAY_MS, this.baseDelay * 2 ** this.attempt);
    return Math.round(exp * (0.5 + Math.random() * 0.5));
  }

  _sleep(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() { clearTimeout(t); resolve(); }
      this._wake = () => { this._wake = null; done(); };
    });
  }

  async _read(body, ctrl) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let watchdog = null;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => ctrl.abort(), HEARTBEAT_TIMEOUT_MS);
    };
    this._buf = '';
    this._resetFrame();
    arm();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        arm();
        // Any bytes (even a heartbeat) prove the connection is healthy.
        this.attempt = 0;
        this._feed(decoder.decode(value, { stream: true }));
      }
    } finally {
      clearTimeout(watchdog);
      try { reader.releaseLock(); } catch { /* already released */ }
    }
  }

  _resetFrame() {
    this._type = '';
    this._data = [];
    this._id = undefined;
  }

  _feed(chunk) {
    this._buf += chunk;
    const re = /\r\n|\r|\n/g;
    let start = 0;
    let m;
    while ((m = re.exec(this._buf))) {
      // A lone CR at the end may be the first half of a CRLF split across chunks.
      if (m[0] === '\r' && m.index === this._buf.length - 1) break;
      this._line(this._buf.slice(start, m.index));
      start = m.index + m[0].length;
    }
    this._buf = this._buf.slice(start);
  }

  _line(line) {
    if (line === '') { this._dispatch(); return; }
    if (line[0] === ':') return; // comment / heartbeat
    const i = line.indexOf(':');
    const field = i === -1 ? line : line.slice(0, i);
    let value = i === -1 ? '' : line.slice(i + 1);
    if (value[0] === ' ') value = value.slice(1);
    switch (field) {
      case 'event': this._type = value; break;
      case 'data': this._data.push(value); break;
      case 'id': if (!value.includes('\0')) this._id = value; break;
      case 'retry': if (/^\d+$/.test(value)) this.baseDelay = Math.max(250, Number(value)); break;
      default: break;
    }
  }

  _dispatch() {
    if (this._id !== undefined) this.lastEventId = this._id;
    const id = this._id ?? null;
    const type = this._type || 'message';
    const raw = this._data.join('\n');
    const had = this._data.length > 0;
    this._resetFrame();
    if (!had) return;
    let data;
    try { data = JSON.parse(raw); } catch { return; }
    try {
      this.onEvent({ type, id, data });
    } catch (err) {
      console.error('parley: event handler failed', type, err);
    }
  }
}
