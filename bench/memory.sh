#!/usr/bin/env bash
# Does an unload give memory back, and at what price in speed? The packaged jar, in each
# configuration below, loads, uses and unloads the fp32 all-MiniLM-L6-v2 twenty times; the table
# gives its resident memory after the first and the last unload, then loads it once more and gives
# the p50 of a 128-token inference (hey, 1 client, 300 requests), the resident memory once those
# runs are over (idle, loaded), and the p50 of PP-OCRv4 detection at 640x640 (V2 binary, wrk, 10 s),
# the model with the largest intermediate tensors, and the median time of the twenty loads (the load
# call's own answer time: opening the session, which glibc's settings slow down or not).
# ONLY=REGEX runs only the configurations whose label matches (e.g. ONLY='defaults|MMAP').
# The Java heap is fixed and pre-touched, so what moves is native memory.
# Needs: ./mvnw -B package -DskipTests (and test-compile), curl, hey, wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kiln-env.sh
. bench/kiln-env.sh
port=8767
tmp=$(mktemp -d)
trap 'if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
ids=$(printf '1000,%.0s' $(seq 1 127))1000
ones=$(printf '1,%.0s' $(seq 1 127))1
zeros=$(printf '0,%.0s' $(seq 1 127))0
printf '{"inputs":[{"name":"input_ids","shape":[1,128],"datatype":"INT64","data":[%s]},{"name":"attention_mask","shape":[1,128],"datatype":"INT64","data":[%s]},{"name":"token_type_ids","shape":[1,128],"datatype":"INT64","data":[%s]}]}' \
  "$ids" "$ones" "$zeros" > "$tmp/req.json"
cp="target/test-classes:target/classes:$(./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
java -cp "$cp" dev.kiln.bench.InferenceBench bodies "$tmp"
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status"; }
run() {
  local label=$1 env=$2; shift 2
  [[ "$label" =~ ${ONLY:-.} ]] || return 0
  rm -rf "$tmp/repo"; cp -r target/demo-models "$tmp/repo"; rm -f "$tmp/repo/.kiln-settings.yaml"
  # shellcheck disable=SC2086 # the row's settings, split into NAME=value words
  env $env java -Xms256m -Xmx256m -XX:+AlwaysPreTouch "$@" -Dai.models.admin-token=t -Dai.models.repository="$tmp/repo" \
    -Dquarkus.http.port=$port -Dquarkus.grpc.server.port=$((port + 1)) -jar target/quarkus-app/quarkus-run.jar > "$tmp/kiln.log" 2>&1 &
  pid=$!
  until curl -sf "localhost:$port/q/health/started" > /dev/null; do sleep 0.2; done
  local first="" last="" loads=""
  for _ in $(seq 1 20); do
    loads="$loads $(curl -s -o /dev/null -w '%{time_total}' -H 'Authorization: Bearer t' -X POST "localhost:$port/v2/repository/models/all-minilm-l6-v2/load")"
    curl -s -o /dev/null -X POST "localhost:$port/v2/models/all-minilm-l6-v2/infer" -H 'Content-Type: application/json' -d @"$tmp/req.json"
    curl -s -o /dev/null -H 'Authorization: Bearer t' -X POST "localhost:$port/v2/repository/models/all-minilm-l6-v2/unload"
    last=$(rss); [ -n "$first" ] || first=$last
  done
  curl -s -o /dev/null -H 'Authorization: Bearer t' -X POST "localhost:$port/v2/repository/models/all-minilm-l6-v2/load"
  local p50
  p50=$(hey -n 300 -c 1 -m POST -T application/json -D "$tmp/req.json" "http://localhost:$port/v2/models/all-minilm-l6-v2/infer" \
    | awk '/50% in/ {printf "%.2f", $3 * 1000}')
  local idle det
  idle=$(rss)
  det=$(BODY="$tmp/det640.bin" CTYPE=application/octet-stream HEADER_LEN=$(cat "$tmp/det640.bin.header-length") \
    wrk -t1 -c1 -d10s -s bench/wrk/post.lua "http://127.0.0.1:$port/v2/models/ppocr-v4-det/infer" | awk -F'[= ]' '/KILN/ {print $3}')
  local load
  load=$(tr ' ' '\n' <<< "$loads" | grep . | sort -n | awk '{a[NR]=$1} END {printf "%.3f", (a[int((NR+1)/2)] + a[int(NR/2)+1]) / 2}')
  echo "| $label | $first | $last | $((last - first)) | $idle | $p50 | $det | $load |"
  kill $pid; wait $pid 2>/dev/null || true
}
mkdir -p bench/results
{
  echo "# Unload/reload of fp32 all-MiniLM-L6-v2, 20 cycles, packaged jar ($(date -u +%Y-%m-%d), $(nproc) cores)"
  echo
  echo "| configuration | RSS after 1st unload (MiB) | after 20th | growth | loaded, idle after 300 runs | MiniLM p50 [1,128] (ms) | det p50 640x640 (ms) | load s (median of 20) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  defaults="${KILN_GLIBC_ENV[*]}"
  run "**Kiln's defaults**: CPU arena on, MALLOC_TRIM_THRESHOLD_=1048576, GLIBC_TUNABLES=glibc.malloc.hugetlb=1, 1 loader thread, global pools" "$defaults"
  run "arena on, MALLOC_TRIM_THRESHOLD_=1048576 alone (the defaults before 2026-12-07)" "MALLOC_TRIM_THRESHOLD_=1048576"
  run "arena on, MALLOC_TRIM_THRESHOLD_=1048576 and MALLOC_MMAP_THRESHOLD_=4194304" "MALLOC_TRIM_THRESHOLD_=1048576 MALLOC_MMAP_THRESHOLD_=4194304"
  run "arena on, MALLOC_TRIM_THRESHOLD_=1048576 and MALLOC_MMAP_THRESHOLD_=33554432" "MALLOC_TRIM_THRESHOLD_=1048576 MALLOC_MMAP_THRESHOLD_=33554432"
  run "arena on, glibc's default malloc" ""
  run "arena on, MALLOC_MMAP_THRESHOLD_=1048576" "MALLOC_MMAP_THRESHOLD_=1048576"
  run "arena off, glibc's default malloc" "" -Dai.models.session.cpu-arena=false
  run "arena off, MALLOC_MMAP_THRESHOLD_=131072" "MALLOC_MMAP_THRESHOLD_=131072" -Dai.models.session.cpu-arena=false
  run "arena off, MALLOC_TRIM_THRESHOLD_=1048576" "MALLOC_TRIM_THRESHOLD_=1048576" -Dai.models.session.cpu-arena=false
  run "defaults, 2 loader threads" "$defaults" -Dai.models.registry.load-threads=2
  run "defaults, per-session thread pools" "$defaults" -Dai.models.session.global-thread-pools=false
} | tee bench/results/memory.md
