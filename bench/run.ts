/** `npm run bench -- <name>`: runs bench/<name>.ts, which writes bench/results/<name>.json. */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`Usage: npm run bench -- <name>\nBenchmarks: ${available.join(', ')}`);
  process.exit(name ? 2 : 1);
}
await import(`./${name}.ts`);
