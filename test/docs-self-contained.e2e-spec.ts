import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseContractTerms, formatMoney, reverseRefund, splitReceipt } from '@rsi/domain';
import { COMMAND_FIELDS, type FieldKind, CONSUMPTION_COMMAND_FIELDS, CONSUMPTION_EXPORTS, DEVELOPER_LEDGER_EXPORTS } from '@rsi/ledger';

/**
 * The repository's documentation stands alone: README.md and docs/ cite nothing outside the
 * repository, every relative link resolves, and the reference parts of the pages that are
 * easy to let drift (JSONL fields, export columns, HTTP routes, the domain's worked
 * examples) agree with the code.
 */
const REPOSITORY_ROOT = path.resolve(__dirname, '..');

// Spelled in pieces so that this file does not itself mention what it forbids.
const DESIGN_FILE_NAME = ['DESIGN', 'md'].join('.');
const FORBIDDEN_IN_DOCUMENTS: readonly string[] = [DESIGN_FILE_NAME, ['..', 'shared'].join('/'), ['', 'work', ''].join('/')];
const SOURCE_FOLDERS: readonly string[] = ['apps', 'libs', 'test', 'bench', 'migrations'];
const SOURCE_FILES_MAXIMUM = 2_000;
const FILE_BYTES_MAXIMUM = 2 * 1024 * 1024;

function relativeToRoot(absolutePath: string): string {
  return path.relative(REPOSITORY_ROOT, absolutePath).split(path.sep).join('/');
}

function filesUnder(folder: string, extension: string): string[] {
  const found: string[] = [];
  const pending = [path.join(REPOSITORY_ROOT, folder)];
  while (pending.length > 0) {
    const directory = pending.pop()!;
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
      const entryPath = path.join(directory, entry.name);
      if (entry.isDirectory()) pending.push(entryPath);
      else if (entry.isFile() && entry.name.endsWith(extension)) found.push(relativeToRoot(entryPath));
    }
    if (found.length > SOURCE_FILES_MAXIMUM) throw new Error(`more than ${SOURCE_FILES_MAXIMUM} files under ${folder}`);
  }
  return found.sort();
}

function readRepositoryFile(relativePath: string): string {
  const absolutePath = path.join(REPOSITORY_ROOT, relativePath);
  if (fs.statSync(absolutePath).size > FILE_BYTES_MAXIMUM) throw new Error(`${relativePath} is larger than ${FILE_BYTES_MAXIMUM} bytes`);
  return fs.readFileSync(absolutePath, 'utf8');
}

const DOCUMENTS: readonly string[] = ['README.md', ...filesUnder('docs', '.md')];

/** The text outside fenced code blocks and inline code, where markdown links live. */
function proseOf(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Inline links `[text](target "title")` and reference definitions `[label]: target`. */
function linkTargetsOf(markdown: string): string[] {
  const prose = proseOf(markdown);
  const targets: string[] = [];
  for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]!);
  for (const match of prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) targets.push(match[1]!);
  return targets;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, -1, -2… for repeats. */
function headingAnchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const match of markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = match[1]!.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = counts.get(base) ?? 0;
    anchors.add(count === 0 ? base : `${base}-${count}`);
    counts.set(base, count + 1);
  }
  return anchors;
}

/** Asserts that a page says `phrase`, whatever the line breaks, without printing the whole page on failure. */
function expectMentions(markdown: string, phrase: string): void {
  const flowing = markdown.replace(/\s+/g, ' ');
  expect({ phrase, found: flowing.includes(phrase) }).toEqual({ phrase, found: true });
}

function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

describe('documentation stands alone', () => {
  it('finds the README and the docs/ pages', () => {
    expect(DOCUMENTS).toContain('README.md');
    expect(DOCUMENTS).toContain('docs/domain.md');
    expect(DOCUMENTS.length).toBeGreaterThan(5);
  });

  it.each(DOCUMENTS)('%s cites no file outside the repository', (document) => {
    const text = readRepositoryFile(document);
    for (const forbidden of FORBIDDEN_IN_DOCUMENTS) expect({ document, mentions: forbidden, found: text.includes(forbidden) }).toEqual({ document, mentions: forbidden, found: false });
  });

  it('package.json and nest-cli.json cite no file outside the repository', () => {
    for (const file of ['package.json', 'nest-cli.json']) {
      const text = readRepositoryFile(file);
      for (const forbidden of FORBIDDEN_IN_DOCUMENTS) expect({ file, mentions: forbidden, found: text.includes(forbidden) }).toEqual({ file, mentions: forbidden, found: false });
    }
  });

  it(`no source file sends its reader to ${DESIGN_FILE_NAME} or to a folder beside the repository`, () => {
    const offenders: string[] = [];
    for (const file of SOURCE_FOLDERS.flatMap((folder) => filesUnder(folder, '.ts'))) {
      const text = readRepositoryFile(file);
      for (const forbidden of FORBIDDEN_IN_DOCUMENTS.slice(0, 2)) if (text.includes(forbidden)) offenders.push(`${file}: ${forbidden}`);
    }
    expect(offenders).toEqual([]);
  });

  it.each(DOCUMENTS)('every relative link of %s resolves inside the repository', (document) => {
    const markdown = readRepositoryFile(document);
    const broken: string[] = [];
    for (const target of linkTargetsOf(markdown)) {
      if (isExternal(target)) continue;
      const [targetPath, anchor] = target.split('#', 2) as [string, string | undefined];
      const resolved = targetPath === '' ? path.join(REPOSITORY_ROOT, document) : path.resolve(path.dirname(path.join(REPOSITORY_ROOT, document)), decodeURIComponent(targetPath));
      const relative = relativeToRoot(resolved);
      if (relative.startsWith('../') || path.isAbsolute(relative)) { broken.push(`${target}: outside the repository`); continue; }
      if (!fs.existsSync(resolved)) { broken.push(`${target}: no such file`); continue; }
      if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && !headingAnchorsOf(fs.readFileSync(resolved, 'utf8')).has(anchor)) {
        broken.push(`${target}: no heading #${anchor}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('reference pages agree with the code', () => {
  it('docs/cli.md lists every JSONL command with exactly the fields the parser accepts', () => {
    const cli = readRepositoryFile('docs/cli.md');
    const section = cli.slice(cli.indexOf('## JSONL commands'));
    const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    const documented: Record<string, string[]> = {};
    for (const line of block!.split('\n').filter((line) => line.trim() !== '')) {
      const match = /^(\w+)\s+\{(.*)\}$/.exec(line.trim());
      expect({ line, matches: match !== null }).toEqual({ line, matches: true });
      // Top-level fields only: a nested shape such as `meters: {NAME: {…}}` names `meters`.
      const topLevel = match![2]!.replace(/\{[^{}]*\}/g, '').replace(/\{[^{}]*\}/g, '');
      documented[match![1]!] = topLevel.split(',').map((field) => field.trim().replace(/:.*$/, '')).filter((field) => field !== '').sort();
    }
    const fieldsOf = (fields: Record<string, FieldKind>) => Object.entries(fields)
      .map(([field, kind]) => (kind === 'optional-text' ? `${field}?` : field)).sort();
    const expected: Record<string, string[]> = {};
    for (const [type, fields] of Object.entries({ ...COMMAND_FIELDS, ...CONSUMPTION_COMMAND_FIELDS })) expected[type] = fieldsOf(fields);
    expect(documented).toEqual(expected);
  });

  it('docs/cli.md lists every export with its columns in order', () => {
    const cli = readRepositoryFile('docs/cli.md');
    const section = cli.slice(cli.indexOf('## Exports'));
    const documented: Record<string, string[]> = {};
    for (const match of section.matchAll(/^\| `([a-z-]+)` \|[^\n]*\| `([^`]+)`[^|\n]*\|$/gm)) {
      documented[match[1]!] = match[2]!.split(',').map((column) => column.trim());
    }
    const expected: Record<string, string[]> = {};
    for (const [name, definition] of Object.entries({ ...DEVELOPER_LEDGER_EXPORTS, ...CONSUMPTION_EXPORTS })) expected[name] = definition.columns;
    expect(documented).toEqual(expected);
  });

  it('docs/http-api.md documents every route the controllers define', () => {
    const httpApi = readRepositoryFile('docs/http-api.md');
    const routes: string[] = [];
    for (const file of filesUnder('apps/api/src', '.controller.ts')) {
      const source = readRepositoryFile(file);
      const prefix = /@Controller\('([^']*)'\)/.exec(source)?.[1];
      expect({ file, prefix }).toEqual({ file, prefix: expect.any(String) });
      for (const match of source.matchAll(/@(Get|Post|Put|Patch|Delete)\((?:'([^']*)')?\)/g)) {
        const routePath = ['', prefix!, match[2] ?? ''].filter((part, index) => index === 0 || part !== '').join('/');
        routes.push(`${match[1]!.toUpperCase()} ${routePath}`);
      }
    }
    expect(routes.length).toBeGreaterThan(10);
    const undocumented = routes.filter((route) => !httpApi.includes(`\`${route}`));
    expect(undocumented).toEqual([]);
  });

  it('the contract example of docs/domain.md parses, and its split and refund examples are what the rules give', () => {
    const domain = readRepositoryFile('docs/domain.md');
    const example = /## Contract terms[\s\S]*?```jsonc\n([\s\S]*?)```/.exec(domain)?.[1];
    expect(example).toBeDefined();
    // Drop `// …` comments; the example has no "//" inside its strings.
    const terms = parseContractTerms(JSON.parse(example!.replace(/\s*\/\/[^\n]*/g, '')));
    expect(terms.carveOuts.map((carveOut) => carveOut.party)).toEqual(['provider:acme-models', 'referrer:lagos-hub']);

    // The split example: a receipt of 100.00 when C = 999,950.00, the cap not reached.
    const split = splitReceipt({ terms, developerId: 'dev-1', basisMinor: 10_000n, tierCounterMinor: 99_995_000n, capUsageMinor: 0n });
    const splitAmounts = split.lines.map((line) => formatMoney(line.amountMinor, 'USD'));
    expect(splitAmounts).toEqual(['2.63', '1.12', '1.00', '95.25']);
    expect(formatMoney(split.platformShareMinor, 'USD')).toBe('3.75');
    expectMentions(domain, `the platform 3.75 − 1.12 = ${splitAmounts[0]}`);
    expectMentions(domain, `(lines ${splitAmounts.join(', ')};`);

    // The refund example: 33.33 against that receipt.
    const reversal = reverseRefund({ remainingLines: split.lines, refundMinor: 3_333n });
    const reversalAmounts = reversal.map((line) => formatMoney(line.amountMinor, 'USD'));
    expectMentions(domain, `(.6579): ${reversalAmounts.join(', ')}.`);
  });
});
