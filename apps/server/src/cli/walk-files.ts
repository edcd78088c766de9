import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Every file under the given paths (folders recursively), skipping hidden entries and node_modules. */
export async function* walkFiles(paths: string[]): AsyncGenerator<string> {
  for (const path of paths) {
    const info = await stat(path);
    if (info.isFile()) {
      yield path;
      continue;
    }
    if (!info.isDirectory()) continue;
    const entries = await readdir(path, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      yield* walkFiles([join(path, entry.name)]);
    }
  }
}
