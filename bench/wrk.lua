-- One scenario for wrk: requests come from the table written by bench/run.py into
-- BENCH_REQUESTS (one "WEIGHT<TAB>METHOD<TAB>PATH<TAB>HEADERS<TAB>BODY<TAB>LABEL" per line),
-- picked at random with their weights; done() prints the figures as one JSON line.
--
-- With BENCH_PER_LABEL=1 (and one connection per thread, so that each response follows its
-- own request), the latency of every request is also kept under its label, and done() adds
-- each label's count and percentiles: the endpoints of a mix, measured in the same run.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *out);
]]
local clock = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

local requests = {}
local total_weight = 0
local per_label = os.getenv("BENCH_PER_LABEL") == "1"
-- BENCH_ADDRESSES=N: each request comes from one of N network addresses (X-Forwarded-For,
-- for an app behind one trusted proxy), drawn at random: rate limits count real visitors.
local addresses = tonumber(os.getenv("BENCH_ADDRESSES") or "0")
-- BENCH_ACCEPT_ENCODING=gzip: every request asks for it, as phones' HTTP clients do.
local accept_encoding = os.getenv("BENCH_ACCEPT_ENCODING") or ""
local threads = {}
-- per thread (globals, so that done() can read them with thread:get, which copies flat
-- tables only): the label, latency and status of each response, in three parallel lists
sample_labels = {}
sample_micros = {}
sample_statuses = {}
started = nil
current = nil

setup = function(thread) table.insert(threads, thread) end

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
                            body = (f[5] ~= "" and f[5] or nil), label = f[6] or ""})
  end
  file:close()
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  first_us = now_us()
end

-- The first request whose cumulative weight reaches r (a binary search: tables of the
-- real-traffic shape have tens of thousands of lines).
local function pick(r)
  local lo, hi = 1, #requests
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if requests[mid].weight < r then lo = mid + 1 else hi = mid end
  end
  return requests[lo]
end

request = function()
  local item = pick(math.random() * total_weight)
  if per_label then
    current = item.label
    started = now_us()
  end
  local headers = item.headers
  if accept_encoding ~= "" then headers["Accept-Encoding"] = accept_encoding end
  if addresses > 0 then
    local n = math.random(0, addresses - 1)
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256,
                                               math.floor(n / 256) % 256, n % 256)
  end
  return wrk.format(item.method, item.path, headers, item.body)
end

-- BENCH_TIMELINE=1: responses counted per second since wrk started (a cold
-- start's climb to its warm throughput), as "timeline" in done()'s line.
local timeline_on = os.getenv("BENCH_TIMELINE") == "1"
timeline = {}
first_us = nil

if per_label or timeline_on then
  response = function(status, headers, body)
    local t = now_us()
    if timeline_on then
      local second = math.floor((t - first_us) / 1e6) + 1
      for i = #timeline + 1, second do timeline[i] = 0 end
      timeline[second] = timeline[second] + 1
    end
    if per_label and started ~= nil then
      table.insert(sample_micros, t - started)
      table.insert(sample_labels, current)
      table.insert(sample_statuses, status)
      started = nil
    end
  end
end

local function timeline_json()
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("timeline") or {}
    for i, n in ipairs(counts) do merged[i] = (merged[i] or 0) + n end
  end
  local parts = {}
  for i = 1, #merged do parts[i] = tostring(merged[i]) end
  return "[" .. table.concat(parts, ", ") .. "]"
end

local function labels_json()
  local merged = {}
  local failed = {}
  for _, thread in ipairs(threads) do
    local labels = thread:get("sample_labels") or {}
    local micros = thread:get("sample_micros") or {}
    local statuses = thread:get("sample_statuses") or {}
    for i, label in ipairs(labels) do
      merged[label] = merged[label] or {}
      table.insert(merged[label], micros[i])
      if statuses[i] >= 400 then failed[label] = (failed[label] or 0) + 1 end
    end
  end
  local parts = {}
  for label, list in pairs(merged) do
    table.sort(list)
    local function pct(p) return list[math.max(1, math.ceil(#list * p / 100))] / 1000 end
    table.insert(parts, string.format(
      '"%s": {"requests": %d, "errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}',
      label, #list, failed[label] or 0, pct(50), pct(95), pct(99), list[#list] / 1000))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

done = function(summary, latency, requests_)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "errors": %d, "status_errors": %d, "socket_errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "labels": %s, "timeline": %s}\n',
    summary.requests, summary.duration / 1e6, errors, summary.errors.status,
    errors - summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, per_label and labels_json() or "{}",
    timeline_on and timeline_json() or "[]"))
end
