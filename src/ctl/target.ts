// Where `ctl` finds the admin API and its token. Each of the two is taken from the first of: its
// flag (--admin, --token), the proxy's config file (--config: admin.host/port/token), the
// environment (IMPALA_HA_PROXY_ADMIN, IMPALA_HA_PROXY_ADMIN_TOKEN), the default
// (http://127.0.0.1:9090, no token). An explicit flag beats an ambient variable.
//
// Only the `admin` section of the config file is read and validated, with the proxy's own schema:
// an operator's shell rarely has the proxy's other secrets (a cookie secret from an environment
// variable the service manager sets), and ctl needs none of them.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { formatPath } from '../config/load.ts';
import { configSchema } from '../config/schema.ts';
import { hostForUrl } from '../url-host.ts';
import { CtlError, exitCodes } from './errors.ts';

export const adminUrlVariable = 'IMPALA_HA_PROXY_ADMIN';
export const adminTokenVariable = 'IMPALA_HA_PROXY_ADMIN_TOKEN';
export const defaultAdminUrl = 'http://127.0.0.1:9090';

export interface AdminTarget {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:9090 */
  readonly url: string;
  readonly token: string | undefined;
  /** Where the token came from, for the 401 message. */
  readonly tokenSource: string | undefined;
}

export interface TargetInputs {
  readonly adminFlag?: string | undefined;
  readonly tokenFlag?: string | undefined;
  readonly configFile?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

export function resolveTarget(inputs: TargetInputs): AdminTarget {
  const fromFile = inputs.configFile === undefined ? undefined : readAdminSection(inputs.configFile);
  const urlText = inputs.adminFlag ?? fromFile?.url ?? nonEmpty(inputs.env[adminUrlVariable]) ?? defaultAdminUrl;
  const [token, tokenSource] =
    inputs.tokenFlag !== undefined ? [inputs.tokenFlag, '--token']
    : fromFile?.token !== undefined ? [fromFile.token, `admin.token in ${inputs.configFile}`]
    : nonEmpty(inputs.env[adminTokenVariable]) !== undefined ? [inputs.env[adminTokenVariable], adminTokenVariable]
    : [undefined, undefined];
  return { url: normalizeUrl(urlText), token, tokenSource };
}

/** `http://host:port[/]`, or a bare `host:port`; anything else is a usage error. */
export function normalizeUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CtlError(exitCodes.usage, `not an admin address: "${text}" (expected e.g. http://127.0.0.1:9090)`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new CtlError(exitCodes.usage, `not an admin address: "${text}" (expected e.g. http://127.0.0.1:9090)`);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** admin.host/port/token of a proxy config file, validated by the proxy's schema. */
function readAdminSection(path: string): { url: string; token: string | undefined } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CtlError(exitCodes.usage, `--config ${path}: cannot read file: ${(error as Error).message}`);
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) throw new CtlError(exitCodes.usage, `--config ${path}: YAML: ${document.errors[0]!.message.split('\n')[0]}`);
  const root: unknown = document.toJS();
  const section = root !== null && typeof root === 'object' ? (root as Record<string, unknown>).admin : undefined;
  const result = configSchema.shape.admin.safeParse(withTokenFileBesideConfig(section, path));
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(['admin', ...issue.path])}: ${issue.message}`);
    throw new CtlError(exitCodes.usage, `--config ${path}: ${problems.join('; ')}`);
  }
  const admin = result.data;
  if (admin === null) throw new CtlError(exitCodes.usage, `--config ${path}: the admin listener is off (admin: null), so there is nothing to talk to`);
  return { url: `http://${hostForUrl(admin.host)}:${admin.port}`, token: admin.token };
}

/** A relative `token: { file: … }` names a file next to the config file, as the proxy reads it. */
function withTokenFileBesideConfig(section: unknown, configPath: string): unknown {
  if (section === null || typeof section !== 'object') return section;
  const token = (section as { token?: unknown }).token;
  if (token === null || typeof token !== 'object' || typeof (token as { file?: unknown }).file !== 'string') return section;
  const file = (token as { file: string }).file;
  return isAbsolute(file) ? section : { ...section, token: { ...token, file: resolve(dirname(configPath), file) } };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
