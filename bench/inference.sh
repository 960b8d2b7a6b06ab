#!/usr/bin/env bash
# Kiln against ONNX Runtime in-process, in one run on this machine: p50 and requests/s at 1, 8 and
# 32 clients for
#   in-process   ONNX Runtime in a Java process of its own, same model file, at its best setting for
#                each case: one global intra-op pool of 1 thread and of $(nproc) threads are both
#                measured and the one with more requests/s is the yardstick (no spinning, arena on)
#   V2 JSON      POST /v2/models/{m}/infer, JSON tensors          (server with batching off)
#   V2 binary    the same with the binary tensor extension         (server with batching off)
#   gRPC         V2 gRPC ModelInfer, raw contents, one channel  (server with batching off)
#   binary+batch V2 binary, dynamic batching as the manifests set it
# on all-minilm-l6-v2-q (8 and 128 tokens), ppocr-v4-det (640x640) and, because the int8 MiniLM
# cannot be batched exactly (DynamicQuantizeLinear), the fp32 all-minilm-l6-v2 (8 tokens).
# Startup is bench/startup.sh's.
#
#   ./mvnw -B package -DskipTests && bench/inference.sh       (DURATION=10s WARMUP=25s)
#
# Writes bench/results/inference.md and prints it. Needs: java, wrk, curl. Takes about 23 minutes.
# The Java load generators (in-process ONNX Runtime, the gRPC client) are JVMs of their own per cell:
# each runs its loop unmeasured for CLIENT_WARMUP seconds first, so that its JIT does not compile on
# the two cores while the cell is measured (wrk, in C, needs none).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-25s}"
PORT="${PORT:-18100}"
BASE="http://127.0.0.1:$PORT"
OUT=bench/results/inference.md
APP=target/quarkus-app
CP="target/test-classes:target/classes:$(./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
GRPC_PORT="${GRPC_PORT:-18101}"
CLIENT_WARMUP="${CLIENT_WARMUP:-10}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 2; }
if [ ! -f $APP/quarkus-run.jar ] || [ ! -f target/test-classes/dev/kiln/bench/InferenceBench.class ]; then
  echo "run ./mvnw -B package -DskipTests first" >&2; exit 2
fi

TMP="$(mktemp -d)"
PID=""
stop() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi; }
trap 'stop; rm -rf "$TMP"' EXIT
java -cp "$CP" dev.kiln.bench.InferenceBench bodies "$TMP/bodies"
cp -r target/demo-models "$TMP/repo"
rm -f "$TMP/repo/.kiln-settings.yaml"

# start [java options]: starts the packaged jar on the demo repository and waits until started
start() {
  MALLOC_TRIM_THRESHOLD_=1048576 java "$@" -Dquarkus.http.port="$PORT" -Dquarkus.grpc.server.port="$GRPC_PORT" -Dai.models.repository="$TMP/repo" \
    -jar $APP/quarkus-run.jar >"$TMP/kiln.log" 2>&1 &
  PID=$!
  until curl -sf "$BASE/q/health/started" >/dev/null; do
    kill -0 "$PID" 2>/dev/null || { cat "$TMP/kiln.log" >&2; exit 1; }
    sleep 0.05
  done
}

declare -A MODEL=([minilm8]=all-minilm-l6-v2-q [minilm128]=all-minilm-l6-v2-q [det640]=ppocr-v4-det [minilm8fp32]=all-minilm-l6-v2)

# post CASE MODE CLIENTS SECONDS: prints "p50_ms rps non200" for Kiln; MODE json or bin
post() {
  local c=$1 mode=$2 n=$3 d=$4 ctype=application/json hl="" body="$TMP/bodies/$1.json"
  if [ "$mode" = bin ]; then
    ctype=application/octet-stream body="$TMP/bodies/$c.bin" hl=$(cat "$TMP/bodies/$c.bin.header-length")
  fi
  BODY="$body" CTYPE="$ctype" HEADER_LEN="$hl" wrk -t1 -c"$n" -d"$d" --timeout 30s -s bench/wrk/post.lua \
    "$BASE/v2/models/${MODEL[$c]}/infer" | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+) rps=([0-9.]+) non200=([0-9]+)/\1 \2 \3/'
}

grpc() {
  java -Dclient.warmup="$CLIENT_WARMUP" -cp "$CP" dev.kiln.bench.InferenceBench grpc "127.0.0.1:$GRPC_PORT" "$1" "$2" "${DURATION%s}" \
    | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+) rps=([0-9.]+) non200=([0-9]+)/\1 \2 \3/'
}

# inprocess CASE CLIENTS THREADS: ONNX Runtime alone, with a global intra-op pool of THREADS
inprocess() {
  java -Dintra="$3" -Dclient.warmup="$CLIENT_WARMUP" -cp "$CP" dev.kiln.bench.InferenceBench inprocess "$TMP/repo" "$1" "$2" "${DURATION%s}" \
    | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+) rps=([0-9.]+) non200=([0-9]+)/\1 \2 \3/'
}
# best A B: the result with more requests/s, and which pool it had
best() { awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," "); split(b,y," "); if (x[2]+0 >= y[2]+0) print a; else print b}'; }

CASES=(minilm8 minilm128 det640 minilm8fp32)
CLIENTS=(1 8 32)
declare -A R

# The JIT needs tens of seconds before Kiln's request path stops getting faster.
warm() {
  for c in "${CASES[@]}"; do for m in json bin; do post "$c" "$m" 4 3s >/dev/null; done; done
  post minilm8 bin 8 "$WARMUP" >/dev/null
  post minilm8 json 8 10s >/dev/null
  grpc minilm8 8 >/dev/null
}

echo "in-process ONNX Runtime, 1 thread and $(nproc) threads..." >&2
CPUS=$(nproc)
for c in "${CASES[@]}"; do for n in "${CLIENTS[@]}"; do
  R[$c,ip1,$n]=$(inprocess "$c" "$n" 1)
  R[$c,ipN,$n]=$(inprocess "$c" "$n" "$CPUS")
  R[$c,ip,$n]=$(best "${R[$c,ip1,$n]}" "${R[$c,ipN,$n]}")
done; done

echo "Kiln, batching off..." >&2
start -Dai.models.inference.batching=false
warm
for c in "${CASES[@]}"; do for n in "${CLIENTS[@]}"; do
  R[$c,json,$n]=$(post "$c" json "$n" "$DURATION")
  R[$c,bin,$n]=$(post "$c" bin "$n" "$DURATION")
  R[$c,grpc,$n]=$(grpc "$c" "$n")
done; done
# The transports' own floor at 1 client, no model: what a request costs before Kiln's work.
FLOOR_REST=$(wrk -t1 -c1 -d"$DURATION" -s bench/wrk/get.lua "$BASE/v2/health/live" | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+).*/\1/')
FLOOR_GRPC=$(java -Dclient.warmup="$CLIENT_WARMUP" -cp "$CP" dev.kiln.bench.InferenceBench grpc-live "127.0.0.1:$GRPC_PORT" 1 "${DURATION%s}" \
  | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+).*/\1/')
stop

echo "Kiln, batching as the manifests say..." >&2
start
warm
for c in det640 minilm8fp32; do for n in "${CLIENTS[@]}"; do R[$c,batch,$n]=$(post "$c" bin "$n" "$DURATION"); done; done
stop

# cell KEY FIELD: p50 (1) or rps (2) of a result, "n/a" when absent
cell() { local v=${R[$1]:-}; if [ -z "$v" ]; then echo "n/a"; else awk -v f="$2" '{print $f}' <<<"$v"; fi; }
verdict() { awk -v ok="$1" 'BEGIN{print (ok + 0) ? "**met**" : "**missed**"}'; }

{
  echo "# Inference: Kiln against ONNX Runtime in-process"
  echo
  echo "One run, packaged jar (JVM $(java -version 2>&1 | head -1 | cut -d'"' -f2)), $(nproc) cores, wrk and the in-process"
  echo "client on the same machine, $DURATION per cell after a ${WARMUP} JIT warm-up of the server"
  echo "(the in-JVM clients, in-process and gRPC, each ran ${CLIENT_WARMUP}s unmeasured first). Cells: p50 ms / requests/s."
  echo "Non-200 answers: $(for k in "${!R[@]}"; do awk '{print $3}' <<<"${R[$k]}"; done | awk '{s+=$1} END{print s+0}')."
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ)."
  echo
  echo "| case | clients | in-process, 1 thread | in-process, $CPUS threads | V2 JSON | V2 binary | V2 gRPC (raw) | V2 binary + batching |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${CASES[@]}"; do for n in "${CLIENTS[@]}"; do
    row="| $c (${MODEL[$c]}) | $n"
    for m in ip1 ipN json bin grpc batch; do
      if [ -z "${R[$c,$m,$n]:-}" ]; then row+=" | n/a"; continue; fi
      row+=" | $(cell "$c,$m,$n" 1) / $(printf '%.0f' "$(cell "$c,$m,$n" 2)")"
      bad=$(cell "$c,$m,$n" 3)
      [ "$bad" = 0 ] || row+=" ($bad non-200)"
    done
    echo "$row |"
  done; done
  echo
  echo "Batching n/a for the int8 MiniLM: Kiln refuses to batch models with DynamicQuantizeLinear (the"
  echo "quantisation scale is computed over the whole batch, so rows would change with their neighbours)."
  echo
  echo "## Targets (issue 20), against in-process ONNX Runtime at its best setting for each case"
  echo
  echo "| target | measured | |"
  echo "|---|---|---|"
  ip1=$(cell minilm8,ip,1 1)
  for m in bin:0.3:"V2 binary" grpc:0.3:"V2 gRPC (raw)" json:0.6:"V2 JSON"; do
    k=${m%%:*}; rest=${m#*:}; lim=${rest%%:*}; name=${rest#*:}
    v=$(cell "minilm8,$k,1" 1); d=$(awk -v a="$v" -v b="$ip1" 'BEGIN{printf "%+.2f", a-b}')
    echo "| MiniLM-q 8 tok, 1 client: $name p50 within +$lim ms | $v vs $ip1 ms ($d ms) | $(verdict "$(awk -v x="$d" -v l="$lim" 'BEGIN{print (x<=l)}')") |"
  done
  ipr=$(cell minilm8,ip,8 2)
  for m in bin:0.9:"V2 binary" grpc:0.9:"V2 gRPC (raw)" json:0.8:"V2 JSON"; do
    k=${m%%:*}; rest=${m#*:}; lim=${rest%%:*}; name=${rest#*:}
    v=$(cell "minilm8,$k,8" 2); x=$(awk -v a="$v" -v b="$ipr" 'BEGIN{printf "%.2f", a/b}')
    echo "| MiniLM-q 8 tok, 8 clients: $name ≥ ${lim}× in-process requests/s | $(printf '%.0f' "$v") vs $(printf '%.0f' "$ipr") (${x}×) | $(verdict "$(awk -v x="$x" -v l="$lim" 'BEGIN{print (x>=l)}')") |"
  done
  ip1=$(cell det640,ip,1 1); b1=$(cell det640,bin,1 1)
  x=$(awk -v a="$b1" -v b="$ip1" 'BEGIN{printf "%.2f", a/b}')
  echo "| ppocr-v4-det 640×640, 1 client: V2 binary ≤ 1.1× in-process | $b1 vs $ip1 ms (${x}×) | $(verdict "$(awk -v x="$x" 'BEGIN{print (x<=1.1)}')") |"
  gr=$(cell minilm8,grpc,8 2); br=$(cell minilm8,bin,8 2)
  x=$(awk -v a="$gr" -v b="$br" 'BEGIN{printf "%.2f", a/b}')
  echo "| MiniLM-q 8 tok, 8 clients: gRPC requests/s ≥ 0.9× REST binary's | $(printf '%.0f' "$gr") vs $(printf '%.0f' "$br") (${x}×) | $(verdict "$(awk -v x="$x" 'BEGIN{print (x>=0.9)}')") |"
  ipr=$(cell minilm8fp32,ip,8 2); br=$(cell minilm8fp32,batch,32 2)
  x=$(awk -v a="$br" -v b="$ipr" 'BEGIN{printf "%.2f", a/b}')
  echo "| MiniLM 8 tok (fp32: the int8 model cannot batch), batching at 32 clients ≥ 1.5× in-process unbatched (8 clients) | $(printf '%.0f' "$br") vs $(printf '%.0f' "$ipr") (${x}×) | $(verdict "$(awk -v x="$x" 'BEGIN{print (x>=1.5)}')") |"
  echo
  echo "Transport floor, 1 client, no model (same run): REST \`GET /v2/health/live\` p50 $FLOOR_REST ms, gRPC ServerLive p50 $FLOOR_GRPC ms."
  echo
  echo "Rerun: \`./mvnw -B package -DskipTests && bench/inference.sh\`"
} >"$OUT"
cat "$OUT"
