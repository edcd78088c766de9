// Fails when any package.json in the repo declares a dependency by range (^, ~, *, x, >=...).
// Exact pins keep builds reproducible (DESIGN section 5).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const exact = /^(\d+\.\d+\.\d+(-[\w.]+)?|file:.*|npm:.+@\d+\.\d+\.\d+(-[\w.]+)?)$/;
const files = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*package.json'],
  {
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => f && !f.includes('node_modules'));
const bad = [];
for (const file of files) {
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  for (const field of [
    'dependencies',
    'devDependencies',
    'optionalDependencies',
    'peerDependencies',
  ]) {
    for (const [name, version] of Object.entries(pkg[field] ?? {})) {
      if (!exact.test(version)) bad.push(`${file}: ${field}.${name} = "${version}"`);
    }
  }
}
if (bad.length) {
  console.error(
    `Dependencies must be pinned to exact versions:\n${bad.map((b) => `  ${b}`).join('\n')}`,
  );
  process.exit(1);
}
console.log(`exact versions: ${files.length} package.json files checked`);
