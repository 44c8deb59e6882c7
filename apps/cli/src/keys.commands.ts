import type { Command } from 'commander';
import type { LedgerRuntime } from '@rsi/ledger';
import { library } from './ledger-library';
import { formatTable } from './table-format';

export type KeysCommandContext = {
  withLedger<T>(work: (runtime: LedgerRuntime) => Promise<T>): Promise<T>;
  actor(): string;
};

/** A usage error: exit code 2 through the program's handler (1 means refused). */
class UsageError extends Error {}

/** A refusal of the registry (unknown key, bad scope): exit 1 with its code. */
function refused(error: unknown): boolean {
  if (!(error instanceof library().ApiKeyRefusedError)) throw error;
  process.stderr.write(`rsi-ledger: refused: ${error.code}: ${error.message}\n`);
  process.exitCode = 1;
  return true;
}

/** `keys create`, `keys list`, `keys revoke` (docs/cli.md, docs/http-api.md "Roles"). */
export function registerKeysCommands(program: Command, context: KeysCommandContext): void {
  const keys = program.command('keys').description('API keys: issued and revoked as ledger facts (the api-keys stream); only a digest of a secret is kept');
  keys
    .command('create')
    .description('issue a key and print its secret (256 bits) once')
    .option('--role <role>', 'operator, developer, auditor or finance (required)')
    .option('--developer <id>', 'the developer a developer key is bound to (required for, and only for, --role developer)')
    .option('--label <text>', 'a note for people: who holds the key')
    .option('--expires <instant>', 'the key stops working at this instant (RFC 3339)')
    .option('--json', 'print {"keyId","secret","role","developerId"} on one line')
    .action(async (options: { role?: string; developer?: string; label?: string; expires?: string; json?: boolean }) => {
      if (options.role === undefined) throw new UsageError('--role operator|developer|auditor|finance is required');
      await context.withLedger(async (runtime) => {
        try {
          const issued = await new (library().ApiKeyRegistry)(runtime.connection.pool, runtime.store).issue({
            role: options.role!, developerId: options.developer ?? null, label: options.label ?? null, expiresAt: options.expires ?? null,
            actor: context.actor(), now: new Date(),
            developerExists: async (developerId) => {
              await runtime.projector.catchUp();
              return (await runtime.connection.pool.query('SELECT 1 FROM developers WHERE developer_id = $1', [developerId])).rows.length === 1;
            },
          });
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ keyId: issued.keyId, secret: issued.secret, role: issued.role, developerId: issued.developerId })}\n`);
          } else {
            process.stdout.write(`${issued.secret}\n`);
            process.stderr.write(`issued key ${issued.keyId} (${issued.role}${issued.developerId === null ? '' : ` of ${issued.developerId}`}` +
              `${issued.expiresAt === null ? '' : `, until ${issued.expiresAt}`}); its secret above is shown once: only its digest is kept\n`);
          }
        } catch (error) {
          refused(error);
        }
      });
    });

  keys
    .command('list')
    .description('every key issued, active or not (never a secret)')
    .option('--json', 'one JSON object per line')
    .action(async (options: { json?: boolean }) => {
      await context.withLedger(async (runtime) => {
        const list = await new (library().ApiKeyRegistry)(runtime.connection.pool, runtime.store).list(new Date());
        if (options.json) {
          process.stdout.write(list.map((key) => `${JSON.stringify(key)}\n`).join(''));
          return;
        }
        process.stdout.write(`${formatTable(['key', 'role', 'developer', 'status', 'issued', 'by', 'expires', 'revoked', 'label'], list.map((key) => [
          key.keyId, key.role, key.developerId ?? '', key.status, key.issuedAt, key.issuedBy, key.expiresAt ?? '', key.revokedAt ?? '', key.label ?? '',
        ]))}\n`);
      });
    });

  keys
    .command('revoke')
    .description('revoke a key: it stops working at once, on every server')
    .argument('<keyId>', 'the key id (key_…)')
    .action(async (keyId: string) => {
      await context.withLedger(async (runtime) => {
        try {
          const outcome = await new (library().ApiKeyRegistry)(runtime.connection.pool, runtime.store).revoke(keyId, context.actor());
          process.stdout.write(`${JSON.stringify({ status: outcome.status, keyId: outcome.key.keyId, revokedAt: outcome.key.revokedAt, revokedBy: outcome.key.revokedBy })}\n`);
        } catch (error) {
          refused(error);
        }
      });
    });
}
