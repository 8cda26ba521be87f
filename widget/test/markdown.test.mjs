import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inline, parse, safeUrl } from '../src/markdown.js';

const texts = (nodes) => nodes.map((n) => (n.t === 'text' ? n.v : n.t === 'br' ? '\n' : n.c ? `<${n.t}>${texts(n.c)}</${n.t}>` : `<${n.t}>${n.v}</${n.t}>`)).join('');

test('inline emphasis, code and breaks', () => {
  assert.equal(texts(inline('a **b** *c* `d` e\nf')), 'a <b>b</b> <i>c</i> <code>d</code> e\nf');
  assert.equal(texts(inline('__b__ and _i_')), '<b>b</b> and <i>i</i>');
  assert.equal(texts(inline('**bold _and italic_**')), '<b>bold <i>and italic</i></b>');
});

test('no emphasis inside words or arithmetic', () => {
  assert.equal(texts(inline('snake_case_name')), 'snake_case_name');
  assert.equal(texts(inline('2 * 3 * 4')), '2 * 3 * 4');
  assert.equal(texts(inline('`**not bold**`')), '<code>**not bold**</code>');
});

test('links are limited to http, https and mailto', () => {
  const [a] = inline('[Refunds](https://example.com/r?x=1)');
  assert.equal(a.t, 'a');
  assert.equal(a.href, 'https://example.com/r?x=1');
  assert.equal(inline('[x](mailto:help@example.com)')[0].href, 'mailto:help@example.com');
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', '/relative', '//evil.example/x']) {
    const out = inline(`[click](${bad})`);
    assert.ok(out.every((n) => n.t !== 'a'), bad);
    assert.equal(texts(out), `[click](${bad})`);
  }
  assert.equal(safeUrl(' javascript:alert(1)'), null);
  assert.equal(safeUrl('http://a.example/'), 'http://a.example/');
});

test('bare URLs become links without trailing punctuation', () => {
  const out = inline('See https://example.com/help. Or mailto:a@b.co!');
  assert.deepEqual(out.filter((n) => n.t === 'a').map((n) => n.href), ['https://example.com/help', 'mailto:a@b.co']);
  assert.equal(texts(out), 'See <a>https://example.com/help</a>. Or <a>a@b.co</a>!');
});

test('HTML stays text', () => {
  assert.equal(texts(inline('<img src=x onerror=alert(1)> <script>')), '<img src=x onerror=alert(1)> <script>');
  const blocks = parse('<b>hi</b>');
  assert.equal(blocks[0].t, 'p');
  assert.equal(blocks[0].c[0].v, '<b>hi</b>');
});

test('blocks: paragraphs, lists, code, quotes, headings', () => {
  const b = parse('Intro line\nsecond\n\n- one\n- two\ncontinued\n\n3. three\n4. four\n\n```\ncode *x*\n```\n> quoted\n# Title');
  assert.deepEqual(b.map((x) => x.t), ['p', 'ul', 'ol', 'pre', 'quote', 'h']);
  assert.equal(b[1].items.length, 2);
  assert.equal(texts(b[1].items[1]), 'two\ncontinued');
  assert.equal(b[2].start, 3);
  assert.equal(b[3].v, 'code *x*');
  assert.equal(b[4].c[0].t, 'p');
});

test('list directly after a paragraph line, loose lists', () => {
  const b = parse('Steps:\n1. a\n\n2. b');
  assert.deepEqual(b.map((x) => x.t), ['p', 'ol']);
  assert.equal(b[1].items.length, 2);
});

test('unterminated markers and empty input are harmless', () => {
  assert.deepEqual(parse(''), []);
  assert.deepEqual(parse(null), []);
  assert.equal(texts(inline('**open and `tick')), '**open and `tick');
  assert.equal(parse('```\nnever closed').at(0).v, 'never closed');
});
