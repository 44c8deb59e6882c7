import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { PersonalDataKeys } from '@rsi/database';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { GlobalPosition, RecordedEvent } from '@rsi/event-store';
import {
  buildDeveloperStatement, verifyLedger, sealPeriod, publicKeyPemOf, verifyStatement, MerkleLogBuilder, verifyInclusion, statementLogProofsOf, checkTreeHeadConsistency, type TreeHead, verifyTreeHeads, TransparencyLog,
} from '@rsi/ledger';
import { BOOKED_LEDGER, bookThreeMonths } from './support/booked-ledger';
import { openTestApi, type TestLedger } from './support/test-ledger';

const TREE_HEAD_CHECK = "tree heads: every log leaf recomputed from the events, every head's root and signature";

/** Every event, in global order, straight from the store. */
async function readAllEvents(ledger: TestLedger): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after: GlobalPosition | null = null;
  for (;;) {
    const page = await ledger.runtime.store.readAll({ after, maxCount: 1_000 });
    if (page.length === 0) return events;
    events.push(...page);
    after = page[page.length - 1]!.globalPosition;
  }
}

/**
 * The root recomputed here by hand, from the leaf encoding as docs/audit.md spells it (key
 * order written out, not canonicalJson) and the RFC 9162 leaf prefix, independently of the
 * leaf table and the code that fills it.
 */
function independentRootOf(events: readonly RecordedEvent[]): string {
  const builder = new MerkleLogBuilder();
  for (const event of events) {
    const entry = `{"eventHash":"${event.metadata.eventHash}","eventId":"${event.eventId}","recordedAt":"${event.metadata.recordedAt}",` +
      `"scheme":"rsi-ledger/log-leaf/v1","streamName":"${event.streamName}","streamVersion":"${event.streamVersion}"}`;
    builder.append(createHash('sha256').update(Buffer.of(0)).update(entry, 'utf8').digest());
  }
  return builder.root().toString('hex');
}

function findings() {
  const failures: string[] = [];
  let passes = 0;
  return { failures, passes: () => passes, sink: { pass: () => { passes += 1; }, fail: (message: string) => { failures.push(message); } } };
}

describe('signed tree heads over all events, consistency and inclusion proofs (real database)', () => {
  let ledger: TestLedger;
  let log: TransparencyLog;
  let privateKey: KeyObject;
  let publicKeyPem: string;
  let firstHead: TreeHead;
  let secondHead: TreeHead;
  let app: INestApplication;
  const seal = (period: string, sealedAt: string) => sealPeriod(ledger.runtime.store, { period, sealedAt, signingKey: () => privateKey, actor: 'test:seal' });

  beforeAll(async () => {
    const api = await openTestApi({ environment: { RSI_API_LOG: 'quiet' } });
    ledger = api;
    app = api.app;
    privateKey = generateKeyPairSync('ed25519').privateKey;
    publicKeyPem = publicKeyPemOf(privateKey);
    await bookThreeMonths(ledger.runtime);
    log = new TransparencyLog(ledger.runtime.connection.pool, ledger.runtime.store);
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
  });

  it('answers 404 no_tree_head over HTTP before the first head', async () => {
    const response = await request(app.getHttpServer()).get('/v1/tree-heads/latest').expect(404);
    expect(response.body).toMatchObject({ code: 'no_tree_head' });
  });

  it('issues a head whose root is the root recomputed independently from every event, with the database clock', async () => {
    const before = await ledger.runtime.connection.pool.query<{ now: Date }>('SELECT now() AS now');
    const outcome = await log.issueTreeHead(() => privateKey);
    expect(outcome.status).toBe('issued');
    firstHead = outcome.head;
    const events = await readAllEvents(ledger);
    expect(firstHead).toMatchObject({ scheme: 'rsi-ledger/tree-head/v1', treeSize: events.length, rootHash: independentRootOf(events) });
    expect(Date.parse(firstHead.issuedAt)).toBeGreaterThanOrEqual(before.rows[0]!.now.getTime() - 1);
    expect(await log.latestTreeHead()).toEqual(firstHead);
    // Nothing new: the same head, not a second one.
    expect(await log.issueTreeHead(() => { throw new Error('no key is needed when nothing changed'); })).toEqual({ status: 'unchanged', head: firstHead });
  });

  it('gives a consistency proof from a kept head to a later one that the offline check accepts', async () => {
    await seal('2026-01', '2026-02-01T00:00:00.000Z');
    await seal('2026-02', '2026-03-01T00:00:00.000Z');
    secondHead = (await log.issueTreeHead(() => privateKey)).head;
    expect(secondHead.treeSize).toBe(firstHead.treeSize + 2);
    expect(secondHead.rootHash).toBe(independentRootOf(await readAllEvents(ledger)));
    const proof = await log.consistencyProof(firstHead.treeSize, secondHead.treeSize);
    expect(proof).toMatchObject({ oldRoot: firstHead.rootHash, newRoot: secondHead.rootHash });
    // Through JSON, as a holder keeps them.
    const kept = (value: unknown) => JSON.parse(JSON.stringify(value));
    expect(checkTreeHeadConsistency({ oldHead: kept(firstHead), newHead: kept(secondHead), proof: kept(proof), publicKeyPem }))
      .toEqual({ ok: true, message: expect.stringContaining('unchanged') });
  });

  it('serves the latest head, consistency and inclusion proofs over HTTP; refuses bad sizes', async () => {
    const server = app.getHttpServer();
    expect((await request(server).get('/v1/tree-heads/latest').expect(200)).body).toEqual(secondHead);
    const consistency = await request(server).get(`/v1/tree-heads/consistency?first=${firstHead.treeSize}&second=${secondHead.treeSize}`).expect(200);
    expect(checkTreeHeadConsistency({ oldHead: firstHead, newHead: secondHead, proof: consistency.body, publicKeyPem }).ok).toBe(true);
    const [event] = await readAllEvents(ledger);
    const inclusion = await request(server).get(`/v1/tree-heads/inclusion?eventId=${event!.eventId}`).expect(200);
    expect(inclusion.body).toMatchObject({ leafIndex: 0, treeSize: secondHead.treeSize, rootHash: secondHead.rootHash });
    expect(verifyInclusion({ leafIndex: 0, treeSize: secondHead.treeSize, leafHash: inclusion.body.leafHash, proof: inclusion.body.proof, root: secondHead.rootHash }))
      .toEqual({ valid: true });
    expect((await request(server).get('/v1/tree-heads/consistency?first=0&second=3').expect(400)).body.code).toBe('validation_failed');
    expect((await request(server).get(`/v1/tree-heads/consistency?first=2&second=${secondHead.treeSize + 1}`).expect(404)).body.code).toBe('proof_unavailable');
    expect((await request(server).get('/v1/tree-heads/inclusion?eventId=not-an-id').expect(400)).body.code).toBe('validation_failed');
    expect((await request(server).get('/v1/tree-heads/inclusion?eventId=00000000-0000-4000-8000-000000000000').expect(404)).body.code).toBe('proof_unavailable');
  });

  it("proves a statement's lines in the latest head, and verify-statement checks them offline", async () => {
    const statement = await buildDeveloperStatement(ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId: BOOKED_LEDGER.developerId, period: '2026-01' });
    statement.transparencyLog = await statementLogProofsOf({ store: ledger.runtime.store, log }, statement);
    const received = JSON.parse(JSON.stringify(statement));
    const report = verifyStatement(received, { publicKeyPem });
    expect(report).toMatchObject({ ok: true, failures: [], transparencyLog: { treeSize: secondHead.treeSize, linesProven: statement.lines.length, linesNotInLog: 0 } });
    expect(statement.lines.length).toBeGreaterThan(0);

    const tampered = JSON.parse(JSON.stringify(statement));
    tampered.transparencyLog.lines[0].leafIndex += 1;
    expect(verifyStatement(tampered, { publicKeyPem }).failures).toEqual([expect.stringMatching(/^transparencyLog\.lines\[0\]: event .* is not proven in the tree head/)]);
    const forged = JSON.parse(JSON.stringify(statement));
    forged.transparencyLog.treeHead.treeSize += 1;
    expect(verifyStatement(forged, { publicKeyPem }).failures).toContain('transparencyLog.treeHead: the Ed25519 signature of the head does not hold');
    const otherKey = publicKeyPemOf(generateKeyPairSync('ed25519').privateKey);
    expect(verifyStatement(received, { publicKeyPem: otherKey }).failures).toContain('transparencyLog.treeHead: signed with another key than the published one');
  });

  it('verifyTreeHeads and verify pass on the untouched ledger', async () => {
    const result = findings();
    expect(await verifyTreeHeads({ store: ledger.runtime.store, pool: ledger.runtime.connection.pool }, result.sink, { publicKeyPem })).toEqual({
      headsChecked: 2, leavesRecomputed: secondHead.treeSize,
    });
    expect([result.failures, result.passes()]).toEqual([[], 2]);
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.find((check) => check.name === TREE_HEAD_CHECK)).toMatchObject({ ok: true, checked: 2 });
  });

  it('detects an event edited in SQL under an issued head, naming the first differing leaf and event', async () => {
    const pool = ledger.runtime.connection.pool;
    const events = await readAllEvents(ledger);
    const target = events[3]!;
    const original = await pool.query('SELECT data::text AS data, metadata::text AS metadata FROM events WHERE event_id = $1', [target.eventId]);
    try {
      // An insider moves the event's booking time, rehashing nothing: hash scheme 2 covers it,
      // so the body no longer gives the signed hash, and the leaf (which binds it) differs.
      await pool.query(`UPDATE events SET metadata = jsonb_set(metadata::jsonb, '{recordedAt}', '"2026-02-20T00:00:00.000Z"')::json WHERE event_id = $1`, [target.eventId]);
      const moved = findings();
      await verifyTreeHeads({ store: ledger.runtime.store, pool }, moved.sink);
      expect(moved.failures).toEqual([
        `leaf 3: ${target.streamName}@${target.streamVersion} ${target.type} (event ${target.eventId}) no longer hashes to the event hash that the tree head of ${firstHead.treeSize} events (issued ${firstHead.issuedAt}) signed: its body was altered`,
        expect.stringContaining(`leaf 3: the log holds event ${target.eventId} there, the events give ${target.streamName}@${target.streamVersion}`),
        expect.stringContaining(`leaf 3: the log holds event ${target.eventId} there, the events give ${target.streamName}@${target.streamVersion}`),
      ]);
      expect(moved.failures[1]).toContain(`tree head of ${firstHead.treeSize} events`);

      // And the body: data edited in place.
      await pool.query('UPDATE events SET metadata = $2::json, data = jsonb_set(data::jsonb, \'{amountMinor}\', \'"1"\')::json WHERE event_id = $1', [target.eventId, original.rows[0].metadata]);
      const edited = findings();
      await verifyTreeHeads({ store: ledger.runtime.store, pool }, edited.sink);
      expect(edited.failures).toEqual([
        `leaf 3: ${target.streamName}@${target.streamVersion} ${target.type} (event ${target.eventId}) no longer hashes to the event hash that the tree head of ${firstHead.treeSize} events (issued ${firstHead.issuedAt}) signed: its body was altered`,
      ]);
      const report = await verifyLedger(ledger.runtime, () => Date.now());
      expect(report.checks.find((check) => check.name === TREE_HEAD_CHECK)).toMatchObject({ ok: false, failures: 1 });
    } finally {
      await pool.query('UPDATE events SET data = $2::json, metadata = $3::json WHERE event_id = $1', [target.eventId, original.rows[0].data, original.rows[0].metadata]);
    }
    const restored = findings();
    await verifyTreeHeads({ store: ledger.runtime.store, pool }, restored.sink);
    expect(restored.failures).toEqual([]);
  });

  it('refuses to sign over a leaf table rewritten under the latest head', async () => {
    const pool = ledger.runtime.connection.pool;
    const original = await pool.query('SELECT leaf_hash FROM transparency_log_leaves WHERE leaf_index = 1');
    await pool.query("UPDATE transparency_log_leaves SET leaf_hash = decode(repeat('ab', 32), 'hex') WHERE leaf_index = 1");
    try {
      await seal('2026-03', '2026-04-01T00:00:00.000Z');
      await expect(log.issueTreeHead(() => privateKey)).rejects.toMatchObject({ code: 'log_rewritten' });
      expect((await log.latestTreeHead())!.treeSize).toBe(secondHead.treeSize);
    } finally {
      await pool.query('UPDATE transparency_log_leaves SET leaf_hash = $1 WHERE leaf_index = 1', [original.rows[0].leaf_hash]);
    }
    expect((await log.issueTreeHead(() => privateKey)).status).toBe('issued');
  });

  it('detects an event deleted under a head (the end of a stream, the streams row fixed)', async () => {
    const pool = ledger.runtime.connection.pool;
    const last = await pool.query(`SELECT stream_name, stream_version, event_id::text AS event_id FROM events WHERE stream_name = $1 ORDER BY stream_version DESC LIMIT 1`, [`developer-${BOOKED_LEDGER.developerId}`]);
    const { stream_name: streamName, stream_version: streamVersion, event_id: eventId } = last.rows[0];
    await pool.query('DELETE FROM events WHERE event_id = $1', [eventId]);
    await pool.query('UPDATE streams SET stream_version = $2 WHERE stream_name = $1', [streamName, Number(streamVersion) - 1]);
    const result = findings();
    await verifyTreeHeads({ store: ledger.runtime.store, pool }, result.sink);
    expect(result.failures.length).toBeGreaterThanOrEqual(1);
    expect(result.failures.join('\n')).toContain(`the log holds event ${eventId}`);
  });
});
