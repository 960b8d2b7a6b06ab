#!/usr/bin/env bash
# Kiln against ONNX Runtime in-process, in one run on this machine: p50 and requests/s at 1, 8 and
# 32 clients for
#   in-process   ONNX Runtime in a Java process of its own, same model file, at its best setting for
#                each case: one global intra-op pool of 1 thread and of $(nproc) threads are both
#                measured and the one with more requests/s is the yardstick (no spinning, arena on)
#   V2 JSON      POST /v2/models/{m}/infer, JSON tensors          (server with batching off)
#   V2 binary    the same with the binary tensor extension         (server with batching off)
#   gRPC         V2 gRPC ModelInfer, raw contents, from h2load  (server with batching off)
#   binary+batch V2 binary, dynamic batching as the manifests set it
# and, for MiniLM-q 8 tokens, gRPC from grpc-java's own client too (InferenceBench, a JVM: it costs
# about 0.7 of a core at 8 clients on the same two cores, which is why h2load, in C like wrk, is the
# load generator the gRPC targets are measured with).
# on all-minilm-l6-v2-q (8 and 128 tokens), ppocr-v4-det (640x640) and, because the int8 MiniLM
# cannot be batched exactly (DynamicQuantizeLinear), the fp32 all-minilm-l6-v2 (8 tokens).
# Startup is bench/startup.sh's.
#
#   ./mvnw -B package -DskipTests && bench/inference.sh       (DURATION=10s WARMUP=25s)
#
# Writes bench/results/inference.md and prints it. Needs: java, wrk, h2load (Debian's nghttp2-client),
# curl. Takes about 35 minutes (ROUNDS=1: about 27).
# The Java load generators (in-process ONNX Runtime, grpc-java's client) are JVMs of their own per cell:
# each runs its loop unmeasured for CLIENT_WARMUP seconds first, so that its JIT does not compile on
# the two cores while the cell is measured (wrk, in C, needs none).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kiln-env.sh
. bench/kiln-env.sh

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
command -v h2load >/dev/null || { echo "h2load is required: apt-get install nghttp2-client" >&2; exit 2; }
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
  env "${KILN_GLIBC_ENV[@]}" java "$@" -Dquarkus.http.port="$PORT" -Dquarkus.grpc.server.port="$GRPC_PORT" -Dai.models.repository="$TMP/repo" \
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

# h2load RPC BODY CLIENTS SECONDS ANSWER_BYTES: gRPC calls from h2load, CLIENTS connections with one call
# in flight on each (as wrk's); prints "p50_ms rps bad", rps counting whole answers only. h2load does not
# read gRPC's trailers, so a call counts as answered only by its bytes: every successful answer to BODY is
# ANSWER_BYTES of data. h2load's data total also holds the bytes of the calls in flight when the duration
# ends (they are not in "done"), so up to CLIENTS failures can hide in one run; and with -D it neither
# reconnects nor reports a lost or refused HTTP/2 connection: the call-time check below catches those.
h2() {
  local log="$TMP/h2load.log" out lat; rm -f "$log"
  [[ $5 =~ ^[1-9][0-9]*$ ]] || { echo "h2: answer size '$5' is not a byte count" >&2; exit 1; }
  out=$(h2load -c"$3" -m1 -D "$4" -d "$2" --log-file="$log" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$GRPC_PORT/inference.GRPCInferenceService/$1")
  lat=$(cut -f3 "$log" | sort -n | awk '{a[NR]=$1; s+=$1} END{printf "%.3f %d %d", (NR ? a[int((NR+1)/2)]/1000 : 0), s, a[NR]}')
  awk -v want="$5" -v c="$3" -v secs="$4" -v lat="$lat" '
    /^requests:/ {done=$6; failed=$10; timeout=$14; n++}
    /^status codes:/ {n++}
    /^traffic:/ {if (match($0, /\([0-9]+\) data/)) {data=substr($0, RSTART+1, RLENGTH-7); n++}}
    END {
      if (n != 3) {print "h2: unreadable h2load output" > "/dev/stderr"; exit 1}
      split(lat, l, " ")
      # "failed" already holds the non-2xx and errored calls, which done - whole counts too: the larger of the two
      bad = done - int(data / want); if (bad < failed) bad = failed; bad += timeout
      # one call in flight per connection: the logged call times add up to about c*secs, less at most one
      # call per connection at the end; a whole connection short means one was refused or lost
      idle = c * (1 - l[3] / (secs * 1e6)) - l[2] / (secs * 1e6)
      if (idle >= 1) bad += int(idle)
      if (done == 0 && bad == 0) bad = c
      ok = done - bad; if (ok < 0) ok = 0
      printf "%s %.1f %d\n", l[1], ok / secs, bad }' <<<"$out"
}

# grpc CASE CLIENTS: V2 gRPC ModelInfer with raw contents from h2load
grpc() { h2 ModelInfer "$TMP/bodies/$1.grpc" "$2" "${DURATION%s}" "${ANSWER[$1]}"; }

# grpcjava CASE CLIENTS: the same calls from grpc-java's blocking stub, threads on one channel
grpcjava() {
  java -Dclient.warmup="$CLIENT_WARMUP" -cp "$CP" dev.kiln.bench.InferenceBench grpc "127.0.0.1:$GRPC_PORT" "$1" "$2" "${DURATION%s}" \
    | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+) rps=([0-9.]+) non200=([0-9]+)/\1 \2 \3/'
}

# inprocess CASE CLIENTS THREADS: ONNX Runtime alone, with a global intra-op pool of THREADS
inprocess() {
  # glibc as Kiln runs it: its huge pages make ONNX Runtime's allocations cheaper for both alike
  env "${KILN_GLIBC_ENV[@]}" java -Dintra="$3" -Dclient.warmup="$CLIENT_WARMUP" -cp "$CP" dev.kiln.bench.InferenceBench inprocess "$TMP/repo" "$1" "$2" "${DURATION%s}" \
    | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+) rps=([0-9.]+) non200=([0-9]+)/\1 \2 \3/'
}
# best A B: the result with more requests/s, and which pool it had
best() { awk -v a="$1" -v b="$2" 'BEGIN{split(a,x," "); split(b,y," "); if (x[2]+0 >= y[2]+0) print a; else print b}'; }

CASES=(minilm8 minilm128 det640 minilm8fp32)
CLIENTS=(1 8 32)
declare -A R
# cell KEY FIELD: p50 (1), rps (2) or failed calls (3) of a result, "n/a" when absent
cell() { local v=${R[$1]:-}; if [ -z "$v" ]; then echo "n/a"; else awk -v f="$2" '{print $f}' <<<"$v"; fi; }

# The JIT needs tens of seconds before Kiln's request path stops getting faster.
warm() {
  for c in "${CASES[@]}"; do
    for m in json bin; do post "$c" "$m" 4 3s >/dev/null; done
    h2 ModelInfer "$TMP/bodies/$c.grpc" 4 3 "${ANSWER[$c]}" >/dev/null
  done
  post minilm8 bin 8 "$WARMUP" >/dev/null
  post minilm8 json 8 10s >/dev/null
  h2 ModelInfer "$TMP/bodies/minilm8.grpc" 8 10 "${ANSWER[minilm8]}" >/dev/null
}

# frames: each case's ModelInfer as h2load's body, and the size of its answer (one call through grpc-java)
declare -A ANSWER
frames() {
  for c in "${CASES[@]}"; do
    ANSWER[$c]=$(java -cp "$CP" dev.kiln.bench.InferenceBench grpc-frame "127.0.0.1:$GRPC_PORT" "$c" "$TMP/bodies/$c.grpc")
  done
}

# measure CASE CLIENTS [SUFFIX]: ONNX Runtime in-process (both pools) and Kiln's three transports, back
# to back, so that each comparison is made within a minute or two of this shared host's time (its speed
# drifts by tens of per cent over a quarter of an hour); the Kiln server idles while in-process runs.
measure() {
  local c=$1 n=$2 k=${3:-}
  R[$c,ip1,$n$k]=$(inprocess "$c" "$n" 1)
  R[$c,ipN,$n$k]=$(inprocess "$c" "$n" "$CPUS")
  R[$c,ip,$n$k]=$(best "${R[$c,ip1,$n$k]}" "${R[$c,ipN,$n$k]}")
  R[$c,json,$n$k]=$(post "$c" json "$n" "$DURATION")
  R[$c,bin,$n$k]=$(post "$c" bin "$n" "$DURATION")
  R[$c,grpc,$n$k]=$(grpc "$c" "$n")
}
# The cells the targets read are measured again, ROUNDS times, once the whole table has run (so the server's
# JIT has seen every path for minutes, as each in-process JVM has warmed its own); targets take medians.
ROUNDS="${ROUNDS:-3}"
TARGET_CELLS=(minilm8:1 minilm8:8 det640:1)
CPUS=$(nproc)

echo "Kiln (batching off) and ONNX Runtime in-process (1 and $CPUS threads), cell by cell..." >&2
start -Dai.models.inference.batching=false
frames
warm
for c in "${CASES[@]}"; do for n in "${CLIENTS[@]}"; do measure "$c" "$n"; done; done
for ((r = 1; r <= ROUNDS; r++)); do
  echo "round $r of the target cells..." >&2
  for t in "${TARGET_CELLS[@]}"; do measure "${t%:*}" "${t#*:}" "@$r"; done
done
for n in "${CLIENTS[@]}"; do R[minilm8,grpcjava,$n]=$(grpcjava minilm8 "$n"); done
# The transports' own floor at 1 client, no model: what a request costs before Kiln's work.
FLOOR_REST=$(wrk -t1 -c1 -d"$DURATION" -s bench/wrk/get.lua "$BASE/v2/health/live" | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+).*/\1/')
printf '\0\0\0\0\0' >"$TMP/bodies/live.grpc"   # an empty ServerLiveRequest; its answer (live: true) is 7 bytes
R[floor,grpclive,1]=$(h2 ServerLive "$TMP/bodies/live.grpc" 1 "${DURATION%s}" 7)   # in R: its failures are counted
FLOOR_GRPC=$(cell floor,grpclive,1 1)
FLOOR_GRPC_JAVA=$(java -Dclient.warmup="$CLIENT_WARMUP" -cp "$CP" dev.kiln.bench.InferenceBench grpc-live "127.0.0.1:$GRPC_PORT" 1 "${DURATION%s}" \
  | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+).*/\1/')
stop

echo "Kiln, batching as the manifests say..." >&2
start
warm
for c in det640 minilm8fp32; do for n in "${CLIENTS[@]}"; do R[$c,batch,$n]=$(post "$c" bin "$n" "$DURATION"); done; done
stop

# mid: the median of the numbers on stdin (the mean of the middle two for an even count); n/a when none
mid() { { grep -E '^-?[0-9]+(\.[0-9]+)?$' || true; } | sort -g | awk '{a[NR]=$1} END{if (!NR) print "n/a"; else print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
# key CLIENTS ROUND: a cell's key suffix in round ROUND
key() { echo "$1@$2"; }
# med CASE METHOD CLIENTS FIELD: the median of a target cell's field over the rounds
med() { local r; for ((r = 1; r <= ROUNDS; r++)); do cell "$1,$2,$(key "$3" "$r")" "$4"; done | mid; }
# pmed CASE A B CLIENTS FIELD OP: the median over the rounds of (A OP B), A and B from the same round (back to back)
pmed() {
  local r k
  for ((r = 1; r <= ROUNDS; r++)); do
    k=$(key "$4" "$r")
    awk -v a="$(cell "$1,$2,$k" "$5")" -v b="$(cell "$1,$3,$k" "$5")" -v op="$6" \
      'BEGIN{if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || (op == "/" && b == 0)) exit; printf "%.4f\n", op == "/" ? a / b : a - b}'
  done | mid
}
# failed CASE METHOD CLIENTS: failed calls over the rounds
failed() { local r; for ((r = 1; r <= ROUNDS; r++)); do cell "$1,$2,$(key "$3" "$r")" 3; done | awk '{s += $1} END{print s + 0}'; }
# num VALUE: VALUE rounded, or as it is when it is not a number (n/a), never failing under set -e
num() { fmt '%.0f' "$1"; }
# fmt FORMAT VALUE: VALUE printed with FORMAT, or as it is when it is not a number
# shellcheck disable=SC2059  # the format is the point
fmt() { if [[ $2 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; then printf "$1" "$2"; else printf '%s' "$2"; fi; }
verdict() { awk -v ok="$1" 'BEGIN{print (ok + 0) ? "**met**" : "**missed**"}'; }

{
  echo "# Inference: Kiln against ONNX Runtime in-process"
  echo
  echo "One run, packaged jar (JVM $(java -version 2>&1 | head -1 | cut -d'"' -f2)), $(nproc) cores, wrk, h2load and the in-process"
  echo "client on the same machine, $DURATION per cell after a ${WARMUP} JIT warm-up of the server; each row's in-process and Kiln"
  echo "cells ran back to back, with the server idle while in-process ran"
  echo "(the in-JVM clients, in-process and grpc-java, each ran ${CLIENT_WARMUP}s unmeasured first). Cells: p50 ms / requests/s."
  echo "Failed calls (non-200, or a gRPC call without its whole answer): $(for k in "${!R[@]}"; do awk '{print $3}' <<<"${R[$k]}"; done | awk '{s+=$1} END{print s+0}')."
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ)."
  echo
  echo "| case | clients | in-process, 1 thread | in-process, $CPUS threads | V2 JSON | V2 binary | V2 gRPC (raw) | V2 gRPC, grpc-java client | V2 binary + batching |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in "${CASES[@]}"; do for n in "${CLIENTS[@]}"; do
    row="| $c (${MODEL[$c]}) | $n"
    for m in ip1 ipN json bin grpc grpcjava batch; do
      if [ -z "${R[$c,$m,$n]:-}" ]; then row+=" | n/a"; continue; fi
      row+=" | $(cell "$c,$m,$n" 1) / $(num "$(cell "$c,$m,$n" 2)")"
      bad=$(cell "$c,$m,$n" 3)
      [ "$bad" = 0 ] || row+=" ($bad failed)"
    done
    echo "$row |"
  done; done
  echo
  echo "Batching n/a for the int8 MiniLM: Kiln refuses to batch models with DynamicQuantizeLinear (the"
  echo "quantisation scale is computed over the whole batch, so rows would change with their neighbours)."
  echo
  echo "## Targets (issue 20), against in-process ONNX Runtime at its best setting for each case"
  echo
  echo "The cells these targets read were measured again in $ROUNDS rounds after the whole table above; in each round"
  echo "in-process (both pools, the better one taken) and Kiln's three transports ran back to back. Each figure"
  echo "below is the median over the rounds:"
  echo
  echo "| cell | round | in-process best | V2 JSON | V2 binary | V2 gRPC (raw) |"
  echo "|---|---:|---:|---:|---:|---:|"
  for t in "${TARGET_CELLS[@]}"; do
    c=${t%:*}; n=${t#*:}
    for ((r = 1; r <= ROUNDS; r++)); do
      k=$(key "$n" "$r")
      row="| $c, $n client(s) | $r"
      for m in ip json bin grpc; do
        row+=" | $(cell "$c,$m,$k" 1) / $(num "$(cell "$c,$m,$k" 2)")"
        bad=$(cell "$c,$m,$k" 3); [ "$bad" = 0 ] || row+=" ($bad failed)"
      done
      echo "$row |"
    done
    row="| $c, $n client(s) | median"
    for m in ip json bin grpc; do row+=" | $(fmt '%.3f' "$(med "$c" "$m" "$n" 1)") / $(num "$(med "$c" "$m" "$n" 2)")"; done
    echo "$row |"
  done
  echo
  echo "| target | measured (medians) | |"
  echo "|---|---|---|"
  # each verdict reads the median over the rounds of the round's own difference or ratio (the two sides ran
  # back to back), and is void when any round of either side lost calls
  ok() { if [ "$(( $(failed "$1" "$2" "$4") + $(failed "$1" "$3" "$4") ))" != 0 ]; then echo "**void: failed calls**"; else verdict "$5"; fi; }
  ip1=$(med minilm8 ip 1 1)
  for m in bin:0.3:"V2 binary" grpc:0.3:"V2 gRPC (raw)" json:0.6:"V2 JSON"; do
    k=${m%%:*}; rest=${m#*:}; lim=${rest%%:*}; name=${rest#*:}
    v=$(med minilm8 "$k" 1 1); d=$(pmed minilm8 "$k" ip 1 1 -)
    echo "| MiniLM-q 8 tok, 1 client: $name p50 within +$lim ms | $(fmt '%.3f' "$v") vs $(fmt '%.3f' "$ip1") ms (median of the rounds' differences $(fmt '%+.2f' "$d") ms) | $(ok minilm8 "$k" ip 1 "$(awk -v x="$d" -v l="$lim" 'BEGIN{print (x != "n/a" && x <= l)}')") |"
  done
  ipr=$(med minilm8 ip 8 2)
  for m in bin:0.9:"V2 binary" grpc:0.9:"V2 gRPC (raw)" json:0.8:"V2 JSON"; do
    k=${m%%:*}; rest=${m#*:}; lim=${rest%%:*}; name=${rest#*:}
    v=$(med minilm8 "$k" 8 2); x=$(pmed minilm8 "$k" ip 8 2 /)
    echo "| MiniLM-q 8 tok, 8 clients: $name ≥ ${lim}× in-process requests/s | $(num "$v") vs $(num "$ipr") (median of the rounds' ratios $(fmt '%.2f' "$x")×) | $(ok minilm8 "$k" ip 8 "$(awk -v x="$x" -v l="$lim" 'BEGIN{print (x != "n/a" && x >= l)}')") |"
  done
  ip1=$(med det640 ip 1 1); b1=$(med det640 bin 1 1); x=$(pmed det640 bin ip 1 1 /)
  echo "| ppocr-v4-det 640×640, 1 client: V2 binary ≤ 1.1× in-process | $(fmt '%.3f' "$b1") vs $(fmt '%.3f' "$ip1") ms (median of the rounds' ratios $(fmt '%.2f' "$x")×) | $(ok det640 bin ip 1 "$(awk -v x="$x" 'BEGIN{print (x != "n/a" && x <= 1.1)}')") |"
  gr=$(med minilm8 grpc 8 2); br=$(med minilm8 bin 8 2); x=$(pmed minilm8 grpc bin 8 2 /)
  echo "| MiniLM-q 8 tok, 8 clients: gRPC requests/s ≥ 0.9× REST binary's | $(num "$gr") vs $(num "$br") (median of the rounds' ratios $(fmt '%.2f' "$x")×) | $(ok minilm8 grpc bin 8 "$(awk -v x="$x" 'BEGIN{print (x != "n/a" && x >= 0.9)}')") |"
  # batching (not an issue 20 target): one run, the table's cells
  ipr=$(cell minilm8fp32,ip,8 2); br=$(cell minilm8fp32,batch,32 2)
  x=$(awk -v a="$br" -v b="$ipr" 'BEGIN{printf "%.2f", a/b}')
  echo "| MiniLM 8 tok (fp32: the int8 model cannot batch), batching at 32 clients ≥ 1.5× in-process unbatched (8 clients) | $(num "$br") vs $(num "$ipr") (${x}×) | $(verdict "$(awk -v x="$x" 'BEGIN{print (x>=1.5)}')") |"
  echo
  echo "V2 gRPC (raw) is h2load's (nghttp2, in C, as wrk is for REST): N connections, one call in flight on each; a"
  echo "call counts as answered only when its whole answer arrived (h2load does not read gRPC's trailers, so the"
  echo "answers' data bytes are checked against the size of a successful one). grpc-java's client (MiniLM-q 8 tokens"
  echo "only: threads on one channel) is a JVM on the same two cores, and its own work limits what it measures."
  echo
  echo "Transport floor, 1 client, no model (same run): REST \`GET /v2/health/live\` p50 $FLOOR_REST ms (wrk), gRPC ServerLive p50 $FLOOR_GRPC ms (h2load), $FLOOR_GRPC_JAVA ms (grpc-java)."
  echo
  echo "Rerun: \`./mvnw -B package -DskipTests && bench/inference.sh\`"
} >"$OUT"
cat "$OUT"
