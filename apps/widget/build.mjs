// `npm run build:widget`: dist/widget.js (the script-tag IIFE, size-checked), dist/sdk.js (the
// npm ESM entry) and dist/types (declarations from tsc). Fails when widget.js is over budget.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { brotliCompressSync, constants } from 'node:zlib';
import { build } from 'esbuild';
import { bundleWidget, DIST_FILE, GZIP_BUDGET_BYTES, gzipSize, tsconfigRaw } from './bundle.mjs';

const dist = new URL('./dist/', import.meta.url);
mkdirSync(dist, { recursive: true });

const code = await bundleWidget();
writeFileSync(DIST_FILE, code);

await build({
  entryPoints: [new URL('./src/sdk.ts', import.meta.url).pathname],
  outfile: new URL('./sdk.js', dist).pathname,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2020',
  sourcemap: true,
  tsconfigRaw,
  logLevel: 'warning',
});

// Declarations for the npm package; also type-checks the widget against the DOM alone.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', new URL('./tsconfig.json', import.meta.url).pathname], {
  stdio: 'inherit',
});
// tsc keeps the sources' `./x.ts` specifiers in declarations; published types point at `.js`.
const types = new URL('./types/', dist);
for (const name of readdirSync(types)) {
  const file = new URL(name, types);
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/((?:from |import\()'\.{1,2}\/[^']+)\.ts'/g, "$1.js'"));
}

const gzip = gzipSize(code);
const brotli = brotliCompressSync(code, {
  params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY },
}).length;
const kb = (n) => `${n} B (${(n / 1024).toFixed(2)} KiB)`;
console.log(
  `widget.js: ${kb(Buffer.byteLength(code))} raw, ${kb(gzip)} gzip -9, ${kb(brotli)} brotli`,
);
if (gzip > GZIP_BUDGET_BYTES) {
  console.error(
    `widget.js is ${gzip} bytes gzipped, over the ${GZIP_BUDGET_BYTES}-byte budget: trim it before shipping.`,
  );
  process.exit(1);
}
console.log(`within budget: ${GZIP_BUDGET_BYTES - gzip} bytes to spare`);
