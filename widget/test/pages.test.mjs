import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pageAllowed } from '../src/pages.js';

const at = (href, ...pages) => pageAllowed(pages, href);

test('no rules: every page', () => {
  assert.equal(pageAllowed([], 'https://shop.example/anything'), true);
  assert.equal(pageAllowed(undefined, 'https://shop.example/'), true);
});

test('contains: part of the URL, case-insensitive', () => {
  const rule = { match: 'contains', value: '/Pricing' };
  assert.equal(at('https://shop.example/pricing?plan=pro', rule), true);
  assert.equal(at('https://shop.example/en/PRICING/', rule), true);
  assert.equal(at('https://shop.example/checkout', rule), false);
  assert.equal(at('https://shop.example/?utm_source=x', { match: 'contains', value: 'utm_source=x' }), true);
});

test('glob from /: the path (query and hash only when the rule has them)', () => {
  const blog = { match: 'glob', value: '/blog/*' };
  assert.equal(at('https://shop.example/blog/new-tents?ref=home', blog), true);
  assert.equal(at('https://shop.example/blog', blog), false);
  assert.equal(at('https://shop.example/about/blog/x', blog), false);
  const exact = { match: 'glob', value: '/pricing/' };
  assert.equal(at('https://shop.example/pricing?utm=1', exact), true, 'query ignored, trailing slash too');
  assert.equal(at('https://shop.example/pricing/annual', exact), false);
  assert.equal(at('https://shop.example/pricing?plan=pro', { match: 'glob', value: '/pricing?plan=*' }), true);
  assert.equal(at('https://shop.example/pricing?plan=pro', { match: 'glob', value: '/pricing?team=*' }), false);
  assert.equal(at('https://app.example/#/billing/card', { match: 'glob', value: '/#/billing/*' }), true);
});

test('glob on the whole URL; regex characters are literal', () => {
  const rule = { match: 'glob', value: 'https://*.example.com/checkout*' };
  assert.equal(at('https://eu.example.com/checkout/step-2', rule), true);
  assert.equal(at('https://eu.example.org/checkout', rule), false);
  assert.equal(at('https://shop.example/a.b', { match: 'glob', value: '/a.b' }), true);
  assert.equal(at('https://shop.example/axb', { match: 'glob', value: '/a.b' }), false);
  assert.equal(at('https://shop.example/(x)', { match: 'glob', value: '/(x)' }), true, 'parens are literal, not a group');
  assert.equal(at('https://shop.example/x', { match: 'glob', value: '/(x)' }), false);
});

test('any of several rules; a bad URL matches nothing', () => {
  const rules = [{ match: 'contains', value: '/cart' }, { match: 'glob', value: '/checkout*' }];
  assert.equal(pageAllowed(rules, 'https://shop.example/checkout/pay'), true);
  assert.equal(pageAllowed(rules, 'https://shop.example/cart'), true);
  assert.equal(pageAllowed(rules, 'https://shop.example/help'), false);
  assert.equal(pageAllowed(rules, 'not a url'), false);
});
