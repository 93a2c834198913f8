// Keeps examples/proxy.yaml honest: it must validate, spell out every defaulted option with its
// default value and a comment, and mention every option of the schema (optional ones as
// commented-out lines), so adding an option without documenting it fails here.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Document, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { validateConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';

const examplePath = new URL('../../examples/proxy.yaml', import.meta.url).pathname;
const text = readFileSync(examplePath, 'utf8');
const secretVariable = 'IMPALA_HA_PROXY_COOKIE_SECRET';

/** Key paths of every pair in a YAML document, with `[]` for sequence items: `coordinators[].name`. */
function documentKeyPaths(document: Document): Set<string> {
  const paths = new Set<string>();
  visit(document, {
    Pair(_, pair, ancestors) {
      let path = '';
      for (const node of ancestors) {
        if (isPair(node) && isScalar(node.key)) path += `${path ? '.' : ''}${String(node.key.value)}`;
        else if (isSeq(node)) path += '[]';
      }
      if (isScalar(pair.key)) paths.add(`${path ? `${path}.` : ''}${String(pair.key.value)}`);
    },
  });
  return paths;
}

/** Leaf paths of a validated config: objects are walked, arrays of objects become `[]`. */
function leafPaths(value: unknown, path = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value) && value.length > 0 && value.every((item) => item !== null && typeof item === 'object')) {
    for (const item of value) leafPaths(item, `${path}[]`, out);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leafPaths(child, path ? `${path}.${key}` : key, out);
  } else {
    out.add(path);
  }
  return out;
}

/** Every option the schema knows, set or not (a secret is one option, whatever its form). */
function schemaPaths(schema: z.ZodType, path = '', out = new Set<string>()): Set<string> {
  const def = (schema as unknown as { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType } }).def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
      return schemaPaths(def.innerType!, path, out);
    case 'object':
      for (const [key, child] of Object.entries(def.shape!)) schemaPaths(child, path ? `${path}.${key}` : key, out);
      return out;
    case 'array':
      if (schemaPaths(def.element!, '', new Set()).has('')) out.add(path);
      else schemaPaths(def.element!, `${path}[]`, out);
      return out;
    default:
      out.add(path);
      return out;
  }
}

/** The example with its commented-out option lines (`# key: …` at the option's indentation) enabled. */
function uncommented(source: string): string {
  return source.replace(/^(\s*)# (\s*[A-Za-z][A-Za-z0-9]*:(?:\s|$))/gm, '$1$2');
}

let previousSecret: string | undefined;
beforeAll(() => {
  previousSecret = process.env[secretVariable];
  process.env[secretVariable] = 'example-secret';
});
afterAll(() => {
  if (previousSecret === undefined) delete process.env[secretVariable];
  else process.env[secretVariable] = previousSecret;
});

describe('examples/proxy.yaml', () => {
  const document = parseDocument(text, { uniqueKeys: true });

  it('is valid YAML and a valid config (tls paths are not read while validating)', () => {
    expect(document.errors).toEqual([]);
    const config = validateConfig(document.toJS());
    expect(config.coordinators.map((c) => [c.name, c.host])).toEqual([
      ['impalad-1', 'impalad-1.example.com'],
      ['impalad-2', 'impalad-2.example.com'],
      ['impalad-3', 'impalad-3.example.com'],
    ]);
    expect(config.cookie.secrets).toEqual(['example-secret']);
  });

  it('sets every defaulted option explicitly', () => {
    const present = documentKeyPaths(document);
    const missing = [...leafPaths(validateConfig(document.toJS()))].filter((path) => !present.has(path));
    expect(missing).toEqual([]);
  });

  it('shows the default value of every option it sets (except the required ones and the secret)', () => {
    const config = validateConfig(document.toJS());
    // Coordinators and TCP listeners are lists the operator writes: only their required keys are kept.
    const defaults = validateConfig({
      coordinators: config.coordinators.map(({ name, host }) => ({ name, host })),
      tcp: config.tcp.map(({ name, port, coordinatorPort }, i) => ({ name, port, ...(i > 0 && { coordinatorPort }) })),
      tls: { certFile: config.tls!.certFile, keyFile: config.tls!.keyFile },
    });
    expect({ ...config, cookie: { ...config.cookie, secrets: [] } }).toEqual(defaults);
  });

  it('mentions every option of the schema, optional ones as commented-out lines', () => {
    const enabled = parseDocument(uncommented(text), { uniqueKeys: false });
    expect(enabled.errors).toEqual([]);
    const present = documentKeyPaths(enabled);
    const all = schemaPaths(configSchema);
    expect(all.size).toBeGreaterThan(50);
    expect([...all].filter((path) => !present.has(path))).toEqual([]);
  });

  it('comments every option line', () => {
    const lines = text.split('\n');
    const uncommentedLines = lines.map((line) => line.replace(/^(\s*)# (\s*[A-Za-z][A-Za-z0-9]*:(?:\s|$))/, '$1$2'));
    const bare = uncommentedLines.flatMap((line, i) => {
      // An option with an inline value (`key: value` or a `- { … }` item) needs a comment on its line or the line above.
      if (!/^\s*(?:- )?(?:[A-Za-z][A-Za-z0-9]*: \S|\{)/.test(line)) return [];
      const hasOwnComment = / # /.test(line) || line.trimStart().startsWith('#');
      const previous = lines[i - 1]?.trim() ?? '';
      return hasOwnComment || (previous.startsWith('#') && !/^# ?\s*[A-Za-z][A-Za-z0-9]*:/.test(previous)) ? [] : [`${i + 1}: ${line.trim()}`];
    });
    expect(bare).toEqual([]);
  });
});
