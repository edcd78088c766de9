import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export type ServerProcess = {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
};

/**
 * Starts `npm start`'s entry point (or another server script) as a real process, as an
 * operator would, collecting its output.
 */
export function startServer(
  env: Record<string, string>,
  port: number,
  script: string = MAIN,
): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // A fresh embedded DATA_DIR would seed the demo; suites that want it pass DEMO_SEED ''.
      DEMO_SEED: 'false',
      // Every suite signs in from 127.0.0.1, counted together when they share a Redis; the
      // limits have tests of their own (web-security.security.test.ts).
      AUTH_RATE_LIMIT_PER_MINUTE: '100000',
      IP_RATE_LIMIT_PER_MINUTE: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/** Polls /health until it answers 200, the process dies, or the deadline passes. */
export async function waitHealthy(server: ServerProcess, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  server.exited.then(() => {
    dead = true;
  });
  while (Date.now() < deadline && !dead) {
    try {
      const r = await fetch(`${server.url}/health`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not become healthy:\n${server.output()}`);
}
