import type * as DatabaseLibrary from '@rsi/database';
import type * as LedgerLibrary from '@rsi/ledger';
import type * as ProjectionsLibrary from '@rsi/projections';

/**
 * The ledger's libraries as the CLI's commands see them, loaded before a command's action
 * runs and never for `--help` or a usage error.
 *
 * Why: their public entries bring NestJS, TypeORM and the database drivers, about half a
 * second of start-up on the bench machine, which `rsi-ledger --help` should not pay. Only
 * type imports of them are static in `apps/cli`; values come from `library()`.
 */
export type CliLibrary = typeof LedgerLibrary & typeof ProjectionsLibrary & typeof DatabaseLibrary;

let loaded: CliLibrary | null = null;

export async function loadLibrary(): Promise<void> {
  if (loaded !== null) return;
  const [ledger, projections, database] = await Promise.all([import('@rsi/ledger'), import('@rsi/projections'), import('@rsi/database')]);
  loaded = { ...database, ...projections, ...ledger };
}

export function library(): CliLibrary {
  if (loaded === null) throw new Error('the ledger library is loaded before a command runs (program.hook preAction)');
  return loaded;
}
