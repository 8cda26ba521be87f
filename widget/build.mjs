// Build the widget: node build.mjs [--watch]
// Writes dist/loader.js, dist/widget.js and dist/tokens.css and prints their
// gzipped sizes against the budget (loader ≤ 3 KB, everything ≤ 30 KB).
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');
const dist = join(here, 'dist');
const watch = process.argv.includes('--watch');
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const BUDGET = { loader: 3 * 1024, total: 30 * 1024 };
const target = ['es2019', 'chrome88', 'firefox90', 'safari15', 'edge88'];

// CSS is imported as a minified string and adopted into the shadow root.
const cssText = {
  name: 'css-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await esbuild.transform(readFileSync(args.path, 'utf8'), { loader: 'css', minify: true, target });
      return { contents: code.trim(), loader: 'text' };
    });
  },
};

const hash = (file) => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 10);
const gz = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const kb = (n) => (n / 1024).toFixed(2) + ' KB';

async function buildAll() {
  mkdirSync(dist, { recursive: true });
  await esbuild.build({
    entryPoints: [join(src, 'widget.js')],
    outfile: join(dist, 'widget.js'),
    bundle: true, minify: true, format: 'iife', target, legalComments: 'none',
    define: { __PARLEY_VERSION__: JSON.stringify(pkg.version) },
    plugins: [cssText],
  });
  // The loader asks for widget.js?v=<content hash>, so widget.js can be cached for long.
  await esbuild.build({
    entryPoints: [join(src, 'loader.js')],
    outfile: join(dist, 'loader.js'),
    bundle: false, minify: true, target: ['es5'], legalComments: 'none',
    define: { __WIDGET_HASH__: JSON.stringify(hash(join(dist, 'widget.js'))) },
  });
  copyFileSync(join(src, 'tokens.css'), join(dist, 'tokens.css'));
  // The console's charts (Reports): uPlot from npm, served as /widget/vendor/*. Not part
  // of the widget a host page loads, so outside the budget below.
  mkdirSync(join(dist, 'vendor'), { recursive: true });
  await esbuild.build({
    entryPoints: [join(here, 'node_modules', 'uplot', 'dist', 'uPlot.esm.js')],
    outfile: join(dist, 'vendor', 'uplot.esm.js'), minify: true, format: 'esm', target, legalComments: 'inline',
  });
  copyFileSync(join(here, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), join(dist, 'vendor', 'uplot.min.css'));

  const loader = gz(join(dist, 'loader.js'));
  const widget = gz(join(dist, 'widget.js'));
  const tokens = gz(join(dist, 'tokens.css'));
  const total = loader + widget; // what a host page downloads (tokens are inlined in widget.js)
  const ok = loader <= BUDGET.loader && total <= BUDGET.total;
  console.log(`dist/loader.js   ${kb(loader)} gz  (budget ${kb(BUDGET.loader)})`);
  console.log(`dist/widget.js   ${kb(widget)} gz`);
  console.log(`dist/tokens.css  ${kb(tokens)} gz  (copy; already inlined in widget.js)`);
  console.log(`total            ${kb(total)} gz  (loader + widget, budget ${kb(BUDGET.total)}) ${ok ? 'OK' : 'OVER BUDGET'}`);
  return ok;
}

if (watch) {
  // Cheap watch mode: rebuild everything on any change under src/.
  const { watch: fsWatch } = await import('node:fs');
  const again = () => buildAll().catch((e) => console.error(e.message));
  await again();
  let t;
  fsWatch(src, () => { clearTimeout(t); t = setTimeout(again, 100); });
  console.log('watching src/ …');
} else {
  rmSync(dist, { recursive: true, force: true });
  const ok = await buildAll();
  if (!ok) process.exit(1);
}
