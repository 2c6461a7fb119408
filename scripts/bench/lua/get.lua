-- GET the URL's path; each request carries the next token of this thread's share of the
-- token file, so consecutive requests are different members (or no token with "-").
-- wrk ... -s get.lua URL -- TOKENS_FILE NTHREADS
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function init(args)
  ok, bad, created, repeated = 0, 0, 0, 0
  local path, nthreads = args[1], tonumber(args[2] or "1")
  reqs = {}
  if path and path ~= "-" then
    local share = bench_lines(path, tid, nthreads)
    if #share == 0 then share = bench_lines(path, 0, 1) end -- fewer tokens than threads
    for _, token in ipairs(share) do
      reqs[#reqs + 1] = wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. token })
    end
  end
  if #reqs == 0 then reqs[1] = wrk.format() end
  idx = 0
end

function request()
  if tid == 0 and not verified then
    verified = true -- wrk's own call before the run (it counts pipelined requests)
    return reqs[1]
  end
  if t_start == nil then t_start = bench_now() end
  idx = idx + 1
  if idx > #reqs then idx = 1 end
  return reqs[idx]
end

function response(status, headers, body)
  bench_count(status)
  t_end = bench_now()
end
