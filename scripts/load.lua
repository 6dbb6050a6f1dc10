-- wrk script for scripts/soak and scripts/overload: the same requests as
-- scripts/bench-post.lua (every kind's sample in turn, each with its own
-- reference, pupil and UPN), and a tally of every answer by status, with
-- whether each 503 carried Retry-After, summed over wrk's threads.
local post = dofile("scripts/bench-post.lua")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, shed, shed_without_retry, limited, other, other_5xx = 0, 0, 0, 0, 0, 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 503 then
    shed = shed + 1
    if headers["retry-after"] == nil and headers["Retry-After"] == nil then
      shed_without_retry = shed_without_retry + 1
    end
  elseif status == 429 then
    limited = limited + 1
  else
    other = other + 1
    if status >= 500 then
      other_5xx = other_5xx + 1
    end
  end
end

function done(summary, latency, requests)
  local t = { ok = 0, shed = 0, shed_without_retry = 0, limited = 0, other = 0, other_5xx = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + thread:get(k)
    end
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("LOAD_OK=%d LOAD_SHED=%d LOAD_SHED_WITHOUT_RETRY_AFTER=%d LOAD_RATE_LIMITED=%d LOAD_OTHER=%d LOAD_OTHER_5XX=%d\n",
    t.ok, t.shed, t.shed_without_retry, t.limited, t.other, t.other_5xx))
  io.write(string.format("LOAD_SOCKET_ERRORS=%d\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("LOAD_LETTERS_PER_S=%.1f\n", t.ok / seconds))
  io.write(string.format("LOAD_P50_MS=%.2f LOAD_P99_MS=%.2f LOAD_P99_P50=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99) / math.max(latency:percentile(50), 1)))
end

request = post.request
