-- wrk script: POST /v1/embeddings with one text per request, rotating through texts.txt (the file given as
-- WRK_TEXTS, default bench/server/texts.txt); MODEL names the served model (default "use").
local texts = {}
local index = 0
local model = os.getenv("MODEL") or "use"
for line in io.lines(os.getenv("WRK_TEXTS") or "bench/server/texts.txt") do
  texts[#texts + 1] = line
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  index = index % #texts + 1
  local body = '{"model":"' .. model .. '","input":"' .. texts[index] .. '"}'
  return wrk.format(nil, nil, nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d timeouts=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    summary.errors.timeout))
end
