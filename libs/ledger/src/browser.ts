/**
 * The browser-safe entry of the ledger library (`@rsi/ledger/browser`): what the web
 * application runs in the page. Everything reachable from here is free of node:crypto,
 * Buffer, Nest, TypeORM and the database driver (dependency-cruiser's
 * `browser-entry-is-browser-safe` rule refuses anything else), so Vite bundles it as is.
 */
export { verifyStatement, STATEMENT_VERIFY_LINES_MAXIMUM } from './audit/verifier/statement-verify';
export type { StatementVerification } from './audit/verifier/statement-verify';
export { publicKeyFingerprint } from './audit/verifier/key-rotation-record';
export { statementDocumentOf, STATEMENT_LINE_KIND_LABELS } from './audit/statement-document';
export type { StatementAppTotals, StatementCurrencySummary, StatementDocument, StatementDocumentLine } from './audit/statement-document';
export type { DeveloperStatement } from './audit/developer-statement';
export { formatMoney, currencyExponent } from '@rsi/domain';
