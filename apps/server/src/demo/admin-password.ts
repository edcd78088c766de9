import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO } from './constants.ts';

/** 24 base64url characters (144 random bits): inside the 12-128 characters sign-up accepts. */
export const newDemoPassword = () => randomBytes(18).toString('base64url');

/** Where the demo admin's password is kept: `<DATA_DIR>/demo-admin.txt`. */
export const demoPasswordPath = (dataDir: string) => join(dataDir, DEMO.passwordFile);

/**
 * Writes the password alone on one line (so `$(cat data/demo-admin.txt)` works in a script),
 * readable by the server's user only. DATA_DIR may not exist yet in PostgreSQL mode.
 */
export async function writeDemoPassword(dataDir: string, password: string): Promise<string> {
  const file = demoPasswordPath(dataDir);
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  // `mode` applies only when the file is created; a file left by an earlier database keeps its own.
  await chmod(file, 0o600);
  return file;
}
