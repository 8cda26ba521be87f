// Parley loader: the only script a host page includes. Tiny, async, no globals
// besides `Parley`, no CSS. It reads its data- attributes, keeps the command
// queue and loads widget.js from its own directory once the page has loaded.
(function (w, d) {
  var P = w.Parley;
  if (P && (P.loaded || P.c)) return; // loaded twice
  var s = d.currentScript;
  if (!s || !/\/loader\.js(\?|#|$)/.test(s.src)) {
    // currentScript is null in some injection paths (tag managers, old browsers)
    var list = d.querySelectorAll('script[src*="/widget/loader.js"]');
    s = list[list.length - 1];
  }
  if (!s) return;
  if (typeof P !== 'function') {
    P = function () { (P.q = P.q || []).push(arguments); };
    w.Parley = P;
  }
  var c = {};
  var ds = s.dataset || {};
  for (var k in ds) c[k] = ds[k];
  var src = s.src.split(/[?#]/)[0];
  var m = /^(https?:\/\/[^/]+)/.exec(src);
  c.api = (c.api || (m ? m[1] : '')).replace(/\/+$/, '');
  P.c = c;

  var done = 0;
  function load() {
    if (done++) return;
    var url = src.replace(/[^/]*$/, '') + 'widget.js?v=' + __WIDGET_HASH__;
    // Host pages that enforce Trusted Types must allow the "parley" policy.
    try {
      if (w.trustedTypes && w.trustedTypes.createPolicy) {
        url = w.trustedTypes.createPolicy('parley', { createScriptURL: function (u) { return u; } }).createScriptURL(url);
      }
    } catch (e) { /* policy not allowed: a plain string still works where TT is not enforced */ }
    var el = d.createElement('script');
    el.async = true;
    el.src = url;
    (d.head || d.documentElement).appendChild(el);
  }
  // Start after the page's own load so the widget never delays it, but don't
  // wait forever on a page whose load event is held up by a slow resource.
  if (d.readyState === 'complete') load();
  else {
    w.addEventListener('load', load);
    setTimeout(load, 8000);
  }
})(window, document);
