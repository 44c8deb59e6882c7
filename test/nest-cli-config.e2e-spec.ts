import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * nest-cli.json describes the monorepo to NestJS tooling. It must tell the truth: every
 * project it lists exists with its entry file, and every folder under apps/ and libs/ is
 * listed. (The build itself is `tsc -p tsconfig.build.json`; @nestjs/cli is not a
 * dependency, so nothing else would notice a project that went missing.)
 */
const REPOSITORY_ROOT = path.resolve(__dirname, '..');

type NestProject = { type?: unknown; root?: unknown; sourceRoot?: unknown; entryFile?: unknown };
type NestCliConfiguration = {
  monorepo?: unknown;
  root?: unknown;
  sourceRoot?: unknown;
  compilerOptions?: { tsConfigPath?: unknown };
  projects?: Record<string, NestProject>;
};

function readConfiguration(): NestCliConfiguration {
  return JSON.parse(fs.readFileSync(path.join(REPOSITORY_ROOT, 'nest-cli.json'), 'utf8')) as NestCliConfiguration;
}

function expectString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${what} must be a non-empty string`);
  return value;
}

function isDirectory(relativePath: string): boolean {
  return fs.statSync(path.join(REPOSITORY_ROOT, relativePath), { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function isFile(relativePath: string): boolean {
  return fs.statSync(path.join(REPOSITORY_ROOT, relativePath), { throwIfNoEntry: false })?.isFile() ?? false;
}

const configuration = readConfiguration();
const projects = Object.entries(configuration.projects ?? {});

describe('nest-cli.json', () => {
  it('is a monorepo configuration whose compiler tsconfig exists', () => {
    expect(configuration.monorepo).toBe(true);
    expect(isFile(expectString(configuration.compilerOptions?.tsConfigPath, 'compilerOptions.tsConfigPath'))).toBe(true);
    expect(projects.length).toBeGreaterThan(0);
  });

  it('names a default project (root, sourceRoot) that is one of its projects', () => {
    const root = expectString(configuration.root, 'root');
    const sourceRoot = expectString(configuration.sourceRoot, 'sourceRoot');
    expect(isDirectory(root)).toBe(true);
    expect(isDirectory(sourceRoot)).toBe(true);
    expect(projects.some(([, project]) => project.root === root && project.sourceRoot === sourceRoot)).toBe(true);
  });

  it.each(projects)('project %s: root, sourceRoot and entry file exist', (name, project) => {
    expect(['application', 'library']).toContain(project.type);
    const root = expectString(project.root, `${name}.root`);
    const sourceRoot = expectString(project.sourceRoot, `${name}.sourceRoot`);
    const entryFile = expectString(project.entryFile, `${name}.entryFile`);
    expect(isDirectory(root)).toBe(true);
    expect(isDirectory(sourceRoot)).toBe(true);
    expect(sourceRoot.startsWith(`${root}/`)).toBe(true);
    // Nest resolves the entry file as `<sourceRoot>/<entryFile>.ts`.
    expect(isFile(`${sourceRoot}/${entryFile}.ts`)).toBe(true);
  });

  it('lists every folder under apps/ and libs/ that Nest builds', () => {
    const listedRoots = new Set(projects.map(([, project]) => project.root));
    // The web client (apps/web) is built by Vite, not by Nest: the server build excludes it.
    const buildExcludes = (JSON.parse(fs.readFileSync(path.join(REPOSITORY_ROOT, 'tsconfig.build.json'), 'utf8')) as { exclude: string[] }).exclude;
    expect(buildExcludes).toContain('apps/web');
    const folders = ['apps', 'libs'].flatMap((parent) => fs.readdirSync(path.join(REPOSITORY_ROOT, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`))
      .filter((folder) => !buildExcludes.includes(folder));
    expect(folders.length).toBeGreaterThan(0);
    expect(folders.filter((folder) => !listedRoots.has(folder))).toEqual([]);
  });

  it('marks as application only projects whose entry file starts a program', () => {
    // An application's entry is what `nest start` would run; apps/api is started by the
    // CLI's `serve` and has no program of its own, so it is listed as a library.
    for (const [name, project] of projects) {
      if (project.type !== 'application') continue;
      const entryPath = `${expectString(project.sourceRoot, `${name}.sourceRoot`)}/${expectString(project.entryFile, `${name}.entryFile`)}.ts`;
      expect(fs.readFileSync(path.join(REPOSITORY_ROOT, entryPath), 'utf8')).toMatch(/\.parseAsync\(|\.listen\(/);
    }
  });
});
