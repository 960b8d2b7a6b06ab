#!/usr/bin/env bash
# Latency of the management endpoints at 16 concurrent connections, measured with hey (a real
# HTTP load tool) against the packaged jar serving the demo repository.
#
#   ./mvnw -B package -DskipTests && bench/management-latency.sh        (DURATION=20s to change)
#
# Writes bench/results/management-latency.md and prints it. Needs: java, hey, curl (apt-get install hey).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-16}"
PORT="${PORT:-18000}"
BASE="http://127.0.0.1:$PORT"
OUT=bench/results/management-latency.md
JAR=target/quarkus-app/quarkus-run.jar

command -v hey >/dev/null || { echo "hey is required: apt-get install hey" >&2; exit 2; }
[ -f "$JAR" ] || { echo "$JAR missing: run ./mvnw -B package -DskipTests first" >&2; exit 2; }

REPO="$(mktemp -d)"
cp -r target/demo-models/. "$REPO/"
rm -f "$REPO/.kiln-settings.yaml"
LOG="$(mktemp)"
TOKEN=bench-token
AI_MODELS_ADMIN_TOKEN=$TOKEN java -Dquarkus.http.port="$PORT" -Dai.models.repository="$REPO" -jar "$JAR" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$REPO" "$LOG"' EXIT

for _ in $(seq 1 240); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/q/health/started")" = 200 ] && break
  sleep 0.5
done
curl -sf "$BASE/q/health/started" >/dev/null || { echo "service did not start; log:" >&2; cat "$LOG" >&2; exit 1; }
curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/setup/ai-models/warm-up" >/dev/null

# measure METHOD PATH: runs hey and prints one markdown row
measure() {
  local method=$1 path=$2 raw
  raw="$(hey -z "$DURATION" -c "$CONNECTIONS" -m "$method" -H "Authorization: Bearer $TOKEN" "$BASE$path")"
  local p50 p99 rps errors
  p50=$(awk '/ 50% in /{printf "%.1f", $3*1000}' <<<"$raw")
  p99=$(awk '/ 99% in /{printf "%.1f", $3*1000}' <<<"$raw")
  rps=$(awk '/Requests\/sec:/{printf "%.0f", $2}' <<<"$raw")
  errors=$(awk '/Status code distribution:/{f=1;next} f && /\[[0-9]+\]/{ if ($1 != "[200]") e+=$2 } END{print e+0}' <<<"$raw")
  echo "| \`$method $path\` | $p50 | $p99 | $rps | $errors |"
}

{
  echo "# Management endpoint latency"
  echo
  echo "hey, $CONNECTIONS concurrent connections, $DURATION per endpoint, packaged jar (JVM $(java -version 2>&1 | head -1 | cut -d'"' -f2)),"
  echo "demo repository with all five models loaded and warm, $(nproc) cores. Measured $(date -u +%Y-%m-%dT%H:%MZ)."
  echo
  echo "| endpoint | p50 ms | p99 ms | requests/s | non-200 |"
  echo "|---|---:|---:|---:|---:|"
  measure GET /api/v1/setup/dependencies/health
  measure GET /api/v1/setup/ai-models/telemetry
  measure GET /api/v1/setup/models/status
  measure POST /api/v1/setup/ai-models/warm-up
} >"$OUT"
cat "$OUT"
