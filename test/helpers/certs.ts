import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/** Directory of the suite's throwaway PKI (see certs/make-dev-certs.sh for the file names). */
export const certsDir: string = inject('certsDir');

export function certPath(name: string): string {
  return join(certsDir, name);
}

export function readCert(name: string): Buffer {
  return readFileSync(certPath(name));
}
