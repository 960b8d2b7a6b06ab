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

-- Failed requests would make the figures meaningless: count them and say so. (No response() callback:
-- defining one makes wrk copy every answer's headers and body into Lua, client work h2load does not do.)
-- wrk's errors.status counts answers with a status above 399; sockets' errors and timeouts are failures too.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("KILN p50_ms=%.3f rps=%.1f non200=%d\n", latency:percentile(50) / 1000.0,
    (summary.requests - e.status) / (summary.duration / 1e6), e.status + e.connect + e.read + e.write + e.timeout))
end
