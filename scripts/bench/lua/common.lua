-- Shared by the wrk scripts: a monotonic clock, status counting, and a JSON summary.
-- The summary goes to the file named by WRK_JSON (done() runs outside the threads).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")

function bench_now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC, shared by every thread of the process
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

bench_threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(bench_threads, thread)
end

-- lines of a file, only those for this thread (line i goes to thread i mod n)
function bench_lines(path, tid, nthreads)
  local out, i = {}, 0
  for line in io.lines(path) do
    if line ~= "" then
      if i % nthreads == tid then out[#out + 1] = line end
      i = i + 1
    end
  end
  return out
end

function bench_count(status)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
    bad_status = status
  end
  if status == 201 then created = created + 1 elseif status == 200 then repeated = repeated + 1 end
end

local function encode(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for k, v in pairs(value) do parts[#parts + 1] = string.format("%q:%s", tostring(k), encode(v)) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "string" then
    return string.format("%q", value)
  elseif value == nil then
    return "null"
  end
  return tostring(value)
end

function done(summary, latency, requests)
  local agg = { ok = 0, bad = 0, created = 0, repeated = 0, t_start = nil, t_end = nil }
  local bad_statuses = {}
  for _, t in ipairs(bench_threads) do
    agg.ok = agg.ok + (t:get("ok") or 0)
    agg.bad = agg.bad + (t:get("bad") or 0)
    agg.created = agg.created + (t:get("created") or 0)
    agg.repeated = agg.repeated + (t:get("repeated") or 0)
    local s, e, b = t:get("t_start"), t:get("t_end"), t:get("bad_status")
    if s and (agg.t_start == nil or s < agg.t_start) then agg.t_start = s end
    if e and (agg.t_end == nil or e > agg.t_end) then agg.t_end = e end
    if b then bad_statuses[#bad_statuses + 1] = b end
  end
  local result = {
    requests = summary.requests,
    duration_us = summary.duration,
    bytes = summary.bytes,
    errors = summary.errors,
    ok = agg.ok,
    bad = agg.bad,
    created = agg.created,
    repeated = agg.repeated,
    bad_statuses = bad_statuses,
    t_start = agg.t_start,
    t_end = agg.t_end,
    latency_us = {
      min = latency.min,
      mean = latency.mean,
      max = latency.max,
      stdev = latency.stdev,
      p50 = latency:percentile(50),
      p90 = latency:percentile(90),
      p99 = latency:percentile(99),
    },
  }
  local path = os.getenv("WRK_JSON")
  if path then
    local f = assert(io.open(path, "w"))
    f:write(encode(result))
    f:close()
  end
end
