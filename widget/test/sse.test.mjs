import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SSEParser } from '../src/sse.js';

const collect = (chunks) => {
  const out = [];
  const p = new SSEParser((e) => out.push(e));
  for (const c of chunks) p.feed(c);
  return { out, p };
};

test('frames with id, event and json data', () => {
  const { out, p } = collect(['id: 7\nevent: message.created\ndata: {"id":1}\n\n']);
  assert.deepEqual(out, [{ id: '7', event: 'message.created', data: '{"id":1}' }]);
  assert.equal(p.lastEventId, '7');
});

test('ephemeral frames have no id; comments are ignored', () => {
  const { out, p } = collect([': ping\n\nid: 3\nevent: a\ndata: 1\n\nevent: bot.delta\ndata: 2\n\n']);
  assert.deepEqual(out.map((e) => [e.event, e.id]), [['a', '3'], ['bot.delta', null]]);
  assert.equal(p.lastEventId, '3');
});

test('chunks split anywhere, CRLF split across chunks, CR-only line ends', () => {
  const frame = 'id: 1\r\nevent: x\r\ndata: {"a":\r\ndata: 2}\r\n\r\n';
  for (let i = 1; i < frame.length; i++) {
    const { out } = collect([frame.slice(0, i), frame.slice(i)]);
    assert.deepEqual(out, [{ id: '1', event: 'x', data: '{"a":\n2}' }], `split at ${i}`);
  }
  // A trailing CR is held until the next byte shows whether an LF follows.
  assert.equal(collect(['data: a\r\rdata: b\r\r', ': ping\n']).out.length, 2);
});

test('BOM, no-space fields, default event type, retry', () => {
  const { out, p } = collect(['\ufeffdata:x\n\nretry: 2500\n\n']);
  assert.deepEqual(out, [{ id: null, event: 'message', data: 'x' }]);
  assert.equal(p.retry, 2500);
});

test('frame without data is not dispatched', () => {
  assert.equal(collect(['event: x\nid: 4\n\n']).out.length, 0);
});
