// Dev-only mock of the Parley widget API (docs/api.md) plus a demo host site.
// Not shipped. Run: npm run build && node dev/server.mjs
//
//   http://127.0.0.1:8787  "Parley host": /widget/* (dist), /api/v1/widget/*, /help/*
//   http://127.0.0.1:8788  "customer site" with a strict CSP (no unsafe-inline),
//                          embedding the widget cross-origin: /, /pricing, /spa
//
// Bot behaviour: questions about refunds/shipping get a streamed answer with a
// source; "human"/"agent" escalates; anything with "slow" streams slowly (for
// screenshots). Dev controls (POST, latest conversation): /dev/assign?name=Ada,
// /dev/agent?text=..., /dev/typing?sender=agent, /dev/close, /dev/drop (cut all streams).
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const PARLEY = Number(process.env.PARLEY_PORT || 8787);
const SITE = Number(process.env.SITE_PORT || 8788);
const HOST = `http://127.0.0.1:${PARLEY}`;
const quiet = process.env.QUIET === '1';
const log = (...a) => { if (!quiet) console.log(...a); };

const site = { name: 'Northwind Outfitters', greeting: 'Hi there 👋 I\'m the Northwind assistant. Ask me about orders, returns or shipping — or talk to a person any time.', color: '#4f46e5', position: 'right', launcher_label: 'Chat with us' };
const sessions = new Map(); // token → {id, convId, pageviews, context}
const convs = new Map(); // id → {id, status, assignee_name, created_at, events: [{seq, type, data}], listeners: Set}
let convSeq = 0;
let msgSeq = 100;
const now = () => new Date().toISOString();

const KB = [
  { re: /refund|return|money back/i, slug: 'refund-policy', title: 'Refund policy', answer: 'You can return any unused item within **30 days** of delivery for a full refund.\n\n- Items must be unused and in their original packaging\n- Refunds go back to your original payment method within *5–7 business days*\n\nStart a return from your [orders page](https://example.com/orders).' },
  { re: /xss/i, slug: 'xss', title: '<img src=x onerror=alert(1)>', url: 'javascript:alert(1)', answer: 'Careful: <script>alert(1)</script> <img src=x onerror="alert(2)"> [click me](javascript:alert(3)) [data](data:text/html,hi) and a [real link](https://example.com/ok).' },
  { re: /ship|deliver|track/i, slug: 'shipping', title: 'Shipping & delivery', answer: 'Standard shipping takes **3–5 business days**; express arrives the next business day if you order before 2 pm.\n\nYou can track a parcel with the link in your confirmation email, or send me your order number (it looks like `NW-12345`).' },
];

function conversationView(c) {
  return !c ? null : { id: c.id, status: c.status, assignee_name: c.assignee_name, created_at: c.created_at, last_seq: c.events.length ? c.events[c.events.length - 1].seq : 0 };
}
function messagesOf(c) { return c ? c.events.filter((e) => e.type === 'message.created').map((e) => e.data) : []; }

function emitStored(c, type, data) {
  const seq = (c.events.length ? c.events[c.events.length - 1].seq : 0) + 1;
  if (type === 'message.created') data.seq = seq;
  c.events.push({ seq, type, data });
  for (const l of c.listeners) l(`id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  return seq;
}
function emitEphemeral(c, type, data) { for (const l of c.listeners) l(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`); }

function addMessage(c, sender, text, extra = {}) {
  const m = { id: ++msgSeq, conversation_id: c.id, seq: 0, sender, author_name: sender === 'bot' ? 'Parley bot' : sender === 'agent' ? extra.author_name || 'Ada' : null, text, sources: extra.sources || [], client_message_id: extra.client_message_id || null, stream_id: extra.stream_id || null, created_at: now() };
  emitStored(c, 'message.created', m);
  return m;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function botTurn(c, text) {
  if (c.status !== 'bot') return;
  await sleep(250);
  if (/human|agent|person|someone/i.test(text)) return escalate(c, 'I\'m connecting you with a teammate now. They\'ll see everything we\'ve discussed, so you won\'t need to repeat yourself.');
  emitEphemeral(c, 'typing', { conversation_id: c.id, sender: 'bot', typing: true });
  await sleep(350);
  const hit = KB.find((k) => k.re.test(text));
  const answer = hit ? hit.answer : 'I couldn\'t find that in our help center, so I don\'t want to guess. Would you like me to bring in a teammate?';
  const streamId = randomUUID().slice(0, 8);
  const slow = /slow/i.test(text);
  for (const word of answer.match(/\S+\s*/g)) {
    emitEphemeral(c, 'bot.delta', { conversation_id: c.id, stream_id: streamId, delta: word });
    await sleep(slow ? 450 : 35);
  }
  addMessage(c, 'bot', answer, { stream_id: streamId, sources: hit ? [{ slug: hit.slug, title: hit.title, url: hit.url || `${HOST}/help/${hit.slug}` }, ...(hit.url ? [{ slug: 'ok', title: 'Safe source', url: `${HOST}/help/ok` }] : [])] : [] });
}
function escalate(c, note) {
  if (c.status !== 'bot') return;
  if (note) addMessage(c, 'bot', note);
  c.status = 'queued';
  emitStored(c, 'conversation.updated', { conversation: conversationView(c) });
}

function newConversation(s) {
  const c = { id: ++convSeq, status: 'bot', assignee_name: null, created_at: now(), events: [], listeners: new Set() };
  convs.set(c.id, c);
  s.convId = c.id;
  return c;
}

// ------------------------------------------------------------------ helpers
function cors(req, res) {
  const origin = req.headers.origin;
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Last-Event-ID');
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Max-Age', '600');
  }
}
function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
const err = (res, status, name, detail) => json(res, status, { error: name, detail });
async function readBody(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  try { return raw ? JSON.parse(raw) : {}; } catch (e) { return null; }
}
function auth(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  return m && sessions.get(m[1]);
}
const types = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' };
function serveFile(res, file) {
  if (!existsSync(file)) { res.writeHead(404); return res.end('not found'); }
  res.writeHead(200, { 'Content-Type': types[file.slice(file.lastIndexOf('.'))] || 'application/octet-stream', 'Cache-Control': 'no-cache' });
  res.end(readFileSync(file));
}

// ------------------------------------------------------------- Parley host
const delay = Number(process.env.API_DELAY || 0);
http.createServer(async (req, res) => {
  const url = new URL(req.url, HOST);
  const p = url.pathname;
  cors(req, res);
  if (req.method === 'OPTIONS') { res.writeHead(204); return res.end(); }
  if (p.startsWith('/widget/')) return serveFile(res, join(dist, normalize(p.slice(8)).replace(/^(\.\.[/\\])+/, '')));
  if (p.startsWith('/help/')) { res.writeHead(200, { 'Content-Type': 'text/html' }); return res.end(`<h1>${p.slice(6).replace(/[^a-z-]/g, '')}</h1><p>Help article.</p>`); }
  if (delay) await sleep(delay);

  if (p === '/api/v1/widget/session' && req.method === 'POST') {
    const body = await readBody(req);
    if (!body || body.site_key !== 'pk_demo') return err(res, 404, 'UnknownSite', 'No site with that key');
    let s = auth(req);
    let token = s && s.token;
    if (!s) { token = 'vt_' + randomUUID(); s = { token, id: randomUUID(), convId: null, pageviews: [] }; sessions.set(token, s); }
    s.context = body.context;
    s.pageviews.push({ url: body.context && body.context.url, title: body.context && body.context.title, at: now(), via: 'session' });
    log('session', s.id.slice(0, 8), body.context && body.context.url);
    const c = convs.get(s.convId);
    return json(res, 200, { token, session_id: s.id, conversation: conversationView(c), messages: messagesOf(c), site });
  }
  if (p.startsWith('/api/v1/widget/')) {
    const s = auth(req);
    if (!s) return err(res, 401, 'Unauthorized', 'Missing or invalid visitor token');
    const c = convs.get(s.convId);
    if (p === '/api/v1/widget/conversation' && req.method === 'GET') return json(res, 200, { conversation: conversationView(c), messages: messagesOf(c) });
    if (p === '/api/v1/widget/messages' && req.method === 'POST') {
      const body = await readBody(req);
      if (!body || typeof body.text !== 'string' || !body.text.trim()) return err(res, 422, 'ValidationError', 'text is required');
      if (body.text.includes('FAIL500')) return err(res, 500, 'Boom', 'simulated failure');
      let conv = c && c.status !== 'closed' ? c : newConversation(s);
      const dup = messagesOf(conv).find((m) => m.client_message_id === body.client_message_id);
      if (dup) return json(res, 200, { message: dup, conversation: conversationView(conv) });
      const m = addMessage(conv, 'visitor', body.text, { client_message_id: body.client_message_id });
      log('message', conv.id, JSON.stringify(body.text));
      botTurn(conv, body.text);
      return json(res, 201, { message: m, conversation: conversationView(conv) });
    }
    if (p === '/api/v1/widget/pageviews' && req.method === 'POST') {
      const body = await readBody(req);
      s.pageviews.push({ url: body.url, title: body.title, at: now() });
      log('pageview', body.url, JSON.stringify(body.title));
      res.writeHead(204); return res.end();
    }
    if (p === '/api/v1/widget/typing' && req.method === 'POST') {
      const body = await readBody(req);
      log('visitor typing', body && body.typing);
      if (c) emitEphemeral(c, 'typing', { conversation_id: c.id, sender: 'visitor', typing: !!(body && body.typing) });
      res.writeHead(204); return res.end();
    }
    if (p === '/api/v1/widget/handoff' && req.method === 'POST') {
      const conv = c && c.status !== 'closed' ? c : newConversation(s);
      escalate(conv);
      return json(res, 200, { conversation: conversationView(conv) });
    }
    if (p === '/api/v1/widget/stream' && req.method === 'GET') {
      // Like the real server: 204 until a conversation exists, then the latest one.
      if (!c) { res.writeHead(204); return res.end(); }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
      res.write(': hello\n\n');
      const last = Number(req.headers['last-event-id'] || 0);
      log('stream open', s.id.slice(0, 8), 'conv', c.id, 'last-event-id', req.headers['last-event-id'] || '-');
      const send = (frame) => res.write(frame);
      for (const e of c.events) if (e.seq > last) send(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
      c.listeners.add(send);
      const ping = setInterval(() => res.write(': ping\n\n'), 15000);
      drops.add(res);
      req.on('close', () => { clearInterval(ping); drops.delete(res); c.listeners.delete(send); });
      return;
    }
    return err(res, 404, 'NotFound', 'No such endpoint');
  }
  if (p.startsWith('/dev/') && req.method === 'POST') {
    const c = [...convs.values()].pop();
    if (!c) return err(res, 409, 'NoConversation', 'no conversation yet');
    const name = url.searchParams.get('name') || 'Ada';
    if (p === '/dev/assign') { c.status = 'assigned'; c.assignee_name = name; emitStored(c, 'conversation.updated', { conversation: conversationView(c) }); }
    else if (p === '/dev/agent') addMessage(c, 'agent', url.searchParams.get('text') || 'Hi, I\'m Ada. Let me look into that for you.', { author_name: name });
    else if (p === '/dev/typing') emitEphemeral(c, 'typing', { conversation_id: c.id, sender: url.searchParams.get('sender') || 'agent', typing: url.searchParams.get('on') !== '0' });
    else if (p === '/dev/close') { c.status = 'closed'; emitStored(c, 'conversation.updated', { conversation: conversationView(c) }); }
    else if (p === '/dev/drop') { for (const r of drops) r.destroy(); }
    else if (p === '/dev/state') return json(res, 200, { sessions: [...sessions.values()].map((s) => ({ id: s.id, convId: s.convId, pageviews: s.pageviews })), conversations: [...convs.values()].map((x) => ({ ...conversationView(x), messages: messagesOf(x) })) });
    return json(res, 200, { ok: true, conversation: conversationView(c) });
  }
  res.writeHead(404); res.end('not found');
}).listen(PARLEY, '127.0.0.1', () => log(`parley mock on ${HOST}`));
const drops = new Set();

// ----------------------------------------------------------- customer site
const snippet = 'window.Parley=window.Parley||function(){(Parley.q=Parley.q||[]).push(arguments)};';
const snippetHash = createHash('sha256').update(snippet).digest('base64');
const csp = [
  "default-src 'none'",
  `script-src 'self' 'sha256-${snippetHash}' ${HOST}`,
  `connect-src ${HOST}`,
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const pages = {
  '/': ['Northwind Outfitters', `<h1>Gear for every trail</h1><p>Waterproof jackets, boots and packs, tested in the Cascades. Free returns within 30 days.</p><div class="grid"><div class="card"><b>Ridge Shell Jacket</b><span>$189</span></div><div class="card"><b>Summit 45L Pack</b><span>$149</span></div><div class="card"><b>Trailhead Boots</b><span>$129</span></div><div class="card"><b>Merino Base Layer</b><span>$69</span></div></div><p>Questions about an order? Our assistant answers instantly, and a real person is a click away.</p>`],
  '/pricing': ['Pricing — Northwind', '<h1>Shipping & pricing</h1><p>Standard shipping is free over $75.</p>'],
  '/spa': ['SPA home — Northwind', '<h1>Single-page app</h1><p><button id="go-a">Go to /spa/a</button> <button id="go-b">Go to /spa/b</button></p>'],
};
const siteCss = 'body{margin:0;font:16px/1.6 Georgia,serif;color:#222;background:#fbfaf7}header{background:#1f2937;color:#fff;padding:18px 40px;font:600 18px system-ui}main{max-width:860px;margin:0 auto;padding:32px 40px}h1{font-size:40px;margin:.2em 0}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:16px;margin:24px 0}.card{background:#fff;border:1px solid #e5e1d8;border-radius:8px;padding:16px;height:120px;display:flex;flex-direction:column;justify-content:space-between}'
  // Hostile host CSS: none of it may reach the widget.
  + '*{letter-spacing:.02em}button{background:hotpink!important;border:3px solid lime;font-size:22px}div{line-height:3}';
const spaJs = "document.getElementById('go-a').onclick=function(){history.pushState({},'', '/spa/a');document.title='Page A — Northwind'};document.getElementById('go-b').onclick=function(){history.pushState({},'', '/spa/b');setTimeout(function(){document.title='Page B — Northwind'},50)};";

http.createServer((req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${SITE}`);
  if (url.pathname === '/favicon.ico') { res.writeHead(204); return res.end(); }
  if (url.pathname === '/site.css') { res.writeHead(200, { 'Content-Type': 'text/css' }); return res.end(siteCss); }
  if (url.pathname === '/spa.js') { res.writeHead(200, { 'Content-Type': 'text/javascript' }); return res.end(spaJs); }
  const key = url.pathname.startsWith('/spa') ? '/spa' : url.pathname;
  const page = pages[key];
  if (!page) { res.writeHead(404); return res.end('not found'); }
  const extra = url.searchParams.get('attrs') || '';
  const attrs = extra.replace(/[^a-z0-9=" #-]/gi, '');
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${page[0]}</title><link rel="stylesheet" href="/site.css">
<script>${snippet}</script>
<script async src="${HOST}/widget/loader.js" data-site-key="pk_demo" ${attrs}></script>
</head><body><header>Northwind Outfitters</header><main>${page[1]}<p><a href="/">Home</a> · <a href="/pricing">Pricing</a> · <a href="/spa">SPA</a></p></main>${key === '/spa' ? '<script src="/spa.js"></script>' : ''}</body></html>`);
}).listen(SITE, '127.0.0.1', () => log(`customer site on http://127.0.0.1:${SITE}`));
