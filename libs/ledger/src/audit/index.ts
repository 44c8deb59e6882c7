/** What other rooms of the ledger may use of the audit room; the rest of this folder is its own. */
export { AuditModule } from './audit.module';
