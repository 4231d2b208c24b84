-- Replays pre-signed relay requests, each exactly once: every line of the file named by
-- WRK_REQUESTS is "path<TAB>timestamp<TAB>signature". One wrk thread (-t1) reads them in order.
local requests = {}
local next = 1

function init(args)
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local path, timestamp, signature = line:match("^(%S+)\t(%S+)\t(%S+)$")
    requests[#requests + 1] = wrk.format("GET", path, {
      ["x-hydrogen-timestamp"] = timestamp,
      ["x-hydrogen-signature"] = signature,
    })
  end
end

function request()
  local r = requests[next]
  next = next + 1
  if next > #requests then next = 1 end
  return r
end

function done(summary, latency, requests)
  io.write(string.format("WRK %d %d %d %d\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(99)))
end
