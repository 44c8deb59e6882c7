import type { CommandContext, CommandOutcome } from './command-outcome';
import { readStrictJson } from '../input/strict-json.reader';
import { CommandShapeInvalid, COMMAND_LINE_BYTES_MAXIMUM, parseCommandObject, type FieldKind } from '../import/jsonl-command.parser';

export type LedgerCommand = { type: string; data: Record<string, unknown> };

/** A group of command types handled by one service (developer streams, consumption, price books). */
export interface CommandHandlerGroup {
  readonly commandFields: Record<string, Record<string, FieldKind>>;
  executeBatch(commands: readonly LedgerCommand[], context: CommandContext): Promise<CommandOutcome[]>;
  execute(command: LedgerCommand, context: CommandContext): Promise<CommandOutcome>;
}

/**
 * Routes commands to their group. A batch is cut into runs of consecutive commands of the
 * same group and the runs are executed in order, so that file order holds across groups
 * (an app registered on line 10 exists for the consumption on line 11).
 */
export class CommandBus {
  readonly commandFields: Record<string, Record<string, FieldKind>> = {};
  private readonly groupOfType = new Map<string, CommandHandlerGroup>();
  private readonly registeredGroups: CommandHandlerGroup[] = [];

  /** The groups registered, in order (for a service's own operations that are not bus commands). */
  get groups(): readonly CommandHandlerGroup[] {
    return this.registeredGroups;
  }

  constructor(groups: readonly CommandHandlerGroup[] = []) {
    this.register(groups);
  }

  /**
   * Adds groups; the LedgerCoreModule registers those the feature modules provide once
   * every provider exists, before the first command.
   */
  register(groups: readonly CommandHandlerGroup[]): void {
    for (const group of groups) {
      this.registeredGroups.push(group);
      for (const [type, fields] of Object.entries(group.commandFields)) {
        if (this.groupOfType.has(type)) throw new Error(`command type ${type} has two handlers`);
        this.groupOfType.set(type, group);
        this.commandFields[type] = fields;
      }
    }
  }

  /** Checks a command object's shape against the known types; throws `DomainError`. */
  parse(value: unknown): LedgerCommand {
    return parseCommandObject(value, this.commandFields);
  }

  /**
   * Reads one JSONL line from its BYTES (not a decoded string: invalid UTF-8 must be seen to be
   * refused) with the strict JSON reader, then checks its shape. Throws a `DomainError`:
   * `StrictJsonRefused` (`invalid_utf8`, `malformed_json`, `duplicate_key`, `invalid_text`…)
   * or `CommandShapeInvalid`.
   */
  parseLine(line: Uint8Array): LedgerCommand {
    if (line.byteLength > COMMAND_LINE_BYTES_MAXIMUM) {
      throw new CommandShapeInvalid(`line longer than ${COMMAND_LINE_BYTES_MAXIMUM} bytes`);
    }
    return this.parse(readStrictJson(line, { bytesMaximum: COMMAND_LINE_BYTES_MAXIMUM }));
  }

  execute(command: LedgerCommand, context: CommandContext): Promise<CommandOutcome> {
    return this.groupFor(command).execute(command, context);
  }

  async executeBatch(commands: readonly LedgerCommand[], context: CommandContext): Promise<CommandOutcome[]> {
    const outcomes: CommandOutcome[] = [];
    let runStart = 0;
    while (runStart < commands.length) {
      const group = this.groupFor(commands[runStart]);
      let runEnd = runStart + 1;
      while (runEnd < commands.length && this.groupFor(commands[runEnd]) === group) runEnd += 1;
      outcomes.push(...(await group.executeBatch(commands.slice(runStart, runEnd), context)));
      runStart = runEnd;
    }
    return outcomes;
  }

  private groupFor(command: LedgerCommand): CommandHandlerGroup {
    const group = this.groupOfType.get(command.type);
    if (!group) throw new CommandShapeInvalid(`unknown command type ${JSON.stringify(command.type)}`, 'type');
    return group;
  }
}
