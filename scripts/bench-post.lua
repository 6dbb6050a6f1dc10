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
local counter = 0

function request()
  counter = counter + 1
  local k = kinds[(counter % #kinds) + 1]
  local body = k.body:gsub(k.ref, "BENCH/" .. counter, 1):gsub(k.name, '"Name' .. counter .. '"', 1)
  return wrk.format("POST", k.path, { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  io.write(string.format("HTTP_LETTERS_PER_S=%.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("HTTP_NON_2XX=%d\n", summary.errors.status))
  io.write(string.format("HTTP_P50_MS=%.2f HTTP_P99_MS=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
