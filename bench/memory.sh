#!/usr/bin/env bash
# Does an unload give memory back? The packaged jar, in each configuration below, loads, uses and
# unloads the fp32 all-MiniLM-L6-v2 twenty times; the table gives its resident memory after the
# first and the last unload, then loads it once more and gives the p50 of a 128-token inference
# (hey, 1 client, 300 requests) and the resident memory once those runs are over (idle, loaded).
# The Java heap is fixed and pre-touched, so what moves is native memory.
# Needs: ./mvnw -B package -DskipTests, curl, hey.
set -euo pipefail
cd "$(dirname "$0")/.."
port=8767
tmp=$(mktemp -d)
trap 'if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
ids=$(printf '1000,%.0s' $(seq 1 127))1000
ones=$(printf '1,%.0s' $(seq 1 127))1
zeros=$(printf '0,%.0s' $(seq 1 127))0
printf '{"inputs":[{"name":"input_ids","shape":[1,128],"datatype":"INT64","data":[%s]},{"name":"attention_mask","shape":[1,128],"datatype":"INT64","data":[%s]},{"name":"token_type_ids","shape":[1,128],"datatype":"INT64","data":[%s]}]}' \
  "$ids" "$ones" "$zeros" > "$tmp/req.json"
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status"; }
run() {
  local label=$1 env=$2; shift 2
  rm -rf "$tmp/repo"; cp -r target/demo-models "$tmp/repo"; rm -f "$tmp/repo/.kiln-settings.yaml"
  env $env java -Xms256m -Xmx256m -XX:+AlwaysPreTouch "$@" -Dai.models.admin-token=t -Dai.models.repository="$tmp/repo" \
    -Dquarkus.http.port=$port -jar target/quarkus-app/quarkus-run.jar > "$tmp/kiln.log" 2>&1 &
  pid=$!
  until curl -sf "localhost:$port/q/health/started" > /dev/null; do sleep 0.2; done
  local first="" last=""
  for i in $(seq 1 20); do
    curl -s -o /dev/null -H 'Authorization: Bearer t' -X POST "localhost:$port/v2/repository/models/all-minilm-l6-v2/load"
    curl -s -o /dev/null -X POST "localhost:$port/v2/models/all-minilm-l6-v2/infer" -H 'Content-Type: application/json' -d @"$tmp/req.json"
    curl -s -o /dev/null -H 'Authorization: Bearer t' -X POST "localhost:$port/v2/repository/models/all-minilm-l6-v2/unload"
    last=$(rss); [ -n "$first" ] || first=$last
  done
  curl -s -o /dev/null -H 'Authorization: Bearer t' -X POST "localhost:$port/v2/repository/models/all-minilm-l6-v2/load"
  local p50
  p50=$(hey -n 300 -c 1 -m POST -T application/json -D "$tmp/req.json" "http://localhost:$port/v2/models/all-minilm-l6-v2/infer" \
    | awk '/50% in/ {printf "%.2f", $3 * 1000}')
  local idle
  idle=$(rss)
  echo "| $label | $first | $last | $((last - first)) | $idle | $p50 |"
  kill $pid; wait $pid 2>/dev/null || true
}
mkdir -p bench/results
{
  echo "# Unload/reload of fp32 all-MiniLM-L6-v2, 20 cycles, packaged jar ($(date -u +%Y-%m-%d), $(nproc) cores)"
  echo
  echo "| configuration | RSS after 1st unload (MiB) | after 20th | growth | loaded and idle after 300 runs | p50 [1,128] (ms) |"
  echo "|---|---:|---:|---:|---:|---:|"
  run "Kiln's defaults: arena off, 1 loader thread, global thread pools" ""
  run "CPU arena on" "" -Dai.models.session.cpu-arena=true
  run "2 loader threads" "" -Dai.models.registry.load-threads=2
  run "per-session thread pools" "" -Dai.models.session.global-thread-pools=false
  run "defaults + MALLOC_MMAP_THRESHOLD_=131072" "MALLOC_MMAP_THRESHOLD_=131072"
  run "defaults + MALLOC_TRIM_THRESHOLD_=1048576" "MALLOC_TRIM_THRESHOLD_=1048576"
} | tee bench/results/memory.md
