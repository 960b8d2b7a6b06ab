-- GETs the URL given to wrk; $TOKEN, when set, is sent as a bearer token. Prints one KILN line.
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

done = function(summary, latency, requests)
  io.write(string.format("KILN p50_ms=%.3f rps=%.1f non200=%d\n", latency:percentile(50) / 1000.0,
    summary.requests / (summary.duration / 1e6), summary.errors.status))
end
