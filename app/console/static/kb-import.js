// Import dialog: upload files (drag and drop) or fetch a page/sitemap of the site, with progress.

import { h, icon } from './dom.js';
import { uploadFile, importUrl } from './kb-api.js';
import { kbIcon } from './kb-icons.js';

const ACCEPT = '.md,.markdown,.txt,.html,.htm,.csv,.tsv,.json,.pdf';

export function openImportDialog({ onDone, onOpenArticle }) {
  const prevFocus = document.activeElement;
  const close = () => { ctrl?.abort(); overlay.remove(); document.removeEventListener('keydown', onKey); prevFocus?.focus?.(); };
  const onKey = (ev) => { if (ev.key === 'Escape') close(); };
  let ctrl = null;

  const closeBtn = h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close' }, icon('x', 18));
  closeBtn.addEventListener('click', close);
  const tabFiles = h('button', { type: 'button', class: 'kb-tab', role: 'tab', 'aria-selected': 'true', 'data-testid': 'import-tab-files' }, 'Upload files');
  const tabUrl = h('button', { type: 'button', class: 'kb-tab', role: 'tab', 'aria-selected': 'false', 'data-testid': 'import-tab-url' }, 'From your site');

  const fileInput = h('input', { type: 'file', multiple: true, accept: ACCEPT, class: 'visually-hidden', id: 'kb-import-files', 'data-testid': 'import-files' });
  const drop = h('label', { class: 'kb-drop', for: 'kb-import-files' },
    kbIcon('upload', 28),
    h('strong', null, 'Drop files here or choose them'),
    h('span', { class: 'kb-muted' }, 'Markdown, HTML, text, FAQ (CSV/JSON) or PDF · up to 10 MB each · the file name becomes the article’s address'));
  const filesPane = h('div', { class: 'kb-import-pane', 'data-pane': 'files' }, fileInput, drop);

  const url = h('input', { type: 'url', class: 'kb-input', id: 'kb-import-url', placeholder: 'https://www.example.com/sitemap.xml', 'data-testid': 'import-url' });
  const fetchBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'import-url-go' }, h('span', { class: 'spinner' }), h('span', null, 'Import'));
  const urlPane = h('div', { class: 'kb-import-pane', 'data-pane': 'url', hidden: true },
    h('label', { class: 'kb-field-label', for: 'kb-import-url' }, 'A page or a sitemap of your own site'),
    h('div', { class: 'kb-try-row' }, url, fetchBtn),
    h('p', { class: 'kb-muted' }, 'Only your site’s own addresses can be imported. A sitemap imports every page it lists; navigation, footers and cookie banners are left out.'));

  const publish = h('input', { type: 'checkbox', id: 'kb-import-publish', 'data-testid': 'import-publish' });
  const publishRow = h('label', { class: 'kb-check', for: 'kb-import-publish' }, publish, h('span', null, 'Publish immediately (otherwise imported as drafts to review)'));

  const bar = h('span', { class: 'kb-progress-fill' });
  const progressText = h('span', { class: 'kb-progress-text', 'data-testid': 'import-progress-text' });
  const progress = h('div', { class: 'kb-progress', hidden: true, 'data-testid': 'import-progress' },
    h('span', { class: 'kb-progress-track', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, bar), progressText);
  const results = h('ul', { class: 'kb-import-results', 'data-testid': 'import-results' });

  const dialog = h('div', { class: 'kb-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'kb-import-title' },
    h('header', { class: 'kb-dialog-head' }, h('h2', { id: 'kb-import-title' }, 'Import articles'), closeBtn),
    h('div', { class: 'kb-tabs', role: 'tablist' }, tabFiles, tabUrl),
    filesPane, urlPane, publishRow, progress, results);
  const overlay = h('div', { class: 'kb-overlay' }, dialog);
  overlay.addEventListener('mousedown', (ev) => { if (ev.target === overlay) close(); });
  document.body.append(overlay);
  document.addEventListener('keydown', onKey);

  const select = (which) => {
    tabFiles.setAttribute('aria-selected', String(which === 'files'));
    tabUrl.setAttribute('aria-selected', String(which === 'url'));
    filesPane.hidden = which !== 'files';
    urlPane.hidden = which !== 'url';
    (which === 'url' ? url : drop).focus?.();
  };
  tabFiles.addEventListener('click', () => select('files'));
  tabUrl.addEventListener('click', () => select('url'));

  const setProgress = (pct, text) => {
    progress.hidden = false;
    bar.style.width = `${Math.max(0, Math.min(100, pct))}%`;
    bar.parentElement.setAttribute('aria-valuenow', String(Math.round(pct)));
    progressText.textContent = text;
  };
  const STAGE = { read: 'Reading', fetch: 'Fetching', save: 'Saving', index: 'Indexing' };
  const onEvent = (prefix) => (ev) => {
    const share = { read: [5, 10], fetch: [0, 70], save: [70, 85], index: [85, 100] }[ev.stage] || [0, 100];
    const frac = ev.total ? ev.done / ev.total : 0;
    setProgress(share[0] + (share[1] - share[0]) * frac, `${prefix}${STAGE[ev.stage] || ev.stage} ${ev.done}/${ev.total} · ${ev.item}`);
  };

  const addResults = (res) => {
    for (const item of res.items) {
      const open = h('button', { type: 'button', class: 'link-btn' }, item.title);
      open.addEventListener('click', () => { close(); onOpenArticle(item.id); });
      results.append(h('li', { class: `kb-result kb-result--${item.action}` },
        h('span', { class: 'kb-result-action' }, item.action), open,
        h('span', { class: 'kb-muted' }, ` /${item.slug} · ${item.status}`),
        item.warnings.map((w) => h('span', { class: 'kb-warn' }, w))));
    }
    for (const s of res.skipped || []) results.append(h('li', { class: 'kb-result kb-result--skipped' }, h('span', { class: 'kb-result-action' }, 'skipped'), h('span', null, `${s.url} — ${s.reason}`)));
  };
  const addError = (name, err) => results.append(h('li', { class: 'kb-result kb-result--error', role: 'alert' }, h('span', { class: 'kb-result-action' }, 'error'), h('span', null, `${name}: ${err.detail || err.message}`)));

  async function runFiles(files) {
    if (!files.length) return;
    let ok = 0;
    ctrl = new AbortController();
    for (const [i, file] of [...files].entries()) {
      const prefix = files.length > 1 ? `${i + 1}/${files.length} ${file.name} · ` : `${file.name} · `;
      setProgress(0, `${prefix}Uploading…`);
      try {
        const res = await uploadFile(file, {
          publish: publish.checked,
          signal: ctrl.signal,
          onUpload: (done, total) => setProgress((done / total) * 50, `${prefix}Uploading ${Math.round(done / 1024)} / ${Math.round(total / 1024)} KB`),
          onEvent: (ev) => onEvent(prefix)({ ...ev, stage: ev.stage }),
        });
        addResults(res);
        ok++;
      } catch (err) { addError(file.name, err); }
    }
    setProgress(100, `Done: ${ok} of ${files.length} file(s) imported.`);
    if (ok) onDone();
  }
  fileInput.addEventListener('change', () => runFiles(fileInput.files));
  for (const t of ['dragenter', 'dragover']) drop.addEventListener(t, (ev) => { ev.preventDefault(); drop.classList.add('is-over'); });
  for (const t of ['dragleave', 'drop']) drop.addEventListener(t, () => drop.classList.remove('is-over'));
  drop.addEventListener('drop', (ev) => { ev.preventDefault(); runFiles(ev.dataTransfer?.files || []); });

  async function runUrl() {
    const value = url.value.trim();
    if (!value) { url.focus(); return; }
    fetchBtn.classList.add('is-busy');
    fetchBtn.disabled = true;
    ctrl = new AbortController();
    setProgress(2, 'Fetching…');
    try {
      const res = await importUrl(value, { publish: publish.checked, signal: ctrl.signal, onEvent: onEvent('') });
      addResults(res);
      setProgress(100, `Done: ${res.items.length} article(s) imported${res.skipped.length ? `, ${res.skipped.length} skipped` : ''}.`);
      onDone();
    } catch (err) {
      if (err?.name !== 'AbortError') { addError(value, err); setProgress(0, 'Import failed.'); }
    } finally {
      fetchBtn.classList.remove('is-busy');
      fetchBtn.disabled = false;
    }
  }
  fetchBtn.addEventListener('click', runUrl);
  url.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); runUrl(); } });
  tabFiles.focus();
  return { close };
}
