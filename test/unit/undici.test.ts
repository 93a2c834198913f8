// src/upstream/undici.ts imports undici's Pool, Client and request() from their own files instead
// of the package's index (16 instead of 28 MiB of RSS at start-up). These are the checks that make
// that safe: the deep paths are the very objects the index exports (an undici upgrade that moves
// them fails here), and nothing else in src/ loads the index at run time (a type import is erased).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as undici from 'undici';
import { expect, it } from 'vitest';
import { Client, Pool, request } from '../../src/upstream/undici.ts';

it("the deep imports are undici's own Pool, Client and Dispatcher.prototype.request", () => {
  expect(Pool).toBe(undici.Pool);
  expect(Client).toBe(undici.Client);
  // The index adds request() to Dispatcher.prototype (Object.assign(Dispatcher.prototype, api)).
  expect(request).toBe(undici.Dispatcher.prototype.request);
});

it("no module of src/ imports undici's index at run time", () => {
  const root = fileURLToPath(new URL('../../src', import.meta.url));
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [join(dir, entry.name)] : []));
  const offenders = sources(root).filter((file) => /^(?:import|export)\s(?!type\s)[^;]*?\sfrom\s+'undici'/m.test(readFileSync(file, 'utf8')) || /import\(\s*'undici'\s*\)/.test(readFileSync(file, 'utf8')));
  expect(offenders.map((file) => relative(root, file))).toEqual([]);
});
