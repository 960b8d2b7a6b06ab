#!/usr/bin/env bash
# Measured memory of each demo model (resident-memory delta at load and warm-up, file size as a
# floor), read from GET /api/v1/setup/ai-models/loaded over three fresh starts of the packaged jar.
# Needs: ./mvnw -B package -DskipTests, jq, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kiln-env.sh
. bench/kiln-env.sh
port=8766
runs=3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq 1 $runs); do
  rm -rf "$tmp/repo"; cp -r target/demo-models "$tmp/repo"; rm -f "$tmp/repo/.kiln-settings.yaml"
  env "${KILN_GLIBC_ENV[@]}" AI_MODELS_REPOSITORY="$tmp/repo" QUARKUS_HTTP_PORT=$port QUARKUS_GRPC_SERVER_PORT=$((port + 1)) java -jar target/quarkus-app/quarkus-run.jar > "$tmp/kiln.log" 2>&1 &
  pid=$!
  until curl -sf "localhost:$port/q/health/started" > /dev/null; do sleep 0.2; done
  curl -s "localhost:$port/api/v1/setup/ai-models/loaded" | jq -r '.models[] | "\(.name) \(.memory_bytes)"' >> "$tmp/all.txt"
  kill $pid; wait $pid 2>/dev/null || true
done
mkdir -p bench/results
{
  echo "# Measured model footprints ($(date -u +%Y-%m-%d), $(nproc) cores, $runs fresh starts, all models loaded and warmed)"
  echo
  echo "| model | file (MB) | measured min (MB) | measured max (MB) |"
  echo "|---|---:|---:|---:|"
  cut -d' ' -f1 "$tmp/all.txt" | sort -u | while read -r m; do
    file=$(stat -c %s "target/demo-models/$m/model.onnx")
    grep "^$m " "$tmp/all.txt" | awk -v m="$m" -v f="$file" '{v=$2; if(min==""||v<min)min=v; if(v>max)max=v} END {printf "| %s | %.1f | %.1f | %.1f |\n", m, f/1e6, min/1e6, max/1e6}'
  done
} | tee bench/results/footprints.md
