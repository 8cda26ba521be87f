import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { receipts } from '../src/receipts.js';
import { blinker } from '../src/tabs.js';

// A read mark store shared by "tabs", as localStorage is.
function setup(conv, messages) {
  const store = { mark: null };
  const sent = [];
  const posted = [];
  const r = receipts({
    load: () => store.mark,
    save: (v) => { store.mark = v; },
    messages: () => messages,
    conv: () => conv,
    rows: () => null,
    send: (c, s) => sent.push([c, s]),
    post: (t, d) => posted.push([t, d]),
  });
  return { r, store, sent, posted };
}
const msg = (seq, sender, conversation_id = 7) => ({ conversation_id, seq, sender });

test('unread: bot and agent messages past the mark, in the current conversation only', () => {
  const list = [msg(1, 'visitor'), msg(2, 'bot'), msg(3, 'system'), msg(4, 'agent'), msg(9, 'agent', 6)];
  const { r, store } = setup({ id: 7 }, list);
  assert.equal(r.unread(), 2, 'no mark: everything from others is unread');
  store.mark = { c: 7, s: 2 };
  assert.equal(r.unread(), 1);
  store.mark = { c: 6, s: 50 }; // an older conversation's mark says nothing about this one
  assert.equal(r.unread(), 2);
  store.mark = { c: 8, s: 0 }; // read a newer one already
  assert.equal(r.unread(), 0);
});

test('init: a first visit counts what is there as read; later visits keep the mark', () => {
  const { r, store } = setup({ id: 7 }, [msg(1, 'visitor'), msg(2, 'bot')]);
  r.init();
  assert.deepEqual(store.mark, { c: 7, s: 2 });
  store.mark = { c: 7, s: 1 };
  r.init();
  assert.deepEqual(store.mark, { c: 7, s: 1 });
});

test('read: moves the mark forward, tells the tabs, and the server only for an agent message', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const list = [msg(1, 'visitor'), msg(2, 'bot')];
    const { r, store, sent, posted } = setup({ id: 7 }, list);
    store.mark = { c: 7, s: 1 };
    r.read();
    assert.deepEqual(store.mark, { c: 7, s: 2 });
    assert.deepEqual(posted, [['read', { c: 7, s: 2 }]]);
    mock.timers.tick(1000);
    assert.deepEqual(sent, [], 'a bot answer read: nothing for the console');
    list.push(msg(3, 'agent'), msg(4, 'agent'));
    r.read();
    r.read(); // nothing new: no second post
    assert.equal(posted.length, 2);
    mock.timers.tick(1000);
    assert.deepEqual(sent, [[7, 4]], 'debounced: one call with the highest seq');
  } finally {
    mock.timers.reset();
  }
});

test('adopt: a mark from another tab only ever moves forward', () => {
  const { r, store } = setup({ id: 7 }, []);
  store.mark = { c: 7, s: 5 };
  r.adopt({ c: 7, s: 3 });
  assert.deepEqual(store.mark, { c: 7, s: 5 });
  r.adopt({ c: 7, s: 8 });
  assert.deepEqual(store.mark, { c: 7, s: 8 });
  r.adopt({ c: 9, s: 1 });
  assert.deepEqual(store.mark, { c: 9, s: 1 });
  r.adopt({ c: 'x', s: 99 });
  r.adopt(null);
  assert.deepEqual(store.mark, { c: 9, s: 1 });
});

test('title blink: alternates, follows the page title, stops and restores it', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const d = { title: 'Shop' };
    const blink = blinker(d, () => false);
    blink(1);
    assert.equal(d.title, '(1) New message');
    mock.timers.tick(1200);
    assert.equal(d.title, 'Shop');
    mock.timers.tick(1200);
    assert.equal(d.title, '(1) New message');
    blink(2);
    assert.equal(d.title, '(2) New messages');
    d.title = 'Checkout'; // a single-page app changed its title meanwhile
    mock.timers.tick(1200);
    assert.equal(d.title, 'Checkout');
    mock.timers.tick(1200);
    assert.equal(d.title, '(2) New messages');
    blink(0);
    assert.equal(d.title, 'Checkout', 'stopping while showing the alert restores the page title');
    mock.timers.tick(5000);
    assert.equal(d.title, 'Checkout', 'no blinking after a stop');
  } finally {
    mock.timers.reset();
  }
});

test('title with reduced motion: the count, steady', () => {
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const d = { title: 'Shop' };
    const blink = blinker(d, () => true);
    blink(3);
    assert.equal(d.title, '(3) New messages · Shop');
    mock.timers.tick(1200);
    assert.equal(d.title, '(3) New messages · Shop');
    blink(0);
    assert.equal(d.title, 'Shop');
  } finally {
    mock.timers.reset();
  }
});
