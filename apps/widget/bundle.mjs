// How the widget is bundled, shared by build.mjs (files in dist/) and the server, which bundles
// in memory when dist/ is missing or older than the sources (apps/server/src/widget-asset.ts).
import { readdirSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

export const WIDGET_DIR = new URL('./', import.meta.url);
export const DIST_FILE = new URL('./dist/widget.js', import.meta.url);
/** The budget: widget.js at most 15 KiB after gzip -9. */
export const GZIP_BUDGET_BYTES = 15 * 1024;

/**
 * Plain assignments for class fields: ES2020 has no class fields, and defineProperty helpers
 * cost bytes for no behaviour the widget relies on.
 */
export const tsconfigRaw = { compilerOptions: { useDefineForClassFields: false } };

/**
 * esbuild options for the script-tag file: one minified IIFE, no source map, ES2020. Private
 * members are named `_x` (not `#x`, which ES2020 would lower to WeakMap helpers) and renamed
 * to short names here; no wire or DOM property starts with `_`.
 */
export const widgetOptions = {
  entryPoints: [new URL('./src/main.ts', import.meta.url).pathname],
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  mangleProps: /^_/,
  tsconfigRaw,
  legalComments: 'none',
  charset: 'utf8',
  sourcemap: false,
};

/** Bundles widget.js in memory; esbuild is imported only when needed (a dev dependency). */
export async function bundleWidget() {
  const { build } = await import('esbuild');
  const result = await build({ ...widgetOptions, write: false, logLevel: 'silent' });
  const file = result.outputFiles?.[0];
  if (!file) throw new Error('esbuild produced no output');
  return file.text;
}

export const gzipSize = (code) => gzipSync(code, { level: 9 }).length;

/** The newest modification time among the widget's sources (to tell a stale dist/). */
export function newestSourceMtime() {
  const dir = new URL('./src/', import.meta.url);
  let newest = 0;
  for (const name of readdirSync(dir))
    newest = Math.max(newest, statSync(new URL(name, dir)).mtimeMs);
  return newest;
}
