#!/usr/bin/env bash
# Sentences per second through POST /v1/embeddings against LangChain4j's in-process int8
# all-MiniLM-L6-v2 (the same model file) in the same run: one sentence per request at 1, 8 and 32
# clients, and one request of 64 sentences at 1 client.
#
#   ./mvnw -B package -DskipTests && bench/embeddings.sh         (DURATION=10s WARMUP=20s)
#
# Writes bench/results/embeddings.md and prints it. Needs: java, wrk, curl. About 4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kiln-env.sh
. bench/kiln-env.sh

DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-20s}"
PORT="${PORT:-18200}"
BASE="http://127.0.0.1:$PORT"
OUT=bench/results/embeddings.md
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 2; }
if [ ! -f target/quarkus-app/quarkus-run.jar ] || [ ! -f target/test-classes/dev/kiln/bench/EmbeddingBench.class ]; then
  echo "run ./mvnw -B package -DskipTests first" >&2; exit 2
fi
CP="target/test-classes:target/classes:$(./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"

TMP="$(mktemp -d)"
PID=""
trap 'if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi; rm -rf "$TMP"' EXIT
java -cp "$CP" dev.kiln.bench.EmbeddingBench bodies "$TMP"
cp -r target/demo-models "$TMP/repo"
rm -f "$TMP/repo/.kiln-settings.yaml"
env "${KILN_GLIBC_ENV[@]}" java -Dquarkus.http.port="$PORT" -Dquarkus.grpc.server.port=$((PORT + 1)) -Dai.models.repository="$TMP/repo" \
  -jar target/quarkus-app/quarkus-run.jar >"$TMP/kiln.log" 2>&1 &
PID=$!
until curl -sf "$BASE/q/health/started" >/dev/null; do
  kill -0 "$PID" 2>/dev/null || { cat "$TMP/kiln.log" >&2; exit 1; }
  sleep 0.2
done

# kiln MODEL BODY CLIENTS DURATION: "p50_ms rps non200"
kiln() {
  sed "s/MODEL/$1/" "$TMP/$2.json" >"$TMP/body.json"
  BODY="$TMP/body.json" wrk -t1 -c"$3" -d"$4" --timeout 30s -s bench/wrk/post.lua "$BASE/v1/embeddings" \
    | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+) rps=([0-9.]+) non200=([0-9]+)/\1 \2 \3/'
}
inprocess() {
  java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "$CP" dev.kiln.bench.EmbeddingBench inprocess "$1" "${DURATION%s}" "$2" \
    | grep '^KILN' | sed -E 's/KILN p50_ms=([0-9.]+) rps=([0-9.]+) non200=([0-9]+)/\1 \2 \3/'
}

Q=all-minilm-l6-v2-q
kiln $Q one 8 "$WARMUP" >/dev/null
kiln $Q batch64 2 5s >/dev/null
kiln all-minilm-l6-v2 batch64 2 5s >/dev/null

row() { # KILN-RESULT INPROCESS-RESULT SENTENCES-PER-CALL LABEL
  local kp kr ke ip ir
  read -r kp kr ke <<<"$1"
  read -r ip ir _ <<<"$2"
  printf '| %s | %.0f | %s | %.0f | %s | %.2f× | %s |\n' "$4" "$(awk -v r="$ir" -v n="$3" 'BEGIN{print r*n}')" "$ip" \
    "$(awk -v r="$kr" -v n="$3" 'BEGIN{print r*n}')" "$kp" "$(awk -v a="$kr" -v b="$ir" 'BEGIN{print a/b}')" "$ke"
}
rows=""
for c in 1 8 32; do
  rows+="$(row "$(kiln $Q one $c "$DURATION")" "$(inprocess $c 1)" 1 "1 sentence per request, $c client(s)")"$'\n'
done
rows+="$(row "$(kiln $Q batch64 1 "$DURATION")" "$(inprocess 1 64)" 64 "64 sentences in one request, 1 client")"$'\n'
FP=$(kiln all-minilm-l6-v2 batch64 1 "$DURATION")

{
  echo "# Embeddings: Kiln's /v1/embeddings against LangChain4j in-process"
  echo
  echo "One run, packaged jar (JVM $(java -version 2>&1 | head -1 | cut -d'"' -f2)), $(nproc) cores, wrk and the in-process"
  echo "model on the same machine, $DURATION per cell. Both sides: all-MiniLM-L6-v2 int8, the same model file."
  echo "LangChain4j runs ONNX Runtime with its defaults in the bench's own JVM; Kiln over HTTP, JSON in and out."
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ)."
  echo
  echo "| work | LangChain4j sentences/s | LangChain4j p50 ms | Kiln sentences/s | Kiln p50 ms | Kiln / LangChain4j | Kiln non-200 |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '%s' "$rows"
  read -r fp fr fe <<<"$FP"
  echo
  echo "The fp32 all-minilm-l6-v2, which Kiln runs in padded batches of up to 32 rows (the int8 model cannot"
  echo "be batched exactly), 64 sentences in one request: $(awk -v r="$fr" 'BEGIN{printf "%.0f", r*64}') sentences/s, p50 $fp ms ($fe non-200)."
  echo
  echo "Rerun: \`./mvnw -B package -DskipTests && bench/embeddings.sh\`"
} >"$OUT"
cat "$OUT"
