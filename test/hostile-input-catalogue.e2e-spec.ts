import { Logger, type INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Server } from 'node:http';
import request from 'supertest';
import {
  BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS, CLOCK_SKEW_ALLOWANCE_MILLISECONDS, DAY_MILLISECONDS, IDENTIFIER_LENGTH_MAXIMUM,
  MONEY_MAXIMUM_MINOR, NAME_LENGTH_MAXIMUM, SCHEDULE_AHEAD_DAYS_MAXIMUM,
} from '@rsi/domain';
import { runCli } from './support/cli-process';
import { openTestApi, openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * Issue 10's catalogue of hostile input: ONE table, every class the issue lists, each case a
 * raw request (method, path, headers, body bytes) with the answer it must get. For each case:
 * the status, the code and the field; no 500 and nothing logged as an error; not one row
 * added to `events` (a direct SQL count) and the developer's balances unchanged. Afterwards
 * the ledger still reads, exports, records and verifies. The classes that a JSONL line can
 * carry go through `rsi-ledger import` too (one bad line each, among good lines).
 *
 * A database outage is the one class not here: it is a 503 `database_unavailable`, proven
 * against a stopped and restarted database by test/database-outage.e2e-spec.ts.
 */

/** The API's clock is held at this instant (only `Date` is faked), so that "1 ms past booking + skew" is exact. */
const BOOKED_AT_MILLISECONDS = Date.parse('2026-11-01T12:00:00.000Z');
const QUIET = { RSI_API_LOG: 'quiet' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};
/** The same terms for a currency without minor units (XXX, XAU, XTS have none in ISO 4217). */
const CONTRACT_NO_DECIMALS = { ...CONTRACT, platformShare: { ...CONTRACT.platformShare, tiers: [{ upTo: '1000', rate: '0%' }, { rate: '15%' }] }, minimumPayout: '50' };

const bytesOf = (text: string) => Buffer.from(text, 'utf8');
const jsonOf = (value: unknown) => bytesOf(JSON.stringify(value));
const isoOf = (epochMilliseconds: number) => new Date(epochMilliseconds).toISOString();
const receipt = (fields: Record<string, unknown>) => jsonOf({ receiptId: 'bad-r', appId: 'app-1', amount: '10.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z', ...fields });
const developer = (fields: Record<string, unknown>) => jsonOf({ developerId: 'bad-dev', name: 'Bad', country: 'NG', ...fields });
const app = (fields: Record<string, unknown>, contract: Record<string, unknown> = {}) =>
  jsonOf({ appId: 'bad-app', developerId: 'dev-1', name: 'Bad app', contract: { ...CONTRACT, ...contract }, ...fields });
const carveOut = (party: string) => app({}, { carveOuts: [{ party, rate: '1%', of: 'basis' }] });
const payout = (fields: Record<string, unknown>) => jsonOf({ payoutId: 'bad-p', developerId: 'dev-1', currency: 'USD', amount: '60.00', requestedAt: '2026-03-02T00:00:00Z', ...fields });
/** A JSON body with `"name":"<raw>"` spliced in, so escapes like `\ud800` travel as written. */
const withRawName = (raw: string) => bytesOf(`{"developerId":"bad-dev","name":"${raw}","country":"NG"}`);
const contractJson = JSON.stringify(CONTRACT);

type Refusal = { status: number; code: string; field?: string };
type CatalogueCase = Refusal & {
  name: string;
  class: string;
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /**
   * The JSONL import's answer when the class applies to a line. The import has no DTO layer:
   * shape errors are `command_invalid`, syntax errors the domain parser's own codes
   * (`amount_malformed`, `field_invalid`…). `field` is asserted where the CLI prints it (the
   * refusals of kind conflict carry no field in their message).
   */
  line?: { type: string; pathFields?: Record<string, string>; code: string; field?: string };
};

const post = (name: string, klass: string, urlPath: string, body: Buffer, refusal: Refusal, line?: CatalogueCase['line'], headers: Record<string, string> = JSON_TYPE): CatalogueCase =>
  ({ name, class: klass, method: 'POST', path: urlPath, headers, body, ...refusal, line });
const invalid = (code: string, field?: string): Refusal => ({ status: 400, code, field });
const shape = (field: string) => ({ code: 'command_invalid', field });

const CATALOGUE: CatalogueCase[] = [
  // ---- Business times bounded by booking time ---------------------------------------------------
  post('occurredAt 9999-12-31 on an app holding 14 days', 'business time after booking', '/v1/receipts', receipt({ occurredAt: '9999-12-31T23:59:59.999Z' }),
    invalid('business_time_after_booking', 'occurredAt'), { type: 'RecordRevenue', code: 'business_time_after_booking', field: 'occurredAt' }),
  post('a receipt 1 ms past booking + skew', 'business time after booking', '/v1/receipts', receipt({ occurredAt: isoOf(BOOKED_AT_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS + 1) }),
    invalid('business_time_after_booking', 'occurredAt')),
  post('occurredAt 1 ms before the earliest bound', 'business time before earliest', '/v1/receipts', receipt({ occurredAt: isoOf(BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS - 1) }),
    invalid('business_time_before_earliest', 'occurredAt'), { type: 'RecordRevenue', code: 'business_time_before_earliest', field: 'occurredAt' }),
  post('RequestPayout requestedAt 2099', 'business time after booking', '/v1/payouts', payout({ requestedAt: '2099-01-01T00:00:00Z' }),
    invalid('business_time_after_booking', 'requestedAt'), { type: 'RequestPayout', code: 'business_time_after_booking', field: 'requestedAt' }),
  post('settledAt before requestedAt', 'payout outcome before request', '/v1/payouts/p-1/settlement', jsonOf({ settledAt: '2026-02-28T23:59:59.999Z', reference: 'wire-1' }),
    invalid('payout_outcome_before_request', 'settledAt'), { type: 'SettlePayout', pathFields: { payoutId: 'p-1' }, code: 'payout_outcome_before_request', field: 'settledAt' }),
  post('failedAt years before requestedAt', 'payout outcome before request', '/v1/payouts/p-1/failure', jsonOf({ failedAt: '2020-01-01T00:00:00Z', reason: 'closed' }),
    invalid('payout_outcome_before_request', 'failedAt'), { type: 'FailPayout', pathFields: { payoutId: 'p-1' }, code: 'payout_outcome_before_request', field: 'failedAt' }),
  post('an amendment scheduled 1 ms beyond the bound', 'amendment scheduled too far ahead', '/v1/apps/app-1/contract-amendments',
    jsonOf({ contract: { ...CONTRACT, effectiveFrom: isoOf(BOOKED_AT_MILLISECONDS + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS + 1) } }),
    invalid('effective_from_too_far_ahead', 'contract.effectiveFrom')),
  post('an amendment dated 9999', 'amendment scheduled too far ahead', '/v1/apps/app-1/contract-amendments', jsonOf({ contract: { ...CONTRACT, effectiveFrom: '9999-01-01T00:00:00Z' } }),
    invalid('effective_from_too_far_ahead', 'contract.effectiveFrom'), { type: 'AmendContract', pathFields: { appId: 'app-1' }, code: 'effective_from_too_far_ahead', field: 'contract.effectiveFrom' }),

  // ---- The ledger's own accounts are no carve-out party -------------------------------------------
  ...['revenue:clearing', 'payouts:in-flight', 'payouts:settled', 'platform', 'developer:x', 'system:x'].map((party) =>
    post(`carve-out party ${party}`, 'reserved party', '/v1/apps', carveOut(party), invalid('party_reserved', 'contract.carveOuts[0].party'),
      { type: 'RegisterApp', code: 'party_reserved', field: 'contract.carveOuts[0].party' })),

  // ---- Text: lone surrogates and control characters ------------------------------------------------
  post('a lone high surrogate in a developer name', 'lone surrogate', '/v1/developers', withRawName('x\\ud800'), invalid('invalid_text', 'name'), { type: 'RegisterDeveloper', code: 'invalid_text', field: 'name' }),
  post('a lone low surrogate in an app name', 'lone surrogate', '/v1/apps', bytesOf(`{"appId":"bad-app","developerId":"dev-1","name":"\\udc00x","contract":${contractJson}}`), invalid('invalid_text', 'name'),
    { type: 'RegisterApp', code: 'invalid_text', field: 'name' }),
  post('a lone high surrogate in a settlement reference', 'lone surrogate', '/v1/payouts/p-1/settlement', bytesOf('{"settledAt":"2026-03-02T00:00:00Z","reference":"wire-\\udbff"}'), invalid('invalid_text', 'reference'),
    { type: 'SettlePayout', pathFields: { payoutId: 'p-1' }, code: 'invalid_text', field: 'reference' }),
  post('a lone low surrogate in a failure reason', 'lone surrogate', '/v1/payouts/p-1/failure', bytesOf('{"failedAt":"2026-03-02T00:00:00Z","reason":"bank \\udfff"}'), invalid('invalid_text', 'reason'),
    { type: 'FailPayout', pathFields: { payoutId: 'p-1' }, code: 'invalid_text', field: 'reason' }),
  post('a lone surrogate in a contract party', 'lone surrogate', '/v1/apps', bytesOf(`{"appId":"bad-app","developerId":"dev-1","name":"X","contract":${contractJson.slice(0, -1)},"carveOuts":[{"party":"referrer:\\ud800","rate":"1%","of":"basis"}]}}`),
    invalid('invalid_text', 'contract.carveOuts[0].party'), { type: 'RegisterApp', code: 'invalid_text', field: 'contract.carveOuts[0].party' }),
  post('NUL in a failure reason', 'control character', '/v1/payouts/p-1/failure', bytesOf('{"failedAt":"2026-03-02T00:00:00Z","reason":"bank\\u0000down"}'), invalid('invalid_text', 'reason'),
    { type: 'FailPayout', pathFields: { payoutId: 'p-1' }, code: 'invalid_text', field: 'reason' }),
  post('a raw DEL in a name', 'control character', '/v1/developers', withRawName('a\u007fb'), invalid('invalid_text', 'name'), { type: 'RegisterDeveloper', code: 'invalid_text', field: 'name' }),
  post('a C1 control (U+009B) in a name', 'control character', '/v1/developers', withRawName('a\u009bb'), invalid('invalid_text', 'name'), { type: 'RegisterDeveloper', code: 'invalid_text', field: 'name' }),
  post('a tab in an id', 'control character', '/v1/receipts', receipt({ receiptId: 'bad\tr' }), invalid('invalid_text', 'receiptId'), { type: 'RecordRevenue', code: 'invalid_text', field: 'receiptId' }),

  // ---- JSON structure ----------------------------------------------------------------------------
  post('JSON nested 2,000 levels', 'nesting', '/v1/receipts', bytesOf(`{"receiptId":${'['.repeat(2_000)}${']'.repeat(2_000)}}`), invalid('nesting_too_deep', `receiptId${'[0]'.repeat(31)}`),
    { type: 'RecordRevenue', code: 'nesting_too_deep', field: `receiptId${'[0]'.repeat(31)}` }),
  // 100,000 levels are more bytes than the API's 64 KiB body: refused on size before any parsing; a JSONL line (256 KiB) reaches the depth check.
  post('JSON nested 100,000 levels', 'nesting', '/v1/receipts', bytesOf(`{"receiptId":${'['.repeat(100_000)}${']'.repeat(100_000)}}`), { status: 413, code: 'body_too_large' },
    { type: 'RecordRevenue', code: 'nesting_too_deep', field: `receiptId${'[0]'.repeat(31)}` }),
  post('a duplicate key at the top level', 'duplicate key', '/v1/receipts', bytesOf('{"receiptId":"bad-r","appId":"app-1","amount":"1.00","amount":"900.00","currency":"USD","occurredAt":"2026-02-01T00:00:00Z"}'),
    invalid('duplicate_key', 'amount'), { type: 'RecordRevenue', code: 'duplicate_key', field: 'amount' }),
  post('a duplicate key nested in a contract', 'duplicate key', '/v1/apps/app-1/contract-amendments', bytesOf(`{"contract":${contractJson.slice(0, -1)},"holdDays":0}}`),
    invalid('duplicate_key', 'contract.holdDays'), { type: 'AmendContract', pathFields: { appId: 'app-1' }, code: 'duplicate_key', field: 'contract.holdDays' }),
  post('too many keys in one object', 'too many keys', '/v1/apps', bytesOf(`{"contract":{${Array.from({ length: 1_001 }, (_, index) => `"k${index}":1`).join(',')}}}`), invalid('too_many_keys', 'contract'),
    { type: 'RegisterApp', code: 'too_many_keys', field: 'contract' }),
  post('too many items in one array', 'too many items', '/v1/consumption/batch', bytesOf(`{"records":[${Array.from({ length: 1_001 }, () => '0').join(',')}]}`), invalid('too_many_items', 'records')),

  // ---- Bytes --------------------------------------------------------------------------------------
  post('invalid UTF-8 (FF)', 'invalid UTF-8', '/v1/developers', Buffer.concat([bytesOf('{"developerId":"bad-dev","name":"x'), Buffer.from([0xff]), bytesOf('","country":"NG"}')]), invalid('invalid_utf8'),
    { type: 'RegisterDeveloper', code: 'invalid_utf8' }),
  post('overlong UTF-8 (C0 AF)', 'overlong UTF-8', '/v1/developers', Buffer.concat([bytesOf('{"developerId":"bad-dev","name":"'), Buffer.from([0xc0, 0xaf]), bytesOf('","country":"NG"}')]), invalid('invalid_utf8'),
    { type: 'RegisterDeveloper', code: 'invalid_utf8' }),
  post('a byte order mark', 'byte order mark', '/v1/receipts', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), receipt({})]), invalid('malformed_json')),

  // ---- Media types --------------------------------------------------------------------------------
  ...['application/merge-patch+json', 'text/plain', 'application/json; charset=latin1'].map((contentType) =>
    post(`Content-Type ${contentType}`, 'media type', '/v1/receipts', receipt({}), { status: 415, code: 'unsupported_media_type' }, undefined, { 'Content-Type': contentType })),
  post('no Content-Type', 'media type', '/v1/receipts', receipt({}), { status: 415, code: 'unsupported_media_type' }, undefined, {}),
  post('Content-Encoding gzip', 'media type', '/v1/receipts', receipt({}), { status: 415, code: 'unsupported_media_type' }, undefined, { ...JSON_TYPE, 'Content-Encoding': 'gzip' }),

  // ---- Reference data -----------------------------------------------------------------------------
  ...['XXX', 'XAU', 'XTS'].map((currency) => post(`contract currency ${currency}`, 'currency not money', '/v1/apps', app({}, { ...CONTRACT_NO_DECIMALS, currency }),
    invalid('currency_not_money', 'contract.currency'), { type: 'RegisterApp', code: 'currency_not_money', field: 'contract.currency' })),
  post('contract currency BOV', 'currency not money', '/v1/apps', app({}, { currency: 'BOV' }), invalid('currency_not_money', 'contract.currency'), { type: 'RegisterApp', code: 'currency_not_money', field: 'contract.currency' }),
  post('payout currency XTS', 'currency not money', '/v1/payouts', payout({ currency: 'XTS', amount: '60' }), invalid('currency_not_money', 'currency'), { type: 'RequestPayout', code: 'currency_not_money', field: 'currency' }),
  post('lower-case currency usd', 'currency syntax', '/v1/receipts', receipt({ currency: 'usd' }), invalid('validation_failed', 'currency'), { type: 'RecordRevenue', code: 'unknown_currency', field: 'currency' }),
  post('country zz', 'unknown country', '/v1/developers', developer({ country: 'zz' }), invalid('unknown_country', 'country'), { type: 'RegisterDeveloper', code: 'unknown_country', field: 'country' }),
  post('country ZZ', 'unknown country', '/v1/developers', developer({ country: 'ZZ' }), invalid('unknown_country', 'country'), { type: 'RegisterDeveloper', code: 'unknown_country', field: 'country' }),
  post('country "Nigeria"', 'unknown country', '/v1/developers', developer({ country: 'Nigeria' }), invalid('validation_failed', 'country'), { type: 'RegisterDeveloper', ...shape('country') }),
  post('income group billionaire', 'unknown income group', '/v1/developers', developer({ incomeGroup: 'billionaire' }), invalid('unknown_income_group', 'incomeGroup'),
    { type: 'RegisterDeveloper', code: 'unknown_income_group', field: 'incomeGroup' }),

  // ---- Lengths and ids --------------------------------------------------------------------------------
  post('developer name of the limit + 1', 'text too long', '/v1/developers', developer({ name: 'n'.repeat(NAME_LENGTH_MAXIMUM + 1) }), invalid('validation_failed', 'name'), { type: 'RegisterDeveloper', ...shape('name') }),
  post('app name of the limit + 1', 'text too long', '/v1/apps', app({ name: 'n'.repeat(NAME_LENGTH_MAXIMUM + 1) }), invalid('validation_failed', 'name'), { type: 'RegisterApp', ...shape('name') }),
  post('receipt id of the limit + 1', 'bad id', '/v1/receipts', receipt({ receiptId: 'r'.repeat(IDENTIFIER_LENGTH_MAXIMUM + 1) }), invalid('validation_failed', 'receiptId'), { type: 'RecordRevenue', ...shape('receiptId') }),
  post('developer id with a slash', 'bad id', '/v1/developers', developer({ developerId: 'dev/1' }), invalid('validation_failed', 'developerId'), { type: 'RegisterDeveloper', code: 'field_invalid', field: 'developerId' }),
  post('receipt id starting with a dash', 'bad id', '/v1/receipts', receipt({ receiptId: '-r' }), invalid('validation_failed', 'receiptId'), { type: 'RecordRevenue', code: 'field_invalid', field: 'receiptId' }),
  post('payout id of the limit + 1 in the path', 'bad id', `/v1/payouts/${'p'.repeat(IDENTIFIER_LENGTH_MAXIMUM + 1)}/settlement`, jsonOf({ settledAt: '2026-03-02T00:00:00Z', reference: 'w' }),
    invalid('validation_failed', 'payoutId')),
  post('payout id with a space in the path', 'bad id', '/v1/payouts/p%201/settlement', jsonOf({ settledAt: '2026-03-02T00:00:00Z', reference: 'w' }), invalid('validation_failed', 'payoutId')),

  // ---- Amounts --------------------------------------------------------------------------------------
  post('an amount as a JSON number', 'amount syntax', '/v1/receipts', bytesOf('{"receiptId":"bad-r","appId":"app-1","amount":10.5,"currency":"USD","occurredAt":"2026-02-01T00:00:00Z"}'),
    invalid('validation_failed', 'amount'), { type: 'RecordRevenue', ...shape('amount') }),
  post('a negative amount', 'amount sign', '/v1/receipts', receipt({ amount: '-1.00' }), invalid('validation_failed', 'amount'), { type: 'RecordRevenue', code: 'amount_negative', field: 'amount' }),
  post('a zero amount', 'amount zero', '/v1/receipts', receipt({ amount: '0.00' }), invalid('amount_zero', 'amount'), { type: 'RecordRevenue', code: 'amount_zero', field: 'amount' }),
  post('three decimals in USD', 'amount decimals', '/v1/receipts', receipt({ amount: '1.001' }), invalid('amount_too_many_decimals', 'amount'), { type: 'RecordRevenue', code: 'amount_too_many_decimals', field: 'amount' }),
  post('one minor unit above the maximum', 'amount above maximum', '/v1/receipts', receipt({ amount: `${MONEY_MAXIMUM_MINOR / 100n}.01` }), invalid('amount_above_maximum', 'amount'),
    { type: 'RecordRevenue', code: 'amount_above_maximum', field: 'amount' }),
  post('exponent notation', 'amount syntax', '/v1/receipts', receipt({ amount: '1e2' }), invalid('validation_failed', 'amount'), { type: 'RecordRevenue', code: 'amount_malformed', field: 'amount' }),
  post('a leading plus', 'amount sign', '/v1/receipts', receipt({ amount: '+1.00' }), invalid('validation_failed', 'amount'), { type: 'RecordRevenue', code: 'amount_malformed', field: 'amount' }),
  post('whitespace around an amount', 'amount syntax', '/v1/receipts', receipt({ amount: ' 1.00' }), invalid('validation_failed', 'amount'), { type: 'RecordRevenue', code: 'amount_malformed', field: 'amount' }),

  // ---- Shape ----------------------------------------------------------------------------------------
  post('an unknown field', 'unknown field', '/v1/receipts', receipt({ note: 'x' }), invalid('validation_failed', 'note'), { type: 'RecordRevenue', ...shape('note') }),
  post('a missing field', 'missing field', '/v1/receipts', jsonOf({ receiptId: 'bad-r', appId: 'app-1', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z' }), invalid('validation_failed', 'amount'),
    { type: 'RecordRevenue', ...shape('amount') }),
  post('a body over 64 KiB', 'body too large', '/v1/developers', developer({ name: 'n'.repeat(70_000) }), { status: 413, code: 'body_too_large' }),
  post('an Idempotency-Key of 256 characters', 'idempotency key', '/v1/receipts', receipt({}), { status: 400, code: 'idempotency_key_invalid', field: 'Idempotency-Key' }, undefined,
    { ...JSON_TYPE, 'Idempotency-Key': 'k'.repeat(256) }),

  // ---- Money rules ----------------------------------------------------------------------------------
  post('a refund above its receipt', 'refund above receipt', '/v1/refunds', jsonOf({ refundId: 'bad-f', receiptId: 'r-1', amount: '1200.01', occurredAt: '2026-02-02T00:00:00Z' }),
    { status: 409, code: 'refund_exceeds_remaining', field: 'amount' }, { type: 'RefundRevenue', code: 'refund_exceeds_remaining' }),
  post('a payout above the available balance', 'payout above available', '/v1/payouts', payout({ amount: '5000.00' }), { status: 409, code: 'payout_above_available', field: 'amount' },
    { type: 'RequestPayout', code: 'payout_above_available' }),
  post('a payout below the minimum', 'payout below minimum', '/v1/payouts', payout({ amount: '49.99' }), invalid('payout_below_minimum', 'amount'), { type: 'RequestPayout', code: 'payout_below_minimum' }),
  post('a receipt of an unknown app', 'unknown id', '/v1/receipts', receipt({ appId: 'no-such-app' }), { status: 404, code: 'unknown_app', field: 'appId' }, { type: 'RecordRevenue', code: 'unknown_app', field: 'appId' }),
  post('a refund of an unknown receipt', 'unknown id', '/v1/refunds', jsonOf({ refundId: 'bad-f', receiptId: 'no-such-receipt', amount: '1.00', occurredAt: '2026-02-02T00:00:00Z' }),
    { status: 404, code: 'unknown_receipt', field: 'receiptId' }, { type: 'RefundRevenue', code: 'unknown_receipt', field: 'receiptId' }),
  post('the settlement of an unknown payout', 'unknown id', '/v1/payouts/no-such-payout/settlement', jsonOf({ settledAt: '2026-03-02T00:00:00Z', reference: 'w' }),
    { status: 404, code: 'unknown_payout', field: 'payoutId' }, { type: 'SettlePayout', pathFields: { payoutId: 'no-such-payout' }, code: 'unknown_payout', field: 'payoutId' }),
  post('a receipt id again with another amount', 'duplicate id', '/v1/receipts', receipt({ receiptId: 'r-1', amount: '1.00' }), { status: 409, code: 'duplicate_receipt', field: 'receiptId' },
    { type: 'RecordRevenue', code: 'duplicate_receipt' }),
];

/** The good lines every ledger of this test starts from (the API's and the import's). */
const SETUP_COMMANDS: { path: string; type: string; body: Record<string, unknown> }[] = [
  { path: '/v1/developers', type: 'RegisterDeveloper', body: { developerId: 'dev-1', name: 'Ada Apps', country: 'NG', incomeGroup: 'lower-middle' } },
  { path: '/v1/apps', type: 'RegisterApp', body: { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT } },
  { path: '/v1/receipts', type: 'RecordRevenue', body: { receiptId: 'r-1', appId: 'app-1', amount: '1200.00', currency: 'USD', occurredAt: '2026-02-01T10:00:00Z' } },
  { path: '/v1/payouts', type: 'RequestPayout', body: { payoutId: 'p-1', developerId: 'dev-1', currency: 'USD', amount: '100.00', requestedAt: '2026-03-01T00:00:00Z' } },
];

/** `rsi-ledger verify` on the ledger's database: exit 0 and every check holds. */
async function expectVerifyPasses(ledger: TestLedger): Promise<void> {
  const verified = await runCli(['verify'], ledger.childEnvironment).finished;
  const report = JSON.parse(verified.stdout) as { ok: boolean; checks: { name: string; ok: boolean; examples?: unknown[] }[] };
  expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  expect({ code: verified.code, ok: report.ok }).toEqual({ code: 0, ok: true });
}

describe('the hostile-input catalogue over HTTP (raw bytes, real database, the clock held)', () => {
  let ledger: TestLedger;
  let application: INestApplication;
  let server: Server;
  let loggedErrors: jest.SpyInstance;
  /** Classes whose every case ended in its clean 4xx with nothing written. */
  const cleanCasesOfClass = new Map<string, number>();

  const send = (entry: Pick<CatalogueCase, 'method' | 'path' | 'headers' | 'body'>) => {
    const pending = entry.method === 'GET' ? request(server).get(entry.path) : request(server).post(entry.path);
    for (const [name, value] of Object.entries(entry.headers)) pending.set(name, value);
    // superagent would serialise a Buffer as JSON under a JSON content type: the bytes go as they are.
    return pending.serialize((body: unknown) => body as string).send(entry.body);
  };
  const eventsCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM events')).rows[0].n);
  const balances = async () => (await request(server).get('/v1/developers/dev-1/balances').expect(200)).body;

  beforeAll(async () => {
    // Only Date: timers, sockets and the database client keep real time.
    jest.useFakeTimers({
      doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
      now: BOOKED_AT_MILLISECONDS,
    });
    const api = await openTestApi({ environment: QUIET });
    ledger = api;
    application = api.app;
    await application.listen(0, '127.0.0.1');
    server = application.getHttpServer() as Server;
    for (const command of SETUP_COMMANDS) await send({ method: 'POST', path: command.path, headers: JSON_TYPE, body: jsonOf(command.body) }).expect(201);
    loggedErrors = jest.spyOn(Logger.prototype, 'error');
  });

  afterAll(async () => {
    loggedErrors?.mockRestore();
    jest.useRealTimers();
    await application?.close();
    await ledger?.cleanup();
  });

  it.each(CATALOGUE.map((entry) => [`${entry.class}: ${entry.name}`, entry] as const))('%s → clean 4xx, nothing written', async (_title, entry) => {
    const eventsBefore = await eventsCount();
    const balancesBefore = await balances();
    const response = await send(entry);
    expect(response.status).toBeLessThan(500);
    expect({ status: response.status, code: response.body.code, field: response.body.field })
      .toEqual({ status: entry.status, code: entry.code, field: entry.field });
    expect(response.body).toMatchObject({ statusCode: entry.status, message: expect.any(String) });
    expect(await eventsCount()).toBe(eventsBefore);
    expect(await balances()).toEqual(balancesBefore);
    expect(loggedErrors).not.toHaveBeenCalled();
    cleanCasesOfClass.set(entry.class, (cleanCasesOfClass.get(entry.class) ?? 0) + 1);
  });

  it('one refused request among valid ones fails none of them', async () => {
    const eventsBefore = await eventsCount();
    const good = (index: number) => receipt({ receiptId: `burst-${index}`, occurredAt: '2026-03-01T00:00:00Z' });
    const responses = await Promise.all([
      ...Array.from({ length: 5 }, (_, index) => send({ method: 'POST', path: '/v1/receipts', headers: JSON_TYPE, body: good(index) })),
      send(CATALOGUE.find((entry) => entry.code === 'refund_exceeds_remaining')!),
      send(CATALOGUE.find((entry) => entry.code === 'business_time_after_booking')!),
      ...Array.from({ length: 5 }, (_, index) => send({ method: 'POST', path: '/v1/receipts', headers: JSON_TYPE, body: good(5 + index) })),
    ]);
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201, 201, 201, 409, 400, 201, 201, 201, 201, 201]);
    expect(await eventsCount()).toBe(eventsBefore + 10);
    cleanCasesOfClass.set('one refusal fails no other command', 1);
  });

  it('after the whole table the ledger reads, exports, records a valid receipt and verifies', async () => {
    await request(server).get('/v1/receipts/r-1/split').expect(200);
    const splits = await request(server).get('/v1/splits').query({ developerId: 'dev-1' }).expect(200);
    expect(splits.body.items.map((item: { receiptId: string }) => item.receiptId)).toContain('r-1');
    const balancesNow = await balances();
    expect(balancesNow.balances).toHaveLength(1);
    const exported = await request(server).get('/v1/exports/splits').query({ format: 'jsonl' }).buffer(true)
      .parse((response, callback) => {
        let text = '';
        response.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
        response.on('end', () => callback(null, text));
      }).expect(200);
    const exportedReceipts = String(exported.body).trim().split('\n').map((line) => JSON.parse(line).receiptId);
    expect(exportedReceipts.sort()).toEqual(['r-1', ...Array.from({ length: 10 }, (_, index) => `burst-${index}`)].sort());
    // Nothing of any hostile case reached the store.
    const hostile = await ledger.runtime.connection.pool.query(`SELECT count(*)::int AS n FROM events WHERE data::text LIKE '%bad-%' OR stream_name LIKE '%bad%'`);
    expect(hostile.rows[0].n).toBe(0);
    await send({ method: 'POST', path: '/v1/receipts', headers: JSON_TYPE, body: receipt({ receiptId: 'r-after', amount: '19.99', occurredAt: isoOf(BOOKED_AT_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS) }) }).expect(201);
    jest.useRealTimers();
    await expectVerifyPasses(ledger);

    const classes = new Set(CATALOGUE.map((entry) => entry.class));
    classes.add('one refusal fails no other command');
    const casesOfClass = (klass: string) => CATALOGUE.filter((entry) => entry.class === klass).length || 1;
    const clean = [...classes].filter((klass) => cleanCasesOfClass.get(klass) === casesOfClass(klass)).length;
    console.log(`hostile-input catalogue: ${classes.size} classes, ${clean} clean 4xx with nothing written, ledger healthy`);
    expect(clean).toBe(classes.size);
  });
});

describe('the hostile-input catalogue through `rsi-ledger import` (one bad line per class among good lines)', () => {
  const LINE_CASES = CATALOGUE.filter((entry) => entry.line !== undefined);
  let ledger: TestLedger;
  let directory: string;
  let filePath: string;
  /** 1-based line number of each bad line in the file. */
  const lineNumberOfCase = new Map<CatalogueCase, number>();

  const lineOf = (entry: CatalogueCase): Buffer => {
    const prefix = { type: entry.line!.type, ...entry.line!.pathFields };
    // The body's first byte is its `{`: the command's type and path fields go in front of its fields.
    return Buffer.concat([bytesOf(JSON.stringify(prefix).slice(0, -1)), bytesOf(','), entry.body.subarray(1)]);
  };
  const eventsCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM events')).rows[0].n);

  beforeAll(async () => {
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-catalogue-'));
    filePath = path.join(directory, 'catalogue.jsonl');
    const lines: Buffer[] = SETUP_COMMANDS.map((command) => jsonOf({ type: command.type, ...command.body }));
    LINE_CASES.forEach((entry, index) => {
      lines.push(lineOf(entry));
      lineNumberOfCase.set(entry, lines.length);
      // A good line after every bad one: the import goes on, and records it.
      lines.push(jsonOf({ type: 'RecordRevenue', receiptId: `good-${index}`, appId: 'app-1', amount: '1.00', currency: 'USD', occurredAt: '2026-02-03T00:00:00Z' }));
    });
    fs.writeFileSync(filePath, Buffer.concat(lines.flatMap((line) => [line, bytesOf('\n')])));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('reports each bad line with its number and code, records every good line, and a rerun records nothing new', async () => {
    const first = await runCli(['import', filePath], ledger.childEnvironment).finished;
    expect(first.code).toBe(1);
    // The CLI prints "line N: code: message", and a message about one field starts with "field: ".
    // Lines the reader refuses are reported as they are read, lines the domain refuses when their batch runs: by number, not in file order.
    const lineNumberOf = (text: string) => Number(/^line (\d+): /.exec(text)![1]);
    const reported = first.stderr.split('\n').filter((text) => text.startsWith('line ')).sort((left, right) => lineNumberOf(left) - lineNumberOf(right));
    const expected = LINE_CASES.map((entry) => `line ${lineNumberOfCase.get(entry)}: ${entry.line!.code}: ${entry.line!.field === undefined ? '' : `${entry.line!.field}: `}`);
    expect(reported.map((text, index) => (text.startsWith(expected[index] ?? '\u0000') ? expected[index] : text))).toEqual(expected);
    const goodCount = SETUP_COMMANDS.length + LINE_CASES.length;
    expect(first.stdout).toContain(`${goodCount} recorded, 0 already recorded, ${LINE_CASES.length} refused`);
    await ledger.runtime.projector.catchUp();
    const splits = await ledger.runtime.connection.pool.query('SELECT count(*)::int AS n FROM splits');
    expect(splits.rows[0].n).toBe(1 + LINE_CASES.length);
    const hostile = await ledger.runtime.connection.pool.query(`SELECT count(*)::int AS n FROM events WHERE data::text LIKE '%bad-%' OR stream_name LIKE '%bad%'`);
    expect(hostile.rows[0].n).toBe(0);

    const before = await eventsCount();
    const rerun = await runCli(['import', filePath], ledger.childEnvironment).finished;
    expect(rerun.code).toBe(1);
    expect(rerun.stdout).toContain(`0 recorded, ${goodCount} already recorded, ${LINE_CASES.length} refused`);
    expect(await eventsCount()).toBe(before);
    await expectVerifyPasses(ledger);
  });
});
