// Floor 1 of "what does Node itself cost": a bare node:http (and node:https) server that answers
// every hs2-http POST itself, with the very same reply bytes as the fake coordinator
// (bench/fake-replies.ts), and talks to nobody. A proxy in Node cannot cost less than this per
// request: it is the client side of every proxy's work (parse the request, write the reply), with
// no upstream side at all.
//
//   node bench/node-http.ts HTTPS_PORT HTTP_PORT CERT_FILE KEY_FILE
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { answerHttp } from './fake-replies.ts';

const [httpsPort, httpPort, certFile, keyFile] = process.argv.slice(2);
if (keyFile === undefined) throw new Error('usage: node-http.ts HTTPS_PORT HTTP_PORT CERT_FILE KEY_FILE');

// The same server options as the proxies' client side (naive-proxy.ts).
const serverOptions = { keepAliveTimeout: 120_000, requestTimeout: 0, noDelay: true };
createHttpsServer({ ...serverOptions, cert: readFileSync(certFile!), key: readFileSync(keyFile) }, (req, res) => answerHttp(req, res)).listen(Number(httpsPort), '127.0.0.1');
createServer(serverOptions, (req, res) => answerHttp(req, res)).listen(Number(httpPort), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
