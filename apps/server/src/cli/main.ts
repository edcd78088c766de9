/**
 * Operator CLI: `npm run platform -- <command>`. Uses the same DATA_DIR / DATABASE_URL as the
 * server. Each command lives in its own file and registers itself in `commands`.
 */
import { ConfigError, loadConfig } from '@platform/config';
import { commands } from './commands.ts';
import { UsageError } from './usage-error.ts';

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)}${c.summary}`);
  return [
    'Usage: npm run platform -- <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options of a command: npm run platform -- <command> --help',
  ].join('\n');
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'help') {
  console.log(usage());
  process.exit(name ? 0 : 1);
}
const command = commands[name];
if (!command) {
  console.error(`Unknown command "${name}".\n\n${usage()}`);
  process.exit(2);
}
if (args.includes('--help') || args.includes('-h')) {
  console.log(`${name}: ${command.summary}\n\n${command.usage}`);
  process.exit(0);
}
try {
  const config = loadConfig();
  process.exitCode = await command.run(args, config);
} catch (e) {
  if (e instanceof ConfigError || e instanceof UsageError) {
    console.error(e.message);
    process.exitCode = 2;
  } else throw e;
}
