// Tabs of one site in step: each tab has its own widget, session token (shared in
// localStorage) and SSE stream; what is only in a tab's memory travels here: the panel
// opened or closed, the visitor reading (the read mark itself is in localStorage), a new
// conversation to follow, a shutdown. BroadcastChannel where there is one, else the
// storage event (a key written and removed at once: other tabs of the origin see it).

/** Open the channel `name`; on(type, data) hears the other tabs (never this one). */
export function tabs(name, store, on) {
  const w = window;
  const me = Math.random().toString(36).slice(2);
  const key = name + ':tabs';
  const got = (m) => { if (m && m.f !== me && m.t) on(m.t, m.d); };
  let bc = null;
  try { bc = new BroadcastChannel(name); bc.onmessage = (e) => got(e.data); } catch (e) { bc = null; }
  const onStorage = (e) => { if (e.key === key && e.newValue) { try { got(JSON.parse(e.newValue)); } catch (x) { /* not ours */ } } };
  if (!bc) w.addEventListener('storage', onStorage);
  return {
    post(t, d) {
      const m = { t, d, f: me, n: Date.now() + Math.random() };
      try {
        if (bc) bc.postMessage(m);
        else if (store) { store.setItem(key, JSON.stringify(m)); store.removeItem(key); }
      } catch (e) { /* closed channel or blocked storage: this tab goes on alone */ }
    },
    close() {
      if (bc) bc.close();
      w.removeEventListener('storage', onStorage);
    },
  };
}

/**
 * The host page's title blinks "(n) New message" while there are unread messages and
 * the visitor is not looking; set(0) stops and puts the page's own title back. With
 * reduced motion the count is shown without blinking. A title the page changes
 * meanwhile (a single-page app's route) is the one restored.
 */
export function blinker(d, reduced) {
  let own = null; // the page's title
  let shown = null; // what we last wrote
  let timer = 0;
  let alt = '';
  let flip = false;
  let count = 0;
  function paint() {
    if (d.title !== shown) own = d.title;
    flip = !flip;
    shown = reduced() ? alt + ' · ' + own : flip ? alt : own;
    d.title = shown;
  }
  return (n) => {
    if (n === count) return;
    count = n;
    if (n > 0) {
      alt = '(' + n + ') ' + (n > 1 ? 'New messages' : 'New message');
      if (own == null) { own = shown = d.title; flip = false; }
      if (!timer) timer = setInterval(paint, 1200);
      flip = false;
      paint();
    } else if (own != null) {
      clearInterval(timer);
      timer = 0;
      if (d.title === shown) d.title = own;
      own = shown = null;
    }
  };
}
