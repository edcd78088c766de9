import type { Config } from '@platform/config';

export type Command = {
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(args: string[], config: Config): Promise<number>;
};
