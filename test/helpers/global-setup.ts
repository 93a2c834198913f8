// Runs once before the whole suite: one throwaway PKI (certs/make-dev-certs.sh) for every test file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    certsDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'ihp-certs-'));
  execFileSync(new URL('../../certs/make-dev-certs.sh', import.meta.url).pathname, [dir], { stdio: 'ignore' });
  project.provide('certsDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
