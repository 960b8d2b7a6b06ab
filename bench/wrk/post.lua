-- POSTs the file named by $BODY to every request; $CTYPE and $HEADER_LEN (the V2 binary
-- extension's Inference-Header-Content-Length) set the headers.
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.body = f:read("*all")
f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("CTYPE") or "application/json"
local h = os.getenv("HEADER_LEN")
if h and h ~= "" then
  wrk.headers["Inference-Header-Content-Length"] = h
end

-- Non-2xx answers would make the figures meaningless: count them and say so.
local bad = 0
response = function(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
  end
end
done = function(summary, latency, requests)
  io.write(string.format("KILN p50_ms=%.3f rps=%.1f non200=%d\n", latency:percentile(50) / 1000.0,
    summary.requests / (summary.duration / 1e6), summary.errors.status))
end
