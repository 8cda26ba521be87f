// Attachments: the paper-clip, pasting a screenshot, dropping files on the panel; a
// preview of each file (with upload progress, or why it was refused) before it is sent;
// and the files of messages — image thumbnails that open the full image in a new tab,
// file chips that download. Uploads send the raw bytes with XMLHttpRequest (for its
// progress events); files are fetched with the token in a header and shown from blob:
// URLs, so no token is ever in a URL. Names are text nodes, never markup.
import { h, icon } from './dom.js';
import css from './uploads.css';

export const uploadsCss = css;

// What the server accepts (it decides from the bytes; this only guides the picker).
const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,.csv,.txt,.docx,.xlsx,.pptx,.odt,.ods,.odp';
const MAX_FILES = 10;

export const fileSize = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' KB');

/**
 * api: base URL; token(): the visitor token; max(): the size limit in bytes;
 * changed(): called when the files to send change (the send button's state).
 */
export function uploads({ api, token, max, changed }) {
  const w = window;
  const items = []; // { file, el, url, xhr, att, error }
  const blobs = new Map(); // file URL → Promise of a blob: URL
  const input = h('input', {
    type: 'file', multiple: true, accept: ACCEPT, hidden: true, tabindex: '-1', 'data-testid': 'parley-file-input',
    onchange: () => { add(input.files); input.value = ''; },
  });
  const button = h('button', {
    type: 'button', class: 'pl-attach', 'aria-label': 'Attach a file', title: 'Attach a file', 'data-testid': 'parley-attach',
    onclick: () => input.click(),
  }, icon('clip', 18));
  const tray = h('div', { class: 'pl-tray', role: 'list', 'aria-label': 'Files to send', 'data-testid': 'parley-tray', hidden: true });
  const zone = h('div', { class: 'pl-drop', 'data-testid': 'parley-drop', hidden: true, 'aria-hidden': 'true' },
    icon('clip', 28), h('span', null, 'Drop files to attach'));

  const auth = () => ({ Authorization: 'Bearer ' + token() });

  function add(files) {
    for (const file of Array.from(files || [])) {
      if (!file) continue;
      const it = { file };
      if (items.length >= MAX_FILES) { it.error = 'At most ' + MAX_FILES + ' files per message.'; }
      items.push(it);
      it.el = chip(it);
      tray.appendChild(it.el);
      const limit = max();
      if (it.error) fail(it, it.error);
      else if (!file.size) fail(it, 'This file is empty.');
      else if (limit && file.size > limit) fail(it, 'Too big: ' + fileSize(file.size) + '. The limit is ' + fileSize(limit) + '.');
      else upload(it);
    }
    paint();
  }

  function chip(it) {
    const f = it.file;
    const name = f.name || 'file';
    let thumb;
    if (/^image\/(png|jpeg|gif|webp)$/.test(f.type) && w.URL && URL.createObjectURL) {
      it.url = URL.createObjectURL(f);
      // Not really an image (the server will say what it is): an icon instead of a broken picture.
      thumb = h('img', { class: 'pl-tray-img', src: it.url, alt: '', onerror: () => thumb.replaceWith(h('span', { class: 'pl-tray-icon', 'aria-hidden': 'true' }, icon('file', 18))) });
    } else {
      thumb = h('span', { class: 'pl-tray-icon', 'aria-hidden': 'true' }, icon('file', 18));
    }
    it.bar = h('progress', { class: 'pl-progress', max: '100', value: '0', 'aria-label': 'Uploading ' + name });
    it.msg = h('span', { class: 'pl-tray-err', role: 'alert', 'data-testid': 'parley-upload-error', hidden: true });
    return h('div', { class: 'pl-tray-item is-busy', role: 'listitem', 'data-testid': 'parley-upload' },
      thumb,
      h('span', { class: 'pl-tray-text' }, h('span', { class: 'pl-tray-name' }, name), h('span', { class: 'pl-tray-size' }, fileSize(f.size)), it.bar, it.msg),
      h('button', { type: 'button', class: 'pl-tray-x', 'aria-label': 'Remove ' + name, 'data-testid': 'parley-upload-remove', onclick: () => remove(it) }, icon('close', 14)));
  }

  function fail(it, message) {
    it.error = message;
    it.el.classList.remove('is-busy');
    it.el.classList.add('is-error');
    it.bar.remove();
    it.msg.textContent = message;
    it.msg.hidden = false;
    paint();
  }

  function upload(it) {
    const xhr = (it.xhr = new XMLHttpRequest());
    xhr.open('POST', api + '/api/v1/widget/files?filename=' + encodeURIComponent(it.file.name || 'file'));
    const hd = auth();
    for (const k in hd) xhr.setRequestHeader(k, hd[k]);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) it.bar.value = Math.round((e.loaded / e.total) * 100); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      if (xhr.status === 201 && data && data.id != null) {
        it.att = data;
        it.el.classList.remove('is-busy');
        it.el.dataset.id = data.id;
        it.bar.remove();
        paint();
      } else {
        const d = data && data.detail;
        fail(it, typeof d === 'string' ? d : 'Upload failed (' + xhr.status + ').');
      }
    };
    xhr.onerror = () => fail(it, 'Upload failed. Check your connection and try again.');
    xhr.send(it.file);
  }

  function remove(it, sent) {
    const i = items.indexOf(it);
    if (i >= 0) items.splice(i, 1);
    if (it.xhr && !it.att && !it.error) it.xhr.abort();
    // Uploaded but not sent: the server forgets it too.
    if (it.att && !sent) fetch(api + it.att.url, { method: 'DELETE', headers: auth(), credentials: 'omit' }).catch(() => {});
    if (it.url) URL.revokeObjectURL(it.url);
    it.el.remove();
    paint();
  }

  function paint() {
    tray.hidden = !items.length;
    changed();
  }

  // Drag and drop anywhere on the panel, with a visible drop zone; paste into the composer.
  function bind(panel, textarea) {
    let depth = 0;
    const hasFiles = (e) => e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], 'Files') >= 0;
    panel.appendChild(zone);
    panel.addEventListener('dragenter', (e) => { if (hasFiles(e)) { depth++; zone.hidden = false; e.preventDefault(); } });
    panel.addEventListener('dragover', (e) => { if (hasFiles(e)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; } });
    panel.addEventListener('dragleave', () => { if (depth && !--depth) zone.hidden = true; });
    panel.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      zone.hidden = true;
      add(e.dataTransfer.files);
    });
    textarea.addEventListener('paste', (e) => {
      const files = Array.from((e.clipboardData && e.clipboardData.files) || []);
      if (!files.length) return; // text pastes as usual
      e.preventDefault();
      add(files);
    });
  }

  // ---- files of messages ----
  function blobUrl(url) {
    if (!blobs.has(url)) {
      const p = fetch(api + url, { headers: auth(), credentials: 'omit' })
        .then((r) => { if (!r.ok) throw new Error('HTTP ' + r.status); return r.blob(); })
        .then((b) => URL.createObjectURL(b));
      p.catch(() => blobs.delete(url)); // try again next time
      blobs.set(url, p);
    }
    return blobs.get(url);
  }

  function save(a) {
    blobUrl(a.url).then((u) => {
      const link = h('a', { href: u, download: a.name || 'file', hidden: true });
      tray.appendChild(link);
      link.click();
      link.remove();
    }, () => {});
  }

  function openImage(a) {
    // Opened now (inside the click), pointed at the image once it has arrived.
    const win = w.open('', '_blank');
    blobUrl(a.url).then((u) => { if (win) win.location.href = u; else save(a); }, () => { if (win) win.close(); });
  }

  // A file chip: downloads it, or for an image whose picture the page's CSP blocks
  // (no img-src blob:), still opens it.
  const chip2 = (a, label, image) => h('button', {
    type: 'button', class: 'pl-att-file', 'data-testid': 'parley-attachment', 'data-kind': image ? 'image' : 'file',
    'aria-label': (image ? 'Open ' : 'Download ') + label + ', ' + fileSize(a.size || 0), onclick: () => (image ? openImage(a) : save(a)),
  }, icon('file', 18), h('span', { class: 'pl-att-name' }, label), h('span', { class: 'pl-att-size' }, fileSize(a.size || 0)));

  function list(atts) {
    return h('div', { class: 'pl-atts', 'data-testid': 'parley-attachments' }, atts.map((a) => {
      const label = a.name || 'file';
      if (!a.thumb_url) return chip2(a, label, false);
      const img = h('img', { class: 'pl-att-thumb', alt: label });
      if (a.width && a.height) { const k = Math.min(1, 220 / a.width, 160 / a.height); img.width = Math.round(a.width * k); img.height = Math.round(a.height * k); }
      const btn = h('button', {
        type: 'button', class: 'pl-att-img', 'data-testid': 'parley-attachment', 'data-kind': 'image',
        'aria-label': 'Open ' + label + ' in a new tab', title: label, onclick: () => openImage(a),
      }, img);
      const fallback = () => btn.replaceWith(chip2(a, label, true));
      img.addEventListener('error', fallback);
      blobUrl(a.thumb_url).then((u) => { img.src = u; }, fallback);
      return btn;
    }));
  }

  return {
    button, input, tray, bind, list,
    /** Uploaded files ready to go with the next message. */
    ready: () => items.filter((it) => it.att).map((it) => it.att),
    /** Whether a file is still uploading. */
    busy: () => items.some((it) => !it.att && !it.error),
    /** The files went with a message: clear the tray (refused ones go too). */
    clear: () => { for (const it of items.slice()) remove(it, true); },
  };
}
