// Runs the sla-sync command in-process, capturing what it prints.
import { main } from '../../src/cli.ts';
import type { DatabaseHandle } from '../../src/store/db.ts';

export async function runCli(args: string[], options: { stdin?: string; database?: DatabaseHandle } = {}) {
  let stdout = '';
  let stderr = '';
  const { database } = options;
  const code = await main(['node', 'sla-sync', ...args], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: async () => options.stdin ?? '',
    ...(database ? { database: async () => database } : {}),
  });
  return { code, stdout, stderr };
}
