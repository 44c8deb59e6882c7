import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** The built CLI (`npm test` builds it first). */
export const CLI_PATH = path.resolve(__dirname, '../../dist/apps/cli/src/main.js');

export type CliExit = { code: number | null; signal: string | null; stdout: string; stderr: string };

/** Starts the built `rsi-ledger` as a child process; `finished` resolves on exit with its output. */
export function runCli(cliArguments: string[], environment: NodeJS.ProcessEnv, options: { workingDirectory?: string } = {}): { child: ChildProcess; finished: Promise<CliExit> } {
  const child = spawn(process.execPath, [CLI_PATH, ...cliArguments], { env: environment, stdio: ['ignore', 'pipe', 'pipe'], cwd: options.workingDirectory });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => { stdout += chunk; });
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  const finished = new Promise<CliExit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, finished };
}
