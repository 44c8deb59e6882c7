import type { DeveloperCommand } from '@rsi/domain';

/**
 * The deterministic id of a command: its type and natural key. Event ids are derived
 * from it, so a command retried after a crash produces the same event ids, which the
 * event store deduplicates.
 */
export function commandIdOf(command: DeveloperCommand): string {
  switch (command.type) {
    case 'RegisterDeveloper': return `RegisterDeveloper:${command.data.developerId}`;
    case 'ErasePersonalData': return `ErasePersonalData:${command.data.developerId}`;
    case 'RegisterApp': return `RegisterApp:${command.data.appId}`;
    case 'AmendContract': return `AmendContract:${command.data.appId}:${contractEffectiveFromOf(command.data.contract)}`;
    case 'RecordRevenue': return `RecordRevenue:${command.data.receiptId}`;
    case 'RefundRevenue': return `RefundRevenue:${command.data.refundId}`;
    case 'RequestPayout': return `RequestPayout:${command.data.payoutId}`;
    case 'SettlePayout': return `SettlePayout:${command.data.payoutId}`;
    case 'FailPayout': return `FailPayout:${command.data.payoutId}`;
    case 'OpenDispute': return `OpenDispute:${command.data.disputeId}`;
    case 'ResolveDispute': return `ResolveDispute:${command.data.disputeId}`;
    case 'AssessRunPayout': return `AssessRunPayout:${command.data.runId}:${command.data.developerId}`;
  }
}

function contractEffectiveFromOf(contract: unknown): string {
  if (contract && typeof contract === 'object' && typeof (contract as { effectiveFrom?: unknown }).effectiveFrom === 'string') {
    return (contract as { effectiveFrom: string }).effectiveFrom;
  }
  return 'unknown';
}
