-- wrk script for the gateway benchmark (bench/closed_loop.py writes its inputs).
--
-- WRK_REQUESTS names a file with one request per line: METHOD<TAB>PATH<TAB>BODY (BODY may be
-- empty; SOAP bodies are written on one line). WRK_HEADERS names a file of "Name: value" lines
-- sent with every request. Requests go round robin, so each connection asks for many citizens.
-- done() prints one line starting with WRK_JSON that the Python side parses.

local prepared = {}
local next_index = 0

local function read_headers(path)
  local headers = {}
  if path == nil or path == "" then
    return headers
  end
  for line in io.lines(path) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then
      headers[name] = value
    end
  end
  return headers
end

function init(args)
  local headers = read_headers(os.getenv("WRK_HEADERS"))
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    if method then
      if body == "" then
        body = nil
      end
      prepared[#prepared + 1] = wrk.format(method, path, headers, body)
    end
  end
  if #prepared == 0 then
    error("no requests in " .. tostring(os.getenv("WRK_REQUESTS")))
  end
end

function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
      .. '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, '
      .. '"p99_us": %d, "p999_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
