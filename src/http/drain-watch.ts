// Cuts a piped response whose client stopped reading. While the client's socket buffer is full,
// pipeline() pauses the upstream response, and the connection it arrives on stays taken from its
// pool for as long as the client likes: a few such clients and nobody else gets one. The watch is
// touched by every upstream chunk and every drain; when it finds the response quiet for its limit
// and still waiting for a drain, the client is the cause and the response is destroyed. Quiet
// without a full buffer is a slow upstream: watched again (its own timeouts are elsewhere).
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { IdleWatch, Watched } from './idle-watch.ts';

/**
 * Call right after pipeline(upstream, res); call the function it returns from pipeline's callback
 * (the response is done, or gone). Not a 'close' listener of its own: node's pipeline already puts
 * seven on the response, http-proxy-3 one and the proxy two, and an eleventh made Node warn of a
 * listener leak once for every streamed /ui response (test/regressions/webui-listener-warning).
 * `onCut` runs once, before the response is destroyed.
 */
export function cutWhenClientStalls(upstream: Readable, res: ServerResponse, watch: IdleWatch, onCut: () => void): () => void {
  let watched: Watched;
  const onQuiet = (): void => {
    if (!res.writableNeedDrain) {
      watched = watch.watch(onQuiet);
      return;
    }
    onCut();
    res.destroy();
  };
  watched = watch.watch(onQuiet);
  const touch = (): void => watched.touch();
  upstream.on('data', touch);
  res.on('drain', touch);
  return () => {
    watched.stop();
    upstream.off('data', touch);
    res.off('drain', touch);
  };
}
