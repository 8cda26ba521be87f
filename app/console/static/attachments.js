// Attachments in the console: the agent's paper-clip, paste and drop in the composer,
// previews with upload progress or the reason a file was refused, and the files of
// messages (visitor screenshots as thumbnails that open full size, documents that
// download). Files travel with the agent's token in a header and are shown from blob:
// URLs; names are only ever text.

import { request, session } from './api.js';
import { h, icon } from './dom.js';

const ACCEPT = 'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,text/csv,.csv,.txt,.docx,.xlsx,.pptx,.odt,.ods,.odp';
const MAX_FILES = 10;
const enc = encodeURIComponent;

export const fileSize = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);

const auth = () => ({ Authorization: `Bearer ${session.token}` });

/** Send a reply with files (ids of this agent's uploads to the conversation). */
export function sendReply(conversationId, clientMessageId, text, attachmentIds) {
  return request('POST', `/api/v1/conversations/${enc(conversationId)}/messages`,
    { client_message_id: clientMessageId, text, attachments: attachmentIds });
}

// ---- files of messages ----
const blobs = new Map(); // file URL → Promise of a blob: URL

function blobUrl(url) {
  if (!blobs.has(url)) {
    const p = fetch(url, { headers: auth(), cache: 'no-store', credentials: 'same-origin' })
      .then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.blob(); })
      .then((b) => URL.createObjectURL(b));
    p.catch(() => blobs.delete(url));
    blobs.set(url, p);
  }
  return blobs.get(url);
}

function save(a) {
  blobUrl(a.url).then((u) => {
    const link = h('a', { href: u, download: a.name || 'file', hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
  }, () => {});
}

function openImage(a) {
  const win = window.open('', '_blank'); // inside the click, so it is not blocked
  blobUrl(a.url).then((u) => { if (win) win.location.href = u; else save(a); }, () => win?.close());
}

/** The files of a message: image thumbnails (open full size) and file chips (download). */
export function attachmentList(atts) {
  if (!Array.isArray(atts) || !atts.length) return null;
  return h('div', { class: 'msg-files', 'data-testid': 'msg-attachments' }, atts.map((a) => {
    const label = a.name || 'file';
    if (a.thumb_url) {
      const img = h('img', { class: 'msg-file-thumb', alt: label });
      if (a.width && a.height) {
        const k = Math.min(1, 260 / a.width, 180 / a.height);
        img.width = Math.round(a.width * k);
        img.height = Math.round(a.height * k);
      }
      blobUrl(a.thumb_url).then((u) => { img.src = u; }, () => img.classList.add('is-broken'));
      return h('button', {
        type: 'button', class: 'msg-file-img', 'data-testid': 'msg-attachment', 'data-kind': 'image',
        title: `${label} (opens in a new tab)`, 'aria-label': `Open ${label} in a new tab`, onclick: () => openImage(a),
      }, img);
    }
    return h('button', {
      type: 'button', class: 'msg-file', 'data-testid': 'msg-attachment', 'data-kind': 'file',
      'aria-label': `Download ${label}, ${fileSize(a.size || 0)}`, onclick: () => save(a),
    }, icon('file', 16), h('span', { class: 'msg-file-name' }, label), h('span', { class: 'msg-file-size' }, fileSize(a.size || 0)));
  }));
}

/**
 * The composer's part: a paper-clip button, a hidden file input, the tray of files to
 * send, drop and paste. getConversationId(): where uploads go; changed(): the tray changed.
 */
export function createAttachments({ getConversationId, changed }) {
  const items = []; // { file, el, url, xhr, att, error, conv }
  const input = h('input', {
    type: 'file', multiple: true, accept: ACCEPT, hidden: true, 'data-testid': 'reply-file-input',
  });
  input.addEventListener('change', () => { add(input.files); input.value = ''; });
  const button = h('button', {
    type: 'button', class: 'icon-btn composer-attach', 'aria-label': 'Attach files', title: 'Attach files (or paste, or drop them here)',
    'data-testid': 'reply-attach',
  }, icon('paperclip', 18));
  button.addEventListener('click', () => input.click());
  const tray = h('div', { class: 'composer-tray', role: 'list', 'aria-label': 'Files to send', 'data-testid': 'reply-tray', hidden: true });
  const zone = h('div', { class: 'composer-drop', hidden: true, 'aria-hidden': 'true' }, icon('paperclip', 22), 'Drop files to attach');

  function add(files) {
    const conv = getConversationId();
    if (conv == null) return;
    for (const file of Array.from(files || [])) {
      const it = { file, conv };
      items.push(it);
      it.el = chip(it);
      tray.append(it.el);
      if (items.length > MAX_FILES) fail(it, `At most ${MAX_FILES} files per message.`);
      else if (!file.size) fail(it, 'This file is empty.');
      else upload(it);
    }
    paint();
  }

  function chip(it) {
    const name = it.file.name || 'file';
    let thumb;
    if (/^image\/(png|jpeg|gif|webp)$/.test(it.file.type)) {
      it.url = URL.createObjectURL(it.file);
      thumb = h('img', { class: 'composer-file-thumb', src: it.url, alt: '' });
      thumb.addEventListener('error', () => thumb.replaceWith(h('span', { class: 'composer-file-icon', 'aria-hidden': 'true' }, icon('file', 16))));
    } else {
      thumb = h('span', { class: 'composer-file-icon', 'aria-hidden': 'true' }, icon('file', 16));
    }
    it.bar = h('progress', { class: 'composer-file-progress', max: '100', value: '0', 'aria-label': `Uploading ${name}` });
    it.msg = h('span', { class: 'composer-file-error', role: 'alert', 'data-testid': 'reply-upload-error', hidden: true });
    const x = h('button', { type: 'button', class: 'icon-btn composer-file-x', 'aria-label': `Remove ${name}`, 'data-testid': 'reply-upload-remove' }, icon('x', 14));
    x.addEventListener('click', () => remove(it));
    return h('div', { class: 'composer-file is-busy', role: 'listitem', 'data-testid': 'reply-upload' },
      thumb,
      h('span', { class: 'composer-file-text' },
        h('span', { class: 'composer-file-name' }, name),
        h('span', { class: 'composer-file-size' }, fileSize(it.file.size)), it.bar, it.msg),
      x);
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
    const xhr = new XMLHttpRequest();
    it.xhr = xhr;
    xhr.open('POST', `/api/v1/conversations/${enc(it.conv)}/files?filename=${enc(it.file.name || 'file')}`);
    xhr.setRequestHeader('Authorization', auth().Authorization);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) it.bar.value = Math.round((e.loaded / e.total) * 100); });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201 && data?.id != null) {
        it.att = data;
        it.el.classList.remove('is-busy');
        it.el.dataset.id = String(data.id);
        it.bar.remove();
        paint();
      } else {
        fail(it, typeof data?.detail === 'string' ? data.detail : `Upload failed (${xhr.status}).`);
      }
    });
    xhr.addEventListener('error', () => fail(it, 'Upload failed. Check your connection and try again.'));
    xhr.send(it.file);
  }

  function remove(it, sent = false) {
    const i = items.indexOf(it);
    if (i >= 0) items.splice(i, 1);
    if (it.xhr && !it.att && !it.error) it.xhr.abort();
    if (it.att && !sent) request('DELETE', it.att.url).catch(() => {});
    if (it.url) URL.revokeObjectURL(it.url);
    it.el.remove();
    paint();
  }

  function paint() {
    tray.hidden = !items.length;
    changed?.();
  }

  /** Drop files on ``target`` (the composer), paste them into ``textarea``. */
  function bind(target, textarea) {
    let depth = 0;
    const hasFiles = (e) => Array.from(e.dataTransfer?.types || []).includes('Files');
    target.append(zone);
    target.addEventListener('dragenter', (e) => { if (hasFiles(e)) { depth += 1; zone.hidden = false; e.preventDefault(); } });
    target.addEventListener('dragover', (e) => { if (hasFiles(e)) { e.preventDefault(); e.dataTransfer.dropEffect = 'copy'; } });
    target.addEventListener('dragleave', () => { if (depth) { depth -= 1; if (!depth) zone.hidden = true; } });
    target.addEventListener('drop', (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth = 0;
      zone.hidden = true;
      add(e.dataTransfer.files);
    });
    textarea.addEventListener('paste', (e) => {
      const files = Array.from(e.clipboardData?.files || []);
      if (!files.length) return;
      e.preventDefault();
      add(files);
    });
  }

  return {
    button, input, tray, bind,
    /** Uploaded files ready to go with the next reply. */
    ready: () => items.filter((it) => it.att).map((it) => it.att),
    busy: () => items.some((it) => !it.att && !it.error),
    /** Sent: empty the tray without deleting what went. */
    clear: () => { for (const it of items.slice()) remove(it, true); },
    /** Another conversation was opened: uploads made for this one are dropped. */
    reset: () => { for (const it of items.slice()) remove(it); },
  };
}
