-- wrk script for the hs2 workloads: POSTs a Thrift call with the client's cookies, as impala-shell
-- and impyla do over hs2-http, and prints one machine-readable BENCH_JSON line at the end.
-- Settings come from the environment (bench/run.ts sets them):
--   BENCH_BODY         file with the request body
--   BENCH_COOKIE       Cookie header value (impala.auth and the affinity cookie)
--   BENCH_REPLY_BYTES  reply size the fake coordinator answers with
--   BENCH_CLOSE        "1": send Connection: close (wrk then reconnects for every request)
--   BENCH_DELAY_MS     think time between a connection's requests (0: closed loop)

local file = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.path = "/cliservice"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/x-thrift"
wrk.headers["User-Agent"] = "Python/3.11 Thrift/0.16.0 impyla/0.21.0"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["X-Bench-Reply-Bytes"] = os.getenv("BENCH_REPLY_BYTES") or "512"
if os.getenv("BENCH_CLOSE") == "1" then
  wrk.headers["Connection"] = "close"
end

local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local connections = tonumber(os.getenv("BENCH_CONNECTIONS") or "0")
local delays = 0
if delay_ms > 0 then
  -- Jittered think time, so a thousand clients that connected together do not stay in lockstep.
  -- wrk also asks before each connection's first request: those wait until every connection's TLS
  -- handshake is done (BENCH_RAMP_MS), so the latencies are those of pinned clients at a steady rate,
  -- not of a thousand handshakes queued behind each other.
  local ramp_ms = tonumber(os.getenv("BENCH_RAMP_MS") or "0")
  function delay()
    delays = delays + 1
    local think = math.floor(delay_ms * (0.5 + math.random()))
    if delays <= connections then
      return ramp_ms + think
    end
    return think
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end
