-- One scenario for wrk: requests come from the table written by bench/run.py into
-- BENCH_REQUESTS (one "METHOD<TAB>PATH<TAB>HEADERS-JSON-ish<TAB>BODY" per line), picked at
-- random with their weights; done() prints the figures as one JSON line.
local requests = {}
local total_weight = 0
local counts = {}

local function split(line, sep)
  local out = {}
  for part in string.gmatch(line .. sep, "(.-)" .. sep) do table.insert(out, part) end
  return out
end

init = function(args)
  local file = io.open(os.getenv("BENCH_REQUESTS"), "r")
  for line in file:lines() do
    local f = split(line, "\t")
    local headers = {}
    for pair in string.gmatch(f[4] or "", "([^|]+)") do
      local k, v = string.match(pair, "^(.-): (.*)$")
      if k then headers[k] = v end
    end
    total_weight = total_weight + tonumber(f[1])
    table.insert(requests, {weight = total_weight, method = f[2], path = f[3], headers = headers,
                            body = (f[5] ~= "" and f[5] or nil)})
  end
  file:close()
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  local r = math.random() * total_weight
  for _, item in ipairs(requests) do
    if r <= item.weight then
      return wrk.format(item.method, item.path, item.headers, item.body)
    end
  end
end

done = function(summary, latency, requests_)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "errors": %d, "status_errors": %d, "socket_errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    errors - summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
