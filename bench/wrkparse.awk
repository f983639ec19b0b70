# SPDX-License-Identifier: MIT
# Turns one wrk --latency report into a results.tsv line:
#   server scenario req/s p50_ms p99_ms cpu_us_per_req peak_rss_kb
#   requests non_2xx socket_errors
# Variables: srv, scen, cpu (server CPU ticks over the run), hz, rss.
function ms(v) {
    if (v ~ /us$/) return v / 1000
    if (v ~ /ms$/) return v + 0
    if (v ~ /m$/) return v * 60000
    if (v ~ /s$/) return v * 1000
    return v + 0
}
/^ +50%/ { p50 = ms($2) }
/^ +99%/ { p99 = ms($2) }
/requests in/ { reqs = $1 }
/Non-2xx or 3xx responses:/ { bad = $NF }
/Socket errors:/ {
    gsub(/,/, "")
    sock = $4 + $6 + $8 + $10
}
/^Requests\/sec:/ { rps = $2 }
END {
    cpu_us = reqs > 0 ? cpu * 1000000 / hz / reqs : 0
    printf "%s\t%s\t%.0f\t%.3f\t%.3f\t%.1f\t%d\t%d\t%d\t%d\n", srv, scen,
        rps, p50, p99, cpu_us, rss, reqs, bad, sock
}
