-- wrk script: after the run, print one line "WRKJSON {...}" with the totals and the latency
-- percentiles in microseconds, for bench/bench.py.
done = function(summary, latency, requests)
  local p = {}
  for _, q in ipairs({10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99}) do
    p[#p + 1] = string.format('[%g,%d]', q, latency:percentile(q))
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%f,"max":%d,"percentiles":[%s]}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, table.concat(p, ',')))
end
