// Phones (≤ 480 px wide, or ≤ 480 px tall when held sideways): the open panel covers the
// whole screen, so it is modal there. The host page must not scroll behind it (a swipe on
// the header or the composer would move the page, and the end of the message list would
// hand its scroll over): while it is open the page's <html> and <body> get overflow:
// hidden (through CSSOM, which a strict CSP allows) and their own inline values come back
// on close. Tab and Shift+Tab go round inside it, and it says aria-modal="true".
const FOCUSABLE = 'button, [href], input, textarea, select, [tabindex]:not([tabindex="-1"])';

export function scrollLock(d, w, panel) {
  const mq = w.matchMedia ? w.matchMedia('(max-width: 480px), (max-height: 480px)') : null;
  let want = false;
  let saved = null;
  const full = () => want && !!mq && mq.matches;
  function apply() {
    const on = full();
    const p = panel();
    if (p) p.setAttribute('aria-modal', String(on));
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
    /** keydown in the shadow root: keep Tab inside the full-screen panel. */
    trap(e, root) {
      const p = panel();
      if (e.key !== 'Tab' || !full() || !p) return;
      const all = Array.prototype.filter.call(p.querySelectorAll(FOCUSABLE), (el) => !el.disabled && el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden');
      if (!all.length) return;
      const at = root.activeElement;
      const edge = e.shiftKey ? at === all[0] || !p.contains(at) : at === all[all.length - 1];
      if (edge) { e.preventDefault(); all[e.shiftKey ? all.length - 1 : 0].focus(); }
    },
    stop() { want = false; apply(); listen(false); },
  };
}
