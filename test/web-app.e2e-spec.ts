/**
 * The web application in a real browser: Debian's Chromium driven by playwright-core (no
 * browser download), against the built CLI's `serve` on a real database loaded with a small
 * platform (three months of receipts, refunds and payouts; January and February sealed).
 *
 * A developer signs in and sees balances equal to the API's and no one else's; opens a
 * sealed statement, presses Verify and reads "valid" (the check runs in the page, with the
 * same verifier as `verify-statement`); the same statement altered by one cent reads "not
 * valid"; finance and auditor pages open for their roles and are refused to a developer;
 * finance's platform-share chart is drawn with the figures of the `platform-share` export;
 * and no request of the page leaves this server.
 *
 * Skipped, visibly, when /usr/bin/chromium is missing (`apt-get install -y chromium`).
 * With RSI_SCREENSHOTS_DIRECTORY set, saves a screenshot of each page there (docs/screenshots).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { openLedgerContext, publicKeyPemOf, readOrCreateSealPrivateKey, sealPeriod } from '@rsi/ledger';
import { bookThreeMonths, BOOKED_LEDGER } from './support/booked-ledger';
import { runCli, type CliExit } from './support/cli-process';
import { createFreshDatabase, type FreshDatabase } from './support/test-ledger';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGUMENTS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];
const chromiumMissing = !fs.existsSync(CHROMIUM_PATH);
const SKIP_REASON = `skipped: the web application test needs Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
if (chromiumMissing) console.warn(SKIP_REASON);
const describeWithBrowser = chromiumMissing ? describe.skip : describe;

const OPERATOR_SECRET = 'web-test-operator-secret-0123456789';
const SCREENSHOTS_DIRECTORY = process.env.RSI_SCREENSHOTS_DIRECTORY?.trim() || null;
const WAIT_MILLISECONDS = 20_000;

type Server = { origin: string; stop(): Promise<CliExit> };

async function startServe(environment: NodeJS.ProcessEnv, dataDirectory: string | undefined): Promise<Server> {
  const { child, finished } = runCli([...(dataDirectory === undefined ? [] : ['--data-dir', dataDirectory]), 'serve', '--port', '0', '--host', '127.0.0.1'], environment);
  let output = '';
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void finished.then((exit) => reject(new Error(`serve exited (${exit.code}): ${exit.stderr}`)));
  });
  return {
    origin,
    async stop() {
      child.kill('SIGTERM');
      return finished;
    },
  };
}

describeWithBrowser('web application (Chromium, real serve, real database)', () => {
  let database: FreshDatabase;
  let server: Server;
  let browser: Browser;
  let keyDirectory: string;
  const secrets = new Map<string, string>();
  const requestsElsewhere: string[] = [];

  const api = async (method: string, route: string, secret: string, body?: unknown) => {
    const response = await fetch(`${server.origin}${route}`, {
      method, headers: { 'X-Api-Key': secret, 'Content-Type': 'application/json', 'Idempotency-Key': `${method}-${route}-${Math.random()}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  };

  /** A fresh page signed in with `secret` (a new context: its own session storage). */
  const signedIn = async (secret: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(`${server.origin}/`) && !url.startsWith('blob:') && !url.startsWith('data:')) requestsElsewhere.push(url);
    });
    await page.goto(`${server.origin}/`);
    await page.fill('#api-key', secret);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who]', { timeout: WAIT_MILLISECONDS });
    return page;
  };

  const screenshot = async (page: Page, name: string) => {
    if (SCREENSHOTS_DIRECTORY === null) return;
    fs.mkdirSync(SCREENSHOTS_DIRECTORY, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS_DIRECTORY, `${name}.png`), fullPage: false });
  };

  beforeAll(async () => {
    database = await createFreshDatabase({});
    keyDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-web-key-'));
    const sealKeyFile = path.join(keyDirectory, 'seal-private-key.pem');
    const { privateKey } = readOrCreateSealPrivateKey(sealKeyFile);
    expect(publicKeyPemOf(privateKey)).toContain('PUBLIC KEY');
    const ledger = await openLedgerContext({ ...database.ledgerOptions, bookingTime: 'requested' });
    try {
      await bookThreeMonths(ledger.runtime);
      for (const [period, sealedAt] of [['2026-01', '2026-02-01T00:00:00.000Z'], ['2026-02', '2026-03-01T00:00:00.000Z']] as const) {
        await sealPeriod(ledger.runtime.store, { period, sealedAt, signingKey: () => privateKey, actor: 'test:seal' });
      }
    } finally {
      await ledger.close();
    }
    const environment: NodeJS.ProcessEnv = {
      ...(database.ledgerOptions.environment ?? process.env), RSI_API_KEYS: `ops:${OPERATOR_SECRET}`, RSI_SEAL_PRIVATE_KEY_FILE: sealKeyFile,
      RSI_API_LOG: 'quiet', RSI_TREE_HEAD_INTERVAL_SECONDS: '0',
    };
    server = await startServe(environment, database.dataDirectory);
    for (const [name, body] of [
      ['ada', { role: 'developer', developerId: BOOKED_LEDGER.developerId }], ['bea', { role: 'developer', developerId: BOOKED_LEDGER.otherDeveloperId }],
      ['finance', { role: 'finance' }], ['auditor', { role: 'auditor' }],
    ] as const) {
      const issued = await api('POST', '/v1/keys', OPERATOR_SECRET, body);
      expect(issued.status).toBe(201);
      secrets.set(name, (JSON.parse(issued.text) as { secret: string }).secret);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGUMENTS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await database?.drop();
    if (keyDirectory) fs.rmSync(keyDirectory, { recursive: true, force: true });
  });

  it('serves the application and its assets from this server under a self-only Content-Security-Policy', async () => {
    const response = await fetch(`${server.origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect(asset.startsWith('/assets/')).toBe(true);
      expect((await fetch(`${server.origin}${asset}`)).status).toBe(200);
    }
  });

  it('shows a developer its own balances, equal to the API\'s, and refuses another developer\'s (UI and API)', async () => {
    const page = await signedIn(secrets.get('ada')!);
    expect(await page.textContent('[data-testid=who]')).toContain(`developer · ${BOOKED_LEDGER.developerId}`);
    await page.waitForSelector('[data-testid=balances] [data-currency=USD]', { timeout: WAIT_MILLISECONDS });
    const fromApi = JSON.parse((await api('GET', `/v1/developers/${BOOKED_LEDGER.developerId}/balances`, secrets.get('ada')!)).text) as {
      balances: { currency: string; available: string; pending: string; payoutsInFlight: string; paid: string }[];
    };
    const usd = fromApi.balances.find((balance) => balance.currency === 'USD')!;
    for (const field of ['available', 'pending', 'payoutsInFlight', 'paid'] as const) {
      expect(await page.getAttribute(`[data-currency=USD] [data-field=${field}] .amount`, 'data-amount')).toBe(usd[field]);
    }
    await page.waitForSelector('[data-chart="credits refunds payouts"] canvas', { timeout: WAIT_MILLISECONDS });
    // February as the statement tells it: +24.00 credited (r3), 8.00 refunded (f1), 30.00 paid out (p1).
    const activity = JSON.parse((await page.getAttribute('[data-chart="credits refunds payouts"]', 'data-figures'))!) as { month: string; credits: string; refunds: string; payouts: string }[];
    expect(activity.find((row) => row.month === '2026-02')).toMatchObject({ credits: '24.00', refunds: '8.00', payouts: '30.00' });
    await screenshot(page, 'developer-portal');

    // The API refuses the same (the key the page holds, asking for the other developer).
    const other = await api('GET', `/v1/developers/${BOOKED_LEDGER.otherDeveloperId}/balances`, secrets.get('ada')!);
    expect([403, 404]).toContain(other.status);
    await page.goto(`${server.origin}/#/finance`);
    await page.waitForSelector('[data-testid=refused]', { timeout: WAIT_MILLISECONDS });
    await page.goto(`${server.origin}/#/auditor`);
    await page.waitForSelector('[data-testid=refused]', { timeout: WAIT_MILLISECONDS });
    expect([403, 404]).toContain((await api('GET', '/v1/exports/platform-share?format=jsonl', secrets.get('ada')!)).status);
    await page.context().close();
  }, 120_000);

  it('opens a sealed statement as a document and Verify reads "valid"; altered by one cent it reads "not valid"', async () => {
    const page = await signedIn(secrets.get('ada')!);
    await page.goto(`${server.origin}/#/statements/2026-02`);
    await page.waitForSelector('text=Statement 2026-02', { timeout: WAIT_MILLISECONDS });
    // Per-app totals and the late receipt (booked in February, occurred in January) with both dates.
    expect(await page.textContent('section[aria-label="Per app"]')).toContain('ada-chat');
    expect(await page.locator('tr.late').count()).toBeGreaterThan(0);
    // By keyboard alone: Tab to the Verify button, Enter.
    let focused = '';
    for (let presses = 0; presses < 40 && focused !== 'Verify'; presses += 1) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate('document.activeElement ? document.activeElement.textContent : ""') as string;
    }
    expect(focused).toBe('Verify');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-verdict]', { timeout: WAIT_MILLISECONDS });
    expect(await page.getAttribute('[data-verdict]', 'data-verdict')).toBe('valid');
    await screenshot(page, 'statement');
    // At phone width the page does not scroll sideways (wide tables scroll inside their panel).
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await page.context().close();

    const tampered = await signedIn(secrets.get('ada')!);
    await tampered.route('**/v1/developers/*/statements/2026-02?format=json', async (route) => {
      const response = await route.fetch();
      const statement = await response.json() as { lines: { kind: string; amount: string }[] };
      const line = statement.lines.find((candidate) => candidate.kind === 'receipt_credit')!;
      const [whole, cents] = line.amount.split('.') as [string, string];
      const altered = BigInt(whole + cents) + 1n;
      line.amount = `${altered / 100n}.${String(altered % 100n).padStart(2, '0')}`;
      await route.fulfill({ response, json: statement });
    });
    await tampered.goto(`${server.origin}/#/statements/2026-02`);
    await tampered.waitForSelector('text=Statement 2026-02', { timeout: WAIT_MILLISECONDS });
    await tampered.click('button:has-text("Verify")');
    await tampered.waitForSelector('[data-verdict]', { timeout: WAIT_MILLISECONDS });
    expect(await tampered.getAttribute('[data-verdict]', 'data-verdict')).toBe('not valid');
    await tampered.context().close();

    const unsealed = await signedIn(secrets.get('ada')!);
    await unsealed.goto(`${server.origin}/#/statements/2026-03`);
    await unsealed.waitForSelector('text=Statement 2026-03', { timeout: WAIT_MILLISECONDS });
    await unsealed.click('button:has-text("Verify")');
    await unsealed.waitForSelector('[data-verdict]', { timeout: WAIT_MILLISECONDS });
    expect(await unsealed.getAttribute('[data-verdict]', 'data-verdict')).toBe('not yet sealed');
    await unsealed.context().close();
  }, 120_000);

  it('draws finance\'s platform-share chart with the figures of the platform-share export, and answers the what-if form', async () => {
    const exported = (await api('GET', '/v1/exports/platform-share?format=jsonl', secrets.get('finance')!)).text
      .split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { currency: string; month: string; party: string; net: string });
    const platformByMonth = new Map<string, bigint>();
    for (const row of exported.filter((candidate) => candidate.party === 'platform' && candidate.currency === 'USD')) {
      platformByMonth.set(row.month, (platformByMonth.get(row.month) ?? 0n) + BigInt(row.net.replace('.', '')));
    }
    expect(platformByMonth.size).toBeGreaterThan(0);
    const page = await signedIn(secrets.get('finance')!);
    await page.waitForSelector('[data-chart="platform share USD"] canvas', { timeout: WAIT_MILLISECONDS });
    const drawn = JSON.parse((await page.getAttribute('[data-chart="platform share USD"]', 'data-figures'))!) as { month: string; platformShare: string }[];
    expect(new Map(drawn.filter((row) => !/^[0.]+$/.test(row.platformShare)).map((row) => [row.month, BigInt(row.platformShare.replace('.', ''))]))).toEqual(platformByMonth);
    // GMV comes from the unit-economics export: the take rate is platform share ÷ gross, not 100 %.
    await page.waitForFunction('!document.querySelector(\'[data-testid="take-rate-USD"]\').textContent.startsWith("100")', undefined, { timeout: WAIT_MILLISECONDS });
    await screenshot(page, 'finance-dashboard');
    // The what-if form: other terms for ada-chat, recorded and what-if side by side.
    await page.setInputFiles('input[type=file]', {
      name: 'terms.json', mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ currency: 'USD', effectiveFrom: '2026-06-01T00:00:00Z', platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '10.00' })),
    });
    await page.fill('form:has(button:has-text("Compare")) input:not([type])', 'ada-chat');
    await page.click('button:has-text("Compare")');
    await page.waitForSelector('[data-testid=what-if-report] tbody tr', { timeout: WAIT_MILLISECONDS });
    expect(await page.textContent('[data-testid=what-if-report]')).toContain('platform');
    await page.context().close();
  }, 120_000);

  it('opens the auditor\'s desk for an auditor: the seals timeline, a stream\'s events with their chain, a verify run and its report', async () => {
    const page = await signedIn(secrets.get('auditor')!);
    await page.waitForSelector('[data-testid=seal-timeline] li', { timeout: WAIT_MILLISECONDS });
    expect(await page.locator('[data-testid=seal-timeline] li').count()).toBe(2);
    await page.fill('input[placeholder="developer-dev_1"]', `developer-${BOOKED_LEDGER.developerId}`);
    await page.click('button:has-text("Open")');
    await page.waitForSelector('[data-testid=stream-events] tbody tr', { timeout: WAIT_MILLISECONDS });
    expect(await page.locator('[data-chain=linked]').count()).toBe(await page.locator('[data-testid=stream-events] tbody tr').count());
    expect(await page.locator('[data-testid=stream-events] >> text=does not hold').count()).toBe(0);
    await page.click('button:has-text("Start verify")');
    await page.waitForSelector('[data-testid=verify-report][data-status=finished]', { timeout: 60_000 });
    expect(await page.getAttribute('[data-testid=verify-report]', 'data-ok')).toBe('true');
    await screenshot(page, 'auditor-desk');
    await page.context().close();
  }, 120_000);

  it('sent no request anywhere but this server', () => {
    expect(requestsElsewhere).toEqual([]);
  });
});
