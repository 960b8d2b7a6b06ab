#!/usr/bin/env bash
# Management reads against the floor: every GET of the API description, measured in one run against
# a trivial endpoint (GET /v2/health/live) on the packaged jar serving the demo repository.
# Each read is measured right after the trivial endpoint (pairs, so the machine's noise hits both):
# p50 at 1 connection and requests/s at 16 connections, with wrk. Targets: p50 <= 2x the trivial
# endpoint's, requests/s >= 0.5x.
#
#   ./mvnw -B package -DskipTests && bench/management-latency.sh      (DURATION=8s CONNECTIONS=16)
#
# Writes bench/results/management-latency.md and prints it. Needs: java, wrk, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kiln-env.sh
. bench/kiln-env.sh

DURATION="${DURATION:-8s}"
CONNECTIONS="${CONNECTIONS:-16}"
PORT="${PORT:-18000}"
BASE="http://127.0.0.1:$PORT"
OUT=bench/results/management-latency.md
JAR=target/quarkus-app/quarkus-run.jar
TRIVIAL=/v2/health/live
READS=(
  /api/v1/setup/dependencies/health
  /api/v1/setup/ai-models/telemetry
  /api/v1/setup/models/status
  /api/v1/setup/status
  /api/v1/setup/template
  /api/v1/setup/inference-engines/status
)

command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 2; }
[ -f "$JAR" ] || { echo "$JAR missing: run ./mvnw -B package -DskipTests first" >&2; exit 2; }

REPO="$(mktemp -d)"
cp -r target/demo-models/. "$REPO/"
rm -f "$REPO/.kiln-settings.yaml"
LOG="$(mktemp)"
export TOKEN=bench-token
env "${KILN_GLIBC_ENV[@]}" AI_MODELS_ADMIN_TOKEN=$TOKEN \
  java -Dquarkus.http.port="$PORT" -Dquarkus.grpc.server.port=$((PORT + 1)) -Dai.models.repository="$REPO" -jar "$JAR" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$REPO" "$LOG"' EXIT

for _ in $(seq 1 240); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/q/health/started")" = 200 ] && break
  sleep 0.5
done
curl -sf "$BASE/q/health/started" >/dev/null || { echo "service did not start; log:" >&2; cat "$LOG" >&2; exit 1; }
curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/setup/ai-models/warm-up?includeLazy=true" >/dev/null

# run CONNECTIONS PATH: prints "p50_ms rps non200"
run() {
  local line
  line="$(wrk -t1 -c"$1" -d"$DURATION" -s bench/wrk/get.lua "$BASE$2" | grep '^KILN')"
  sed -E 's/KILN p50_ms=([0-9.]+) rps=([0-9.]+) non200=([0-9]+)/\1 \2 \3/' <<<"$line"
}

# JIT warm-up of every route before anything is measured
for path in "$TRIVIAL" "${READS[@]}"; do DURATION=4s run 4 "$path" >/dev/null; done

rows=""
misses=0
for path in "${READS[@]}"; do
  read -r t50 _ _ <<<"$(run 1 "$TRIVIAL")"
  read -r p50 _ e1 <<<"$(run 1 "$path")"
  read -r _ trps _ <<<"$(run "$CONNECTIONS" "$TRIVIAL")"
  read -r _ rps e2 <<<"$(run "$CONNECTIONS" "$path")"
  r50=$(awk -v a="$p50" -v b="$t50" 'BEGIN{printf "%.2f", a/b}')
  rrps=$(awk -v a="$rps" -v b="$trps" 'BEGIN{printf "%.2f", a/b}')
  ok=$(awk -v a="$r50" -v b="$rrps" 'BEGIN{print (a<=2.0 && b>=0.5) ? "met" : "missed"}')
  [ "$ok" = met ] || misses=$((misses + 1))
  rows+="| \`GET $path\` | $p50 | $t50 | **$r50×** | $(printf '%.0f' "$rps") | $(printf '%.0f' "$trps") | **$rrps×** | $((e1 + e2)) | $ok |"$'\n'
done

{
  echo "# Management reads against a trivial endpoint"
  echo
  echo "wrk, packaged jar (JVM $(java -version 2>&1 | head -1 | cut -d'"' -f2)), demo repository with all five models"
  echo "loaded, $(nproc) cores, load generator on the same machine. Each read is paired with \`GET $TRIVIAL\`"
  echo "measured just before it: p50 at 1 connection, requests/s at $CONNECTIONS connections, $DURATION each."
  echo "Target: p50 ≤ 2× the trivial endpoint's, requests/s ≥ 0.5×. Measured $(date -u +%Y-%m-%dT%H:%MZ)."
  echo
  echo "| read | p50 ms | trivial p50 ms | p50 ratio | req/s | trivial req/s | req/s ratio | non-200 | target |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s' "$rows"
  echo
  echo "Rerun: \`./mvnw -B package -DskipTests && bench/management-latency.sh\`"
} >"$OUT"
cat "$OUT"
[ "$misses" = 0 ] || echo "$misses read(s) missed the target" >&2
