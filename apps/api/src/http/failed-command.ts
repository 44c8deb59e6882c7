import type { Logger } from '@nestjs/common';
import type { CommandFailure, CommandFailureCode } from '@rsi/ledger';
import type { ErrorBody } from './api-error';

export const STATUS_OF_COMMAND_FAILURE_CODE: Record<CommandFailureCode, number> = {
  command_not_storable: 422,
  internal_error: 500,
};

/**
 * The error body of a command that failed alone while the others of its batch were
 * recorded, logged here once: the client gets the failure's safe message, the log gets the
 * underlying error (SQL text, stack), which never leaves the server.
 */
export function failedCommandErrorBody(commandId: string, failure: CommandFailure, logger: Logger): ErrorBody {
  const underlying = failure.underlyingError;
  const detail = underlying instanceof Error ? underlying.stack ?? underlying.message : String(underlying);
  const sqlState = typeof underlying === 'object' && underlying !== null ? (underlying as { code?: unknown }).code : undefined;
  const line = `command ${commandId} failed (${failure.code}${typeof sqlState === 'string' ? `, SQLSTATE ${sqlState}` : ''}): ${detail}`;
  if (failure.code === 'internal_error') logger.error(line);
  else logger.warn(line);
  return { statusCode: STATUS_OF_COMMAND_FAILURE_CODE[failure.code], code: failure.code, message: failure.message };
}
