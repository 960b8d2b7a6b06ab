#!/usr/bin/env bash
# CPU per call, MiniLM-q 8 tokens, 8 clients: where the ceiling of bench/inference.sh's 8-client ratios is.
# In turns, ROUNDS times, each cell DURATION long:
#   in-process   ONNX Runtime in a JVM of its own (InferenceBench, a global intra-op pool of INTRA threads,
#                1 by default: the better pool for this model at 8 clients); the CPU of that whole process
#   V2 binary, V2 JSON (wrk) and gRPC raw (h2load) against the packaged jar, batching off; the CPU of
#                Kiln's process (from /proc) and of the load generator (bash's time), each per answered call
# With both cores busy, calls/s is about 2 cores / the CPU per call of everything on them, so Kiln's
# requests/s over in-process's cannot exceed  in-process CPU per call / (Kiln's + its client's)  —
# the "ceiling" column, set against the ratio measured in the same round. With `perf` (Debian's
# linux-perf) present, one more V2 binary cell is profiled and Kiln's CPU split by where it ran:
# ONNX Runtime's library, JIT-compiled Java, the kernel, libc, the JVM itself.
#
#   ./mvnw -B package -DskipTests && bench/cpu.sh            (DURATION=10s WARMUP=25s ROUNDS=2 PERF=1)
#
# Writes bench/results/cpu.md and prints it. Needs: java, wrk, h2load, curl. About 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kiln-env.sh
. bench/kiln-env.sh

DURATION="${DURATION:-10s}"
SECS="${DURATION%s}"
WARMUP="${WARMUP:-25s}"
ROUNDS="${ROUNDS:-2}"
INTRA="${INTRA:-1}"
PERF="${PERF:-1}"
PORT="${PORT:-18130}"
GRPC_PORT="${GRPC_PORT:-18131}"
OUT=bench/results/cpu.md
MODEL=all-minilm-l6-v2-q
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 2; }
command -v h2load >/dev/null || { echo "h2load is required: apt-get install nghttp2-client" >&2; exit 2; }
if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ ! -f target/test-classes/dev/kiln/bench/InferenceBench.class ]; then
  echo "run ./mvnw -B package -DskipTests first" >&2; exit 2
fi
CP="target/test-classes:target/classes:$(./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
TICK=$(getconf CLK_TCK)

TMP="$(mktemp -d)"
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
java -cp "$CP" dev.kiln.bench.InferenceBench bodies "$TMP/bodies" >/dev/null
cp -r target/demo-models "$TMP/repo"
rm -f "$TMP/repo/.kiln-settings.yaml"
env "${KILN_GLIBC_ENV[@]}" java -Dai.models.inference.batching=false -Dquarkus.http.port="$PORT" -Dquarkus.grpc.server.port="$GRPC_PORT" \
  -Dai.models.repository="$TMP/repo" -jar target/quarkus-app/quarkus-run.jar >"$TMP/kiln.log" 2>&1 &
PID=$!
until curl -sf "http://127.0.0.1:$PORT/q/health/started" >/dev/null; do
  kill -0 "$PID" 2>/dev/null || { cat "$TMP/kiln.log" >&2; exit 1; }
  sleep 0.1
done
ANSWER=$(java -cp "$CP" dev.kiln.bench.InferenceBench grpc-frame "127.0.0.1:$GRPC_PORT" minilm8 "$TMP/grpc")

kiln_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
# load MODE SECONDS: one cell of 8 clients; prints "answered_calls client_cpu_seconds"
load() {
  local mode=$1 secs=$2 out="$TMP/load.out" TIMEFORMAT='%U %S' t
  case $mode in
    bin|json)
      local ctype=application/json hl=""
      [ "$mode" = bin ] && { ctype=application/octet-stream; hl=$(cat "$TMP/bodies/minilm8.bin.header-length"); }
      t=$( { time BODY="$TMP/bodies/minilm8.$mode" CTYPE=$ctype HEADER_LEN=$hl wrk -t1 -c8 -d"${secs}s" --timeout 30s \
        -s bench/wrk/post.lua "http://127.0.0.1:$PORT/v2/models/$MODEL/infer" >"$out" 2>>"$TMP/load.err"; } 2>&1 )
      # wrk's calls per second are of 200 answers only (post.lua); a non-200 voids the cell below
      awk -v s="$secs" -v t="$t" '/^KILN/ {split($3, r, "="); split($4, f, "="); if (f[2] > 0) {print "non-200 answers" > "/dev/stderr"; exit 1}
        split(t, c, " "); printf "%d %.3f\n", r[2] * s, c[1] + c[2]}' "$out" ;;
    grpc)
      t=$( { time h2load -c8 -m1 -D "$secs" -d "$TMP/grpc" -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$GRPC_PORT/inference.GRPCInferenceService/ModelInfer" >"$out" 2>>"$TMP/load.err"; } 2>&1 )
      # a call counts when its whole answer arrived: the data bytes over a successful answer's size (as bench/inference.sh)
      awk -v want="$ANSWER" -v t="$t" '/^traffic:/ {if (match($0, /\([0-9]+\) data/)) data = substr($0, RSTART + 1, RLENGTH - 7)}
        END {split(t, c, " "); printf "%d %.3f\n", int(data / want), c[1] + c[2]}' "$out" ;;
  esac
}
# kiln MODE: "calls/s server_ms_per_call client_ms_per_call"
kiln() {
  local k0 k1 calls client
  k0=$(kiln_ticks)
  read -r calls client < <(load "$1" "$SECS")
  k1=$(kiln_ticks)
  awk -v n="$calls" -v s="$SECS" -v k=$((k1 - k0)) -v hz="$TICK" -v c="$client" \
    'BEGIN {if (n == 0) exit 1; printf "%.1f %.3f %.3f\n", n / s, 1000 * k / hz / n, 1000 * c / n}'
}
# inprocess: "calls/s process_ms_per_call 0"
inprocess() {
  # glibc as Kiln runs it: its huge pages make ONNX Runtime's allocations cheaper for both alike
  env "${KILN_GLIBC_ENV[@]}" java -Dintra="$INTRA" -Dclient.warmup=10 -cp "$CP" dev.kiln.bench.InferenceBench inprocess "$TMP/repo" minilm8 8 "$SECS" >"$TMP/ip.out"
  awk '/^KILN/ {split($3, r, "=")} /^CPU/ {split($2, c, "=")} END {printf "%.1f %.3f 0\n", r[2], c[2]}' "$TMP/ip.out"
}

echo "warming Kiln ($WARMUP V2 binary, 10 s JSON, 10 s gRPC)..." >&2
load bin "${WARMUP%s}" >/dev/null; load json 10 >/dev/null; load grpc 10 >/dev/null
LOAD_BEFORE="$(uptime | sed 's/.*load average: //')"
declare -A R
for ((r = 1; r <= ROUNDS; r++)); do
  echo "round $r of $ROUNDS..." >&2
  R[ip,$r]=$(inprocess)
  for m in bin json grpc; do R[$m,$r]=$(kiln $m); done
done
SPLIT=""
if [ "$PERF" = 1 ] && command -v perf >/dev/null; then
  echo "profiling one V2 binary cell with perf..." >&2
  perf record -q -F 499 -p "$PID" -o "$TMP/perf.data" -- sleep "$SECS" >/dev/null 2>&1 &
  PERF_PID=$!
  load bin "$SECS" >/dev/null
  wait "$PERF_PID" || true
  SPLIT=$(perf report -q -i "$TMP/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null | awk '
    {p = $1; sub("%", "", p); d = $2
     k = d ~ /onnxruntime/ ? "ONNX Runtime (libonnxruntime)" : d ~ /^\[JIT\]|perf-/ ? "Java, JIT-compiled" : d ~ /kernel/ ? "kernel" \
       : d ~ /^libc\./ ? "libc (malloc, free, memcpy)" : d ~ /libjvm/ ? "the JVM (GC, compilers, runtime)" : "other"
     s[k] += p}
    END {for (k in s) printf "| %s | %.1f %% |\n", k, s[k]}' | sort -t'|' -k3 -rn)
fi
LOAD_AFTER="$(uptime | sed 's/.*load average: //')"

f() { awk -v v="$1" -v i="$2" 'BEGIN {split(v, a, " "); print a[i]}'; }
{
  echo "# CPU per call: MiniLM-q 8 tokens, 8 clients"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, the packaged jar (batching off) and ONNX Runtime in-process"
  echo "(a global pool of $INTRA intra-op thread(s)), $DURATION a cell after a $WARMUP warm-up, in turns, $ROUNDS rounds."
  echo "Load average before the rounds: $LOAD_BEFORE; after: $LOAD_AFTER. CPU is user + system time."
  echo
  echo "| round | side | calls/s | serving process, CPU ms a call | load generator, CPU ms a call | ceiling: in-process CPU / all CPU | measured: calls/s over in-process |"
  echo "|---:|---|---:|---:|---:|---:|---:|"
  for ((r = 1; r <= ROUNDS; r++)); do
    ip=${R[ip,$r]}
    echo "| $r | in-process | $(f "$ip" 1) | $(f "$ip" 2) | (the same process) | 1.00× | 1.00× |"
    for m in bin json grpc; do
      v=${R[$m,$r]}
      case $m in bin) label="V2 binary (wrk)" ;; json) label="V2 JSON (wrk)" ;; *) label="gRPC raw (h2load)" ;; esac
      awk -v l="$label" -v r="$r" -v v="$v" -v ip="$ip" 'BEGIN {split(v, a, " "); split(ip, b, " ");
        printf "| %s | %s | %s | %s | %s | %.2f× | %.2f× |\n", r, l, a[1], a[2], a[3], b[2] / (a[2] + a[3]), a[1] / b[1]}'
    done
  done
  if [ -n "$SPLIT" ]; then
    echo
    echo "Kiln's CPU on one more V2 binary cell, by where it ran (perf, 499 Hz):"
    echo
    echo "| where | share |"
    echo "|---|---:|"
    echo "$SPLIT"
  fi
  echo
  echo "Rerun: \`./mvnw -B package -DskipTests && bench/cpu.sh\`"
} | tee "$OUT"
