#!/usr/bin/env bash
# OLD vs NEW answers, byte for byte (issue 20: "gRPC, REST and /v1/embeddings answers are bit-identical
# to today's for every datatype the tests cover").
#
# Starts two packaged Kiln jars side by side, each on its own copy of the demo repository plus tiny
# identity models of every datatype the tests cover (bench/ab/WriteModels.java, through runtime/TinyOnnx),
# sends both the same requests (bench/ab/AnswersAB.java: V2 REST JSON and binary, gRPC raw and typed,
# /v1/embeddings float and base64, bad requests) and compares status, content type, the binary header
# length and the body bytes. The report goes to $OUT/report.md (differing bodies under $OUT/diffs/).
#
#   bench/ab/answers.sh [OLD_CHECKOUT]        # default OLD: ../old; NEW: this checkout
#
# Both checkouts must be packaged first (./mvnw -B -q package -DskipTests). Exit code 1 when an answer
# that succeeded on both sides differs (one-sided successes are listed for a reader to judge). Takes about 2-4 minutes on 2 cores.
set -euo pipefail

NEW_DIR=$(cd "$(dirname "$0")/../.." && pwd)
OLD_DIR=$(cd "${1:-$NEW_DIR/../old}" && pwd)
OLD_HTTP=${OLD_HTTP:-18510}; OLD_GRPC=${OLD_GRPC:-18511}
NEW_HTTP=${NEW_HTTP:-18520}; NEW_GRPC=${NEW_GRPC:-18521}
OUT=${OUT:-$NEW_DIR/target/ab}
HEAP=${HEAP:-2g}

for d in "$OLD_DIR" "$NEW_DIR"; do
    [ -f "$d/target/quarkus-app/quarkus-run.jar" ] || { echo "no packaged jar in $d (./mvnw -B -q package -DskipTests)" >&2; exit 2; }
    [ -d "$d/target/demo-models" ] || { echo "no target/demo-models in $d" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/kiln-ab.XXXXXX)
PIDS=()
# shellcheck disable=SC2317 # called by the trap below
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "OLD: $OLD_DIR ($(git -C "$OLD_DIR" rev-parse --short HEAD))"
echo "NEW: $NEW_DIR ($(git -C "$NEW_DIR" rev-parse --short HEAD))"
echo "work: $WORK, report: $OUT/report.md"

# The same model files for both (the demo models come from the same Maven artifacts; checked here).
if ! diff -rq "$OLD_DIR/target/demo-models" "$NEW_DIR/target/demo-models" >/dev/null; then
    echo "note: the two builds' demo-models differ; both servers get NEW's:" >&2
    diff -rq "$OLD_DIR/target/demo-models" "$NEW_DIR/target/demo-models" >&2 || true
fi
cp -r "$NEW_DIR/target/demo-models" "$WORK/old-repo"
cp -r "$NEW_DIR/target/demo-models" "$WORK/new-repo"
rm -f "$WORK"/*/.kiln-settings.yaml

(cd "$NEW_DIR" && ./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >/dev/null)
CP="$NEW_DIR/target/classes:$(cat "$WORK/cp.txt")"
java -cp "$CP" "$NEW_DIR/bench/ab/WriteModels.java" "$WORK/old-repo" "$WORK/new-repo"

start() {   # name dir http grpc repo
    mkdir -p "$WORK/$1-run"
    (cd "$WORK/$1-run" && exec env -u AI_MODELS_LAZY_LOAD -u AI_MODELS_ADMIN_TOKEN -u AI_MODELS_PROTECT_INFERENCE \
        AI_MODELS_REPOSITORY="$5" java -Xmx"$HEAP" -Dquarkus.http.port="$3" -Dquarkus.grpc.server.port="$4" \
        -jar "$2/target/quarkus-app/quarkus-run.jar" >"$WORK/$1.log" 2>&1) &
    PIDS+=($!)
}
start old "$OLD_DIR" "$OLD_HTTP" "$OLD_GRPC" "$WORK/old-repo"
start new "$NEW_DIR" "$NEW_HTTP" "$NEW_GRPC" "$WORK/new-repo"

for port in "$OLD_HTTP" "$NEW_HTTP"; do
    for path in /q/health/started /q/health/ready; do
        for i in $(seq 1 300); do
            [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")" = 200 ] && break
            [ "$i" = 300 ] && { echo "port $port: $path not UP after 300 s; logs in $WORK" >&2; exit 2; }
            sleep 1
        done
    done
done
echo "both servers started and ready"
for port in "$OLD_HTTP" "$NEW_HTTP"; do
    curl -s "http://127.0.0.1:$port/v2/repository/index" -X POST | tr ',' '\n' | grep -c '"READY"' | sed "s/^/port $port: READY models: /"
done

mkdir -p "$OUT"
rm -rf "$OUT/diffs"
set +e
java -cp "$CP" "$NEW_DIR/bench/ab/AnswersAB.java" "http://127.0.0.1:$OLD_HTTP" "127.0.0.1:$OLD_GRPC" \
    "http://127.0.0.1:$NEW_HTTP" "127.0.0.1:$NEW_GRPC" "$OUT" >/dev/null
rc=$?
set -e
cp "$WORK/old.log" "$WORK/new.log" "$OUT/" 2>/dev/null || true
sed -n '1,/^## Differences in successful/p' "$OUT/report.md"
echo "exit $rc; full report: $OUT/report.md"
exit $rc
