// What every benchmark script stands on: the dev certificates (and HAProxy's bundle of the proxy's
// certificate and key) and the fake coordinators, started once per script.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Child } from './children.ts';
import type { Certificates, Coordinators } from './targets.ts';

/** Makes the dev certificates in `certificateDirectory` (certs/make-dev-certs.sh) and the bundle HAProxy reads. */
export function makeCertificates(certificateDirectory: string): Certificates {
  execFileSync('bash', ['certs/make-dev-certs.sh', certificateDirectory], { stdio: 'ignore' });
  const certificates = {
    certFile: join(certificateDirectory, 'proxy.pem'),
    keyFile: join(certificateDirectory, 'proxy-key.pem'),
    bundleFile: join(certificateDirectory, 'proxy-bundle.pem'),
  };
  writeFileSync(certificates.bundleFile, readFileSync(certificates.certFile, 'utf8') + readFileSync(certificates.keyFile, 'utf8'));
  return certificates;
}

/** Two fake coordinators (bench/fake-coordinator.ts) with the certificates of makeCertificates; resolves with their ports. */
export async function startFakeCoordinators(certificateDirectory: string): Promise<{ child: Child; ports: Coordinators }> {
  const child = new Child('fake-coordinators', process.execPath, ['bench/fake-coordinator.ts', '2', join(certificateDirectory, 'coordinator.pem'), join(certificateDirectory, 'coordinator-key.pem')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.process.stdout! });
  const [line] = (await Promise.race([once(lines, 'line'), once(child.process, 'exit').then(() => { throw new Error(`fake coordinators exited: ${child.stderrTail}`); })])) as [string];
  lines.close();
  return { child, ports: JSON.parse(line) as Coordinators };
}
