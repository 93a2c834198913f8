// Regression: every streamed /ui response (an asset, a JSON dump: anything that is not rewritten)
// made Node print "MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 close
// listeners added to [ServerResponse]" to the proxy's stderr, once per response. Nothing leaked: node's
// pipeline puts seven 'close' listeners on the response, http-proxy-3 one and the proxy two, and the
// stalled-client watch (http/drain-watch.ts) added the eleventh. It now stops from pipeline's
// callback instead. The proxy runs in this process, so its warnings are this process's.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requestText } from '../helpers/fake-webui.ts';
import { startHarness, type Harness } from '../helpers/proxy-harness.ts';

let harness: Harness;
const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);

beforeAll(async () => {
  // The whole proxy (its HTTPS listener counts one 'close' listener too) before simulated coordinators.
  harness = await startHarness({ coordinators: 1 });
  process.on('warning', onWarning);
});

afterAll(async () => {
  process.off('warning', onWarning);
  await harness?.close();
});

it('streams JSON through /ui without a listener-leak warning', async () => {
  for (let i = 0; i < 3; i += 1) {
    const json = await requestText(`${harness.url}/ui/1/queries?json`);
    expect(json.status).toBe(200);
    expect(json.headers['content-type']).toMatch(/json/);
  }
  // A warning is emitted on the next tick at the latest; the requests above took several.
  await new Promise((resolve) => setImmediate(resolve));
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
});
