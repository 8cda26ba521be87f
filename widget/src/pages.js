// Page rules of proactive triggers: does this URL match one of the allowed pages?
// Pure (no DOM), so node --test covers it. The server validates the same shapes
// (app/triggers/schemas.py PageRule).

/** Does the URL match one of the trigger's allowed pages? (none listed: every page) */
export function pageAllowed(pages, href) {
  if (!pages || !pages.length) return true;
  let u;
  try { u = new URL(href); } catch (e) { return false; }
  const url = u.href.toLowerCase();
  const trim = (s) => (s.length > 1 && s.slice(-1) === '/' ? s.slice(0, -1) : s);
  return pages.some((p) => {
    const v = String(p.value || '').toLowerCase();
    if (!v) return false;
    if (p.match !== 'glob') return url.indexOf(v) >= 0;
    // "/blog/*" matches the path (plus the query or hash only when the rule has one);
    // anything else matches the whole URL. "*" is the only wildcard.
    const target = v[0] === '/'
      ? trim(u.pathname.toLowerCase()) + (v.indexOf('?') >= 0 ? u.search.toLowerCase() : '') + (v.indexOf('#') >= 0 ? u.hash.toLowerCase() : '')
      : url;
    const re = new RegExp('^' + trim(v).split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
    return re.test(target);
  });
}
