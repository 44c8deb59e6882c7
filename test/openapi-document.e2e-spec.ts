/**
 * The OpenAPI document served by the running app (/docs-json) is a valid document, says
 * exactly what the server accepts (checked against the domain parser), and a client typed
 * from it compiles — while a wrong call (a JSON number for money, an unknown window…) does
 * not, so its types are real. The typed client is then run against the same app.
 */
import type { INestApplication } from '@nestjs/common';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import * as ts from 'typescript';
import {
  CARVE_OUT_BASES, CATEGORY_COUNTERS, REVENUE_CATEGORIES, CONTRACT_CARVE_OUTS_MAXIMUM, CONTRACT_SCOPES, CONTRACT_TIERS_MAXIMUM, CONTRACT_WINDOWS, DomainError, HOLD_DAYS_MAXIMUM,
  parseContractTerms,
} from '@rsi/domain';
import { openTestApi, type TestApi } from './support/test-ledger';

type Schema = {
  $ref?: string; type?: string; properties?: Record<string, Schema>; required?: string[]; items?: Schema; allOf?: Schema[]; oneOf?: Schema[];
  additionalProperties?: boolean | Schema; enum?: unknown[]; pattern?: string; maxLength?: number; minItems?: number; maxItems?: number;
  minimum?: number; maximum?: number; nullable?: boolean; example?: unknown;
};
type Operation = {
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: Record<string, unknown>[];
};
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

/** Contract terms with every optional field, valid for the domain parser. */
const FULL_CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: {
    tiers: [{ upTo: '1000.00', rate: '0%' }, { upTo: '50000.00', rate: '10%' }, { rate: '15%' }], window: 'calendar_year', scope: 'developer',
    counter: 'per_category',
    categories: { subscription: { tiers: [{ rate: '15%' }], window: 'lifetime', scope: 'app' } },
  },
  rateMultiplier: '100%',
  platformCap: { amount: '100000.00', window: 'calendar_year', counter: 'per_category' },
  carveOuts: [{ party: 'provider:acme-models', rate: '2.5%', of: 'basis' }, { party: 'tax:vat', rate: '10%', of: 'platform' }],
  holdDays: 14,
  minimumPayout: '50.00',
  disputeFeeBearer: 'platform',
  reserve: { rate: '10%', holdDays: 90 },
};

/** The parser's refusal of `raw`, or null when it accepts it. */
function parserRefusal(raw: unknown): DomainError | null {
  try {
    parseContractTerms(raw);
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

type Settled<T> = { value: T } | { error: unknown };
/** A promise awaited later by a test, so that it never rejects unhandled meanwhile. */
const settle = <T>(promise: Promise<T>): Promise<Settled<T>> => promise.then((value) => ({ value }), (error: unknown) => ({ error }));
const valueOf = <T>(settled: Settled<T>): T => {
  if ('error' in settled) throw settled.error;
  return settled.value;
};

const REPOSITORY_DIRECTORY = path.join(__dirname, '..');

/**
 * The OpenAPI tools run in a child Node process: they (or their dependencies) are ES modules,
 * which Node loads natively but the jest module runtime cannot.
 */
async function runNode(arguments_: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, arguments_, { cwd: REPOSITORY_DIRECTORY });
  return stdout;
}

/** Validates a document file with @apidevtools/swagger-parser. */
async function swaggerParserVerdict(file: string): Promise<{ valid: boolean; message: string }> {
  const script = `require('@apidevtools/swagger-parser').validate(process.argv[1]).then(
    (api) => process.stdout.write(JSON.stringify({ valid: true, message: api.openapi })),
    (error) => process.stdout.write(JSON.stringify({ valid: false, message: error.message })));`;
  return JSON.parse(await runNode(['-e', script, file])) as { valid: boolean; message: string };
}

/** Generates the TypeScript types of a document file with openapi-typescript. */
async function generateTypes(documentFile: string, typesFile: string): Promise<void> {
  await runNode([path.join(REPOSITORY_DIRECTORY, 'node_modules/openapi-typescript/bin/cli.js'), documentFile, '--output', typesFile]);
}

describe('OpenAPI document of the running app', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;
  let documentText: string;
  let document: Document;
  let temporaryDirectory: string;
  // The tools run in child processes started together in beforeAll (two cores, ~10 s each).
  let validVerdict: Promise<Settled<{ valid: boolean; message: string }>>;
  let brokenVerdict: Promise<Settled<{ valid: boolean; message: string }>>;
  let typesGenerated: Promise<Settled<void>>;

  beforeAll(async () => {
    ledger = await openTestApi({ environment: { RSI_API_LOG: 'quiet' } });
    app = ledger.app;
    server = app.getHttpServer();
    const response = await request(server).get('/docs-json').expect(200);
    documentText = response.text;
    document = JSON.parse(documentText) as Document;
    temporaryDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-openapi-client-'));
    const documentFile = path.join(temporaryDirectory, 'openapi.json');
    fs.writeFileSync(documentFile, documentText);
    // The same document without info.version: the validator must refuse it, or it checks nothing.
    const broken = clone(document) as Document & { info: Record<string, unknown> };
    delete broken.info.version;
    const brokenFile = path.join(temporaryDirectory, 'broken-openapi.json');
    fs.writeFileSync(brokenFile, JSON.stringify(broken));
    validVerdict = settle(swaggerParserVerdict(documentFile));
    brokenVerdict = settle(swaggerParserVerdict(brokenFile));
    typesGenerated = settle(generateTypes(documentFile, path.join(temporaryDirectory, 'api.ts')));
  });

  afterAll(async () => {
    await Promise.all([validVerdict, brokenVerdict, typesGenerated]);
    await app?.close();
    await ledger?.cleanup();
    if (temporaryDirectory !== undefined) fs.rmSync(temporaryDirectory, { recursive: true, force: true });
  });

  const schemaNamed = (name: string): Schema => {
    const schema = document.components.schemas[name];
    if (schema === undefined) throw new Error(`no schema ${name}`);
    return schema;
  };
  /** A property's schema, through the `allOf: [{$ref}]` nest wraps referenced types in. */
  const referencedName = (schema: Schema): string => {
    const reference = schema.$ref ?? schema.allOf?.[0]?.$ref ?? schema.items?.$ref;
    if (reference === undefined) throw new Error(`not a reference: ${JSON.stringify(schema)}`);
    return reference.replace('#/components/schemas/', '');
  };

  it('is a valid OpenAPI document for a maintained validator (which does refuse a broken one)', async () => {
    expect(valueOf(await validVerdict)).toEqual({ valid: true, message: '3.0.0' });
    expect(valueOf(await brokenVerdict)).toEqual({ valid: false, message: expect.stringContaining('version') });
  });

  it('sends no reader to a file outside the repository', () => {
    // The file name is assembled so that this source file itself names no outside file.
    expect(documentText).not.toContain(['DESIGN', 'md'].join('.'));
    expect(documentText).not.toContain('../');
  });

  it('types contract terms in full, with the enums and bounds of the domain', () => {
    const contract = schemaNamed('ContractTermsDto');
    expect(referencedName(schemaNamed('RegisterAppDto').properties!.contract!)).toBe('ContractTermsDto');
    expect(referencedName(schemaNamed('AmendContractDto').properties!.contract!)).toBe('ContractTermsDto');
    expect(Object.keys(contract.properties!).sort()).toEqual(Object.keys(FULL_CONTRACT).sort());
    expect(contract.required!.sort()).toEqual(['currency', 'effectiveFrom', 'holdDays', 'minimumPayout', 'platformShare']);
    expect(contract.properties!.currency!.pattern).toBe('^[A-Z]{3}$');
    expect(contract.properties!.holdDays!.oneOf).toEqual([
      { type: 'integer', minimum: 0, maximum: HOLD_DAYS_MAXIMUM },
      { type: 'string', pattern: expect.any(String) },
    ]);
    const platformShare = schemaNamed(referencedName(contract.properties!.platformShare!));
    expect(platformShare.properties!.tiers).toMatchObject({ type: 'array', minItems: 1, maxItems: CONTRACT_TIERS_MAXIMUM });
    expect(platformShare.properties!.window!.enum).toEqual([...CONTRACT_WINDOWS]);
    expect(platformShare.properties!.scope!.enum).toEqual([...CONTRACT_SCOPES]);
    expect(platformShare.properties!.counter!.enum).toEqual([...CATEGORY_COUNTERS]);
    expect(schemaNamed('PlatformCapDto').properties!.counter!.enum).toEqual([...CATEGORY_COUNTERS]);
    expect(Object.keys(schemaNamed('PlatformShareCategoriesDto').properties!)).toEqual([...REVENUE_CATEGORIES]);
    expect(schemaNamed('RecordRevenueDto').properties!.category).toMatchObject({ enum: [...REVENUE_CATEGORIES], nullable: true });
    expect(schemaNamed('RecordRevenueDto').required).not.toContain('category');
    expect(contract.properties!.carveOuts).toMatchObject({ type: 'array', maxItems: CONTRACT_CARVE_OUTS_MAXIMUM, nullable: true });
    const carveOut = schemaNamed(referencedName(contract.properties!.carveOuts!));
    expect(carveOut.properties!.of!.enum).toEqual([...CARVE_OUT_BASES]);
    for (const money of [contract.properties!.minimumPayout!, schemaNamed('ContractTierDto').properties!.upTo!, schemaNamed('PlatformCapDto').properties!.amount!]) {
      expect(money).toMatchObject({ type: 'string', pattern: '^(0|[1-9][0-9]*)(\\.([0-9]+))?$' });
    }
  });

  it('gives examples that the server accepts: each matches its pattern, the contract examples pass the parser', () => {
    let checked = 0;
    const visit = (value: unknown, where: string): void => {
      if (Array.isArray(value)) { value.forEach((item, index) => visit(item, `${where}[${index}]`)); return; }
      if (typeof value !== 'object' || value === null) return;
      const schema = value as Schema;
      if (typeof schema.pattern === 'string' && typeof schema.example === 'string') {
        checked += 1;
        expect({ where, example: schema.example, matches: new RegExp(schema.pattern).test(schema.example) }).toEqual({ where, example: schema.example, matches: true });
      }
      for (const [key, child] of Object.entries(value)) visit(child, `${where}.${key}`);
    };
    visit(document, '#');
    expect(checked).toBeGreaterThan(20);
    for (const name of ['RegisterAppDto', 'AmendContractDto']) {
      expect({ name, refusal: parserRefusal(schemaNamed(name).properties!.contract!.example)?.message }).toEqual({ name, refusal: undefined });
    }
  });

  it('closes exactly the objects the contract parser closes, and requires what it requires', () => {
    expect(parserRefusal(FULL_CONTRACT)).toBeNull();
    // Each object of the contract: where it is in FULL_CONTRACT, and its schema.
    const objects: { name: string; at: (contract: typeof FULL_CONTRACT) => Record<string, unknown> }[] = [
      { name: 'ContractTermsDto', at: (contract) => contract },
      { name: 'PlatformShareDto', at: (contract) => contract.platformShare },
      { name: 'PlatformShareCategoriesDto', at: (contract) => contract.platformShare.categories },
      { name: 'CategoryPlatformShareDto', at: (contract) => contract.platformShare.categories.subscription },
      { name: 'ContractTierDto', at: (contract) => contract.platformShare.tiers[0] },
      { name: 'PlatformCapDto', at: (contract) => contract.platformCap },
      { name: 'CarveOutDto', at: (contract) => contract.carveOuts[0] },
    ];
    for (const { name, at } of objects) {
      const schema = schemaNamed(name);
      expect({ name, additionalProperties: schema.additionalProperties }).toEqual({ name, additionalProperties: false });
      const withUnknownKey = clone(FULL_CONTRACT);
      at(withUnknownKey).unexpected = '1';
      expect({ name, refusal: parserRefusal(withUnknownKey)?.message }).toEqual({ name, refusal: expect.stringMatching(/unexpected: unknown key$/) });
      for (const key of Object.keys(schema.properties!)) {
        const withoutKey = clone(FULL_CONTRACT);
        delete at(withoutKey)[key];
        const required = (schema.required ?? []).includes(key);
        // The first tier's bound is required by position (only the last tier is open-ended), as its description says.
        const refusedByPosition = name === 'ContractTierDto' && key === 'upTo';
        expect({ name, key, refused: parserRefusal(withoutKey) !== null }).toEqual({ name, key, refused: required || refusedByPosition });
      }
    }
  });

  /** Checks, jobs and key management: no ledger command, so no Idempotency-Key (docs/http-api.md). */
  const POSTS_THAT_ARE_NOT_COMMANDS = ['POST /v1/statements/verify', 'POST /v1/verify-jobs', 'POST /v1/what-if', 'POST /v1/reconciliations/payouts', 'POST /v1/keys', 'POST /v1/keys/{keyId}/revocation',
    // Webhook subscriptions are administration, not ledger commands (docs/http-api.md#webhooks).
    'POST /v1/webhooks', 'POST /v1/webhooks/{webhookId}/disable', 'POST /v1/webhooks/{webhookId}/enable',
    'POST /v1/webhooks/{webhookId}/secret-rotation', 'POST /v1/webhooks/{webhookId}/redelivery'];

  it('documents responses, security and the Idempotency-Key header of every route', () => {
    // Public on purpose: the auditors' trust anchor (docs/audit.md, "Threat model"). It reads
    // a key file, never the database, so it cannot answer 503 database_unavailable either.
    const publicRoutes = ['GET /v1/seal-public-key'];
    // Liveness answers without the database on purpose: a database outage must not restart every instance.
    const routesWithoutDatabase = ['GET /v1/seal-public-key', 'GET /health/live'];
    const operations = Object.entries(document.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, operation]) => ({ route, method, operation })));
    expect(operations.length).toBeGreaterThanOrEqual(17);
    for (const { route, method, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      const where = `${method.toUpperCase()} ${route}`;
      expect({ where, success: statuses.some((status) => status.startsWith('2')) }).toEqual({ where, success: true });
      expect({ where, has503: statuses.includes('503') }).toEqual({ where, has503: !routesWithoutDatabase.includes(where) });
      for (const status of statuses.filter((status) => Number(status) >= 400)) {
        expect({ where, status, schema: operation.responses[status]!.content?.['application/json']?.schema.$ref })
          .toEqual({ where, status, schema: '#/components/schemas/ErrorResponseDto' });
      }
      expect({ where, secured: operation.security !== undefined }).toEqual({ where, secured: route.startsWith('/v1/') && !publicRoutes.includes(where) });
      if (method === 'post' && !POSTS_THAT_ARE_NOT_COMMANDS.includes(where)) {
        expect({ where, statuses: statuses.filter((status) => ['400', '413', '415', '422'].includes(status)) })
          .toEqual({ where, statuses: ['400', '413', '415', '422'] });
        const header = operation.parameters?.find((parameter) => parameter.in === 'header' && parameter.name === 'Idempotency-Key');
        expect({ where, header: header?.schema }).toEqual({ where, header: expect.objectContaining({ maxLength: 255, pattern: expect.any(String) }) });
      }
      for (const parameter of (operation.parameters ?? []).filter((parameter) => parameter.in === 'path' && parameter.name !== 'name')) {
        expect({ where, parameter: parameter.name, schema: parameter.schema }).toEqual({ where, parameter: parameter.name, schema: expect.objectContaining({ pattern: expect.any(String), maxLength: 128 }) });
      }
    }
  });

  it('gives a typed client that compiles, refuses wrong calls, and works against the app', async () => {
    valueOf(await typesGenerated);
    const clientSource = `
import type { paths } from './api';

type PostPath = { [Path in keyof paths]: paths[Path] extends { post: { requestBody?: unknown } } ? Path : never }[keyof paths];
type JsonBody<Path extends PostPath> = paths[Path]['post'] extends { requestBody?: { content: { 'application/json': infer Body } } } ? Body : never;
type Created<Path extends PostPath> = paths[Path]['post'] extends { responses: { 201: { content: { 'application/json': infer Result } } } } ? Result : never;

/** Sends a JSON body and gives the status and the parsed JSON answer. */
export type Transport = (path: string, body: string) => Promise<{ status: number; body: unknown }>;

export async function post<Path extends PostPath>(send: Transport, path: Path, body: JsonBody<Path>): Promise<{ status: number; body: Created<Path> }> {
  const answer = await send(path, JSON.stringify(body));
  return { status: answer.status, body: answer.body as Created<Path> };
}

export const CONTRACT: JsonBody<'/v1/apps'>['contract'] = ${JSON.stringify(FULL_CONTRACT)};

export async function registerAppAndPostReceipt(send: Transport): Promise<{ statuses: number[]; lines: { party: string; amount: string }[] }> {
  const developer = await post(send, '/v1/developers', { developerId: 'dev-typed', name: 'Typed Client', country: 'NG' });
  const app = await post(send, '/v1/apps', { appId: 'app-typed', developerId: 'dev-typed', name: 'Typed App', contract: CONTRACT });
  const receipt = await post(send, '/v1/receipts', { receiptId: 'rcpt-typed', appId: 'app-typed', amount: '1200.00', currency: 'USD', occurredAt: '2026-02-01T10:00:00Z' });
  const status: 'recorded' | 'already_recorded' = receipt.body.status;
  if (status !== 'recorded') throw new Error('the receipt was not recorded');
  return { statuses: [developer.status, app.status, receipt.status], lines: receipt.body.lines ?? [] };
}
`;
    // Each wrong call is on the line marked WRONG; it must be refused by the compiler there.
    const wrongCalls: Record<string, string> = {
      'amount-as-number': `post(send, '/v1/receipts', { receiptId: 'r', appId: 'a', currency: 'USD', occurredAt: '2026-02-01T10:00:00Z',\n  amount: 19.99, // WRONG\n});`,
      'weekly-window': `post(send, '/v1/apps', { appId: 'a', developerId: 'd', name: 'n', contract: { ...CONTRACT, platformShare: { tiers: [{ rate: '15%' }], scope: 'app',\n  window: 'weekly', // WRONG\n} } });`,
      'unknown-contract-key': `post(send, '/v1/apps', { appId: 'a', developerId: 'd', name: 'n', contract: { ...CONTRACT,\n  commission: '5%', // WRONG\n} });`,
      'carve-out-base': `post(send, '/v1/apps', { appId: 'a', developerId: 'd', name: 'n', contract: { ...CONTRACT, carveOuts: [{ party: 'tax:vat', rate: '1%',\n  of: 'everyone', // WRONG\n}] } });`,
      'missing-hold-days': `const { holdDays: _holdDays, ...withoutHoldDays } = CONTRACT;\npost(send, '/v1/apps', { appId: 'a', developerId: 'd', name: 'n',\n  contract: withoutHoldDays, // WRONG\n});`,
    };
    fs.writeFileSync(path.join(temporaryDirectory, 'client.ts'), clientSource);
    for (const [name, call] of Object.entries(wrongCalls)) {
      fs.writeFileSync(path.join(temporaryDirectory, `wrong-${name}.ts`), `import { CONTRACT, post, type Transport } from './client';\n\nexport function wrong(send: Transport): void {\n  void CONTRACT;\n  ${call}\n}\n`);
    }
    const rootNames = fs.readdirSync(temporaryDirectory).filter((file) => file.endsWith('.ts')).map((file) => path.join(temporaryDirectory, file));
    const program = ts.createProgram(rootNames, {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, lib: ['lib.es2022.d.ts'], types: [],
      exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const describeDiagnostic = (diagnostic: ts.Diagnostic) => `${path.basename(diagnostic.file?.fileName ?? '?')}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
    const outside = diagnostics.filter((diagnostic) => !path.basename(diagnostic.file?.fileName ?? '').startsWith('wrong-'));
    expect(outside.map(describeDiagnostic)).toEqual([]);
    for (const name of Object.keys(wrongCalls)) {
      const file = `wrong-${name}.ts`;
      const lines = diagnostics
        .filter((diagnostic) => path.basename(diagnostic.file?.fileName ?? '') === file && diagnostic.start !== undefined)
        .map((diagnostic) => diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start!).line);
      const markedLine = fs.readFileSync(path.join(temporaryDirectory, file), 'utf8').split('\n').findIndex((line) => line.includes('// WRONG'));
      expect({ file, refusedOnMarkedLine: lines.includes(markedLine) }).toEqual({ file, refusedOnMarkedLine: true });
    }

    // The client the compiler accepted is sent to the app: what the types allow, the server accepts.
    const compiled = ts.transpileModule(clientSource, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const clientModule = { exports: {} as { registerAppAndPostReceipt(send: unknown): Promise<{ statuses: number[]; lines: unknown[] }> } };
    new Function('module', 'exports', 'require', compiled)(clientModule, clientModule.exports, () => ({}));
    const send = async (route: string, body: string) => {
      const response = await request(server).post(route).set('Content-Type', 'application/json').send(body);
      return { status: response.status, body: response.body as unknown };
    };
    const result = await clientModule.exports.registerAppAndPostReceipt(send);
    expect(result.statuses).toEqual([201, 201, 201]);
    expect(result.lines).toEqual(expect.arrayContaining([expect.objectContaining({ party: 'provider:acme-models' })]));
  });
});
