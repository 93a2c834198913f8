// Writes a coordinator's web UI response to the client. http-proxy runs none of its outgoing passes
// with `selfHandleResponse: true` (research/aesthetics.md §6.2 P10), so the whole head is ours:
// status, headers minus hop-by-hop, Location and Set-Cookie rewritten, invalid header values
// skipped instead of thrown (P12, node-http-proxy#964). Bodies stream untouched, except HTML and
// CSS: a root-absolute `url(/www/…)` in a stylesheet resolves against the origin and would leave
// the prefix (research/impala-protocol.md §4 "CSS url(/www/…) if any").
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { brotliDecompress, gunzip, inflate, type InputType, type ZlibOptions } from 'node:zlib';
import { cutWhenClientStalls } from '../http/drain-watch.ts';
import { connectionListed, isHopByHop } from '../http/headers.ts';
import type { IdleWatch } from '../http/idle-watch.ts';
import { respondText } from '../http/respond.ts';
import type { Logger } from '../log.ts';
import { hasRewritableLocation, type UiRewriter } from './rewrite.ts';

/**
 * HTML and CSS are rewritten whole, so they are buffered, up to this many bytes (compressed and
 * again decompressed). impalad's pages are small (a /queries page with the default 100 completed
 * queries is tens of KiB); a larger one is streamed unmodified rather than held in memory.
 * Rewriting runs at 120-300 MiB/s (Node 24.21, 2 cores), so a page at the cap holds the event
 * loop for roughly 30-70 ms.
 */
export const maxHtmlBytes = 8 * 1024 * 1024;

type Decompress = (buffer: InputType, options: ZlibOptions, callback: (error: Error | null, result: Buffer) => void) => void;
const decoders = new Map<string, Decompress>([
  ['gzip', gunzip],
  ['x-gzip', gunzip],
  ['deflate', inflate],
  ['br', brotliDecompress as Decompress],
]);

interface Head {
  readonly status: number;
  /** Name/value pairs as received (original case), already filtered and rewritten. */
  readonly headers: string[];
  /** The body is rewritten (when it can be decoded and fits the cap). */
  readonly rewrite: 'html' | 'css' | undefined;
  readonly encoding: string | undefined;
}

/** `drain`: cuts a streamed body whose client stopped reading (server.responseDrainTimeoutMs). */
export function writeUiResponse(upstream: IncomingMessage, req: IncomingMessage, res: ServerResponse, rewriter: UiRewriter, logger: Logger, drain: IdleWatch): void {
  const head = readHead(upstream, rewriter);
  const hasBody = req.method !== 'HEAD' && head.status !== 204 && head.status !== 304 && head.status >= 200;
  const canRewrite = head.rewrite !== undefined && (head.encoding === undefined || decoders.has(head.encoding));
  if (!hasBody || !canRewrite) {
    // HEAD of a page: the length of the rewritten GET body is not known here.
    writeHead(res, head, logger, head.rewrite !== undefined && !hasBody ? dropLength : undefined);
    if (!hasBody) {
      upstream.resume();
      res.end();
      return;
    }
    streamBody(upstream, res, logger, drain);
    return;
  }
  bufferAndRewrite(upstream, res, head, rewriter, logger, drain);
}

/** The body as it comes, with backpressure; the client that stops reading it is cut. */
function streamBody(upstream: IncomingMessage, res: ServerResponse, logger: Logger, drain: IdleWatch): void {
  let stopWatching = (): void => {};
  pipeline(upstream, res, (error) => {
    stopWatching();
    if (error) logger.debug({ event: 'webui-stream-error', code: (error as NodeJS.ErrnoException).code }, error.message);
  });
  stopWatching = cutWhenClientStalls(upstream, res, drain, () => logger.debug({ event: 'webui-client-stalled' }, `client took no response bytes for ${drain.idleTimeoutMs} ms`));
}

function readHead(upstream: IncomingMessage, rewriter: UiRewriter): Head {
  const status = upstream.statusCode ?? 502;
  const listed = connectionListed(upstream.headers.connection);
  const rewriteLocation = hasRewritableLocation(status);
  const raw = upstream.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (isHopByHop(lower) || listed?.has(lower)) continue;
    let value = raw[i + 1]!;
    if (lower === 'set-cookie') value = rewriter.setCookie(value);
    else if (lower === 'location' && rewriteLocation) value = rewriter.location(value);
    headers.push(name, value);
  }
  const type = /^\s*text\/(html|css)\b/i.exec(upstream.headers['content-type'] ?? '')?.[1]?.toLowerCase() as 'html' | 'css' | undefined;
  const encoding = upstream.headers['content-encoding']?.trim().toLowerCase();
  return { status, headers, rewrite: type, encoding: encoding === '' || encoding === 'identity' ? undefined : encoding };
}

const dropLength = new Set(['content-length']);
const dropForRewrite = new Set(['content-length', 'content-encoding']);

function writeHead(res: ServerResponse, head: Head, logger: Logger, skip?: ReadonlySet<string>): void {
  if (res.headersSent || res.destroyed) return;
  const { headers } = head;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (skip?.has(name.toLowerCase())) continue;
    try {
      res.appendHeader(name, headers[i + 1]!);
    } catch (error) {
      // ERR_INVALID_CHAR / ERR_INVALID_HTTP_TOKEN: drop that header, keep the response.
      logger.debug({ event: 'webui-invalid-header', header: name, code: (error as NodeJS.ErrnoException).code }, 'skipped an invalid upstream header');
    }
  }
  res.writeHead(head.status);
}

/**
 * Collects an HTML or CSS body (≤ maxHtmlBytes), decompresses it if needed, rewrites it and sends it with
 * a fresh Content-Length. Over the cap, or when it cannot be decompressed, the original bytes go
 * out unmodified with the original headers. HTML page loads are rare next to assets and XHR, so the
 * per-response closures here cost nothing measurable.
 */
function bufferAndRewrite(upstream: IncomingMessage, res: ServerResponse, head: Head, rewriter: UiRewriter, logger: Logger, drain: IdleWatch): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const sendOriginal = (): void => {
    writeHead(res, head, logger);
    for (const chunk of chunks) res.write(chunk);
  };
  const sendRewritten = (original: Buffer): void => {
    if (res.headersSent || res.destroyed) return;
    // latin1 maps every byte to one code unit and back: exact for any ASCII-compatible charset.
    const text = original.toString('latin1');
    const body = Buffer.from(head.rewrite === 'css' ? rewriter.css(text) : rewriter.html(text), 'latin1');
    res.setHeader('content-length', body.length);
    writeHead(res, head, logger, dropForRewrite);
    res.end(body);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    chunks.push(chunk);
    if (size <= maxHtmlBytes) return;
    upstream.off('data', onData).off('end', onEnd);
    logger.debug({ event: 'webui-page-too-large', bytes: size }, 'page over the rewrite cap: streamed unmodified');
    sendOriginal();
    streamBody(upstream, res, logger, drain);
  };
  const onEnd = (): void => {
    const body = Buffer.concat(chunks, size);
    const decode = head.encoding === undefined ? undefined : decoders.get(head.encoding);
    if (decode === undefined) return sendRewritten(body);
    decode(body, { maxOutputLength: maxHtmlBytes }, (error, html) => {
      if (res.destroyed) return;
      if (error === null) return sendRewritten(html);
      logger.debug({ event: 'webui-page-undecodable', code: (error as NodeJS.ErrnoException).code }, error.message);
      sendOriginal();
      res.end();
    });
  };
  upstream.on('data', onData).on('end', onEnd);
  upstream.once('error', (error) => {
    // The coordinator went away (or timed out) mid-body: nothing was sent yet, so a status still can be.
    logger.debug({ event: 'webui-upstream-aborted', code: (error as NodeJS.ErrnoException).code }, error.message);
    failResponse(res, 502, 'the coordinator web UI closed the connection mid-response\n');
  });
}

/**
 * Answers `status` if nothing was sent yet, else cuts the connection so the client sees a
 * truncated response instead of a complete-looking one. Idempotent: a second failure for the same
 * response (the request and the response stream both report a reset) changes nothing.
 */
export function failResponse(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  respondText(res, status, text);
}
