-- POST /api/v1/checkins as distinct members with the QR token currently on the screen.
-- wrk ... -s checkin.lua URL -- TOKENS_FILE NTHREADS QR_FILE MODE
--   MODE "first":  each member of this thread's share checks in once; the thread stops when
--                  every one of them has been answered (the run is first check-ins only)
--   MODE "repeat": the same members again and again (each answer is the existing row)
-- QR_FILE holds the token the secretary's screen shows; it is re-read every 25 requests,
-- because the code rotates (QR_ROTATE_SECONDS) while the burst goes on.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local function read_qr()
  local f = io.open(qr_path, "r")
  if f then
    local token = f:read("*l")
    f:close()
    if token and #token > 0 then qr = token end
  end
end

function init(args)
  ok, bad, created, repeated = 0, 0, 0, 0
  tokens = bench_lines(args[1], tid, tonumber(args[2]))
  qr_path, mode = args[3], args[4] or "first"
  read_qr()
  sent, idx = 0, 0
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  if tid == 0 and not verified then
    -- wrk calls request() once on thread 0 to count pipelined requests, before the run:
    -- answer it without handing out a member, or that member would never be sent
    verified = true
    return wrk.format("POST", "/api/v1/checkins", headers, "{}")
  end
  if t_start == nil then t_start = bench_now() end
  sent = sent + 1
  if sent % 25 == 0 then read_qr() end
  idx = idx + 1
  if idx > #tokens then idx = (mode == "first") and math.random(#tokens) or 1 end
  headers["Authorization"] = "Bearer " .. tokens[idx]
  return wrk.format("POST", "/api/v1/checkins", headers, '{"token": "' .. qr .. '"}')
end

function response(status, headers, body)
  bench_count(status)
  if mode == "first" then
    if created + bad >= #tokens and t_end == nil then
      t_end = bench_now()
      wrk.thread:stop()
    end
  else
    t_end = bench_now()
  end
end
