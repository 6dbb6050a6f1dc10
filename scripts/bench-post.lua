-- wrk script for scripts/bench: POSTs every kind's sample case in turn (as
-- the in-process benchmark does), each
-- request with its own reference and pupil name so no two letters are alike.
local function read(path)
  local f = assert(io.open(path, "r"))
  local s = f:read("*a")
  f:close()
  return s
end

local kinds = {
  { path = "/v1/documents/absence-concern-letter?recipient=0",
    body = read("letter-templates/absence-concern-letter/kpas-1/sample.json"),
    ref = "ATT/2026/00412", name = '"Brown"' },
  { path = "/v1/documents/family-meeting-invitation?recipient=0",
    body = read("letter-templates/family-meeting-invitation/kpas-1/sample.json"),
    ref = "ATT/2026/00377", name = '"Kowalczyk"' },
  { path = "/v1/documents/penalty-notice?recipient=0",
    body = read("letter-templates/penalty-notice/kpas-1/sample.json"),
    ref = "KPAS/PN/2026/01873", name = '"Whitfield"' },
}
-- Counting from the clock, a million a second, so runs after each other
-- (each its own wrk process: a warm-up, a flood of 100,000 requests, the
-- run after it) never send the same pupil twice.
local counter = (os.time() % 100) * 1000000
-- A valid UPN of its own for each request: a penalty notice is refused for
-- a pupil and parent who already have one for the same offence, so the
-- same pupil every time would measure refusals, not letters.
local letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
local function upn(n)
  local body = string.format("8863%08d", n % 100000000)
  local sum = 0
  for i = 1, #body do
    sum = sum + tonumber(body:sub(i, i)) * (i + 1)
  end
  local at = sum % 23 + 1
  return letters:sub(at, at) .. body
end
-- With DOCKET_BENCH_KEY set, every request carries that API key (access
-- control on, as in production); without, the server runs in the open mode.
local key = os.getenv("DOCKET_BENCH_KEY")

local function make_request()
  counter = counter + 1
  local k = kinds[(counter % #kinds) + 1]
  local body = k.body:gsub(k.ref, "BENCH/" .. counter, 1):gsub(k.name, '"Name' .. counter .. '"', 1)
    :gsub("W886200012345", upn(counter), 1)
  local headers = { ["Content-Type"] = "application/json" }
  if key and key ~= "" then
    headers["Authorization"] = "Bearer " .. key
  end
  return wrk.format("POST", k.path, headers, body)
end

request = make_request

function done(summary, latency, requests)
  -- Letters are answers with a PDF: a refusal is not a letter.
  local letters_done = summary.requests - summary.errors.status
  io.write(string.format("HTTP_LETTERS_PER_S=%.0f\n", letters_done / (summary.duration / 1e6)))
  io.write(string.format("HTTP_NON_2XX=%d\n", summary.errors.status))
  io.write(string.format("HTTP_P50_MS=%.2f HTTP_P99_MS=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end

-- scripts/load.lua reuses the requests.
return { request = make_request }
