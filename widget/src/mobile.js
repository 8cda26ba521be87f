// Phones (≤ 480 px wide, or ≤ 480 px tall when held sideways): the open panel covers the
// whole screen, so the host page must not scroll behind it (a swipe on the header or the
// composer would move the page, and the end of the message list would hand its scroll
// over). While the panel is open there the page's <html> and <body> get overflow: hidden
// (through CSSOM, which a strict CSP allows); their own inline values come back on close.
export function scrollLock(d, w) {
  const mq = w.matchMedia ? w.matchMedia('(max-width: 480px), (max-height: 480px)') : null;
  let want = false;
  let saved = null;
  function apply() {
    const on = want && !!mq && mq.matches;
    if (on && !saved) {
      saved = [d.documentElement, d.body].filter(Boolean).map((el) => [el, el.style.getPropertyValue('overflow'), el.style.getPropertyPriority('overflow')]);
      for (const [el] of saved) el.style.setProperty('overflow', 'hidden', 'important');
    } else if (!on && saved) {
      for (const [el, v, p] of saved) { if (v) el.style.setProperty('overflow', v, p); else el.style.removeProperty('overflow'); }
      saved = null;
    }
  }
  const listen = (add) => { if (mq) (mq.addEventListener ? mq[add ? 'addEventListener' : 'removeEventListener']('change', apply) : mq[add ? 'addListener' : 'removeListener'](apply)); };
  listen(true);
  return {
    set(on) { want = !!on; apply(); },
    stop() { want = false; apply(); listen(false); },
  };
}
