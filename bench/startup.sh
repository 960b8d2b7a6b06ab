#!/usr/bin/env bash
# Startup to /q/health/started, in one run on this machine, RUNS starts of each (median), taken in
# turns so the host's load falls on all of them alike:
#   jar, Java 17        the plain jar (target/quarkus-app), as `java -jar` runs it on Java 17
#   aot-jar, JDK 25     target/aot without its cache (what the cache saves)
#   AOT cache, JDK 25   target/aot with -XX:AOTCache=target/aot/app.aot (built by -Paot)
#   podman run          the JVM image (IMAGE) from `podman run` to started, as ContainerIT runs it
#                       (uid 10001, read-only root, tmpfs /tmp, the models volume kept between runs)
#   podman's own floor  `podman run --rm` of the same image and flags with /bin/true for its command:
#                       what podman and runc take on this machine before any process of ours runs
# each lazy (AI_MODELS_LAZY_LOAD=true) on the demo repository; then, on a repository of one eager
# int8 MiniLM and eight lazy fp32 MiniLM copies, eager against lazy startup and resident memory
# with the AOT cache: RSS when started, and settled (once Kiln logs that it gave back what starting
# took, after the startup rehearsals). The load average before and after is part of the result.
#
#   ./mvnw -B package -DskipTests && JAVA_HOME=$JDK25 ./mvnw -B package -DskipTests -Paot
#   podman build --format docker -f deployment/Dockerfile.jvm -t kiln:jvm .   (bases: see the README)
#   bench/startup.sh            (RUNS=5 JAVA17=... JAVA25=... IMAGE=localhost/kiln:jvm)
#
# Writes bench/results/startup.md and prints it. Needs: java 17 and 25, podman, curl. About 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/kiln-env.sh
. bench/kiln-env.sh

RUNS="${RUNS:-5}"
JAVA17="${JAVA17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}"
JAVA25="${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
IMAGE="${IMAGE:-localhost/kiln:jvm}"
PORT="${PORT:-18110}"
GRPC_PORT="${GRPC_PORT:-18111}"
OUT=bench/results/startup.md
for f in target/quarkus-app/quarkus-run.jar target/aot/quarkus-run.jar target/aot/app.aot; do
  [ -f "$f" ] || { echo "missing $f: build the plain jar and -Paot first (see the header)" >&2; exit 2; }
done
podman image exists "$IMAGE" || { echo "missing image $IMAGE (see the header)" >&2; exit 2; }

TMP="$(mktemp -d)"
PID=""
CTR="kiln-bench-startup-$$"
VOLUME="kiln-bench-startup-$$"
stop() { if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; fi; }
cleanup() { stop; podman rm -f -t 0 "$CTR" >/dev/null 2>&1 || true; podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT
LOAD_BEFORE="$(uptime | sed 's/.*load average: //')"

cp -r target/demo-models "$TMP/demo"
rm -f "$TMP/demo/.kiln-settings.yaml"
# One eager int8 MiniLM and eight lazy fp32 copies, each with its tokenizer.
mkdir -p "$TMP/nine"
cp -r target/demo-models/all-minilm-l6-v2-q "$TMP/nine/"
for i in 1 2 3 4 5 6 7 8; do
  mkdir -p "$TMP/nine/minilm-fp32-$i"
  cp target/demo-models/all-minilm-l6-v2/model.onnx target/demo-models/all-minilm-l6-v2/tokenizer.json "$TMP/nine/minilm-fp32-$i/"
  printf 'name: minilm-fp32-%s\ncategory: text\nlazy_load: true\n' "$i" > "$TMP/nine/minilm-fp32-$i/model.yaml"
done

await_started() {
  local deadline=$((SECONDS + 300))
  until curl -sf "http://127.0.0.1:$PORT/q/health/started" >/dev/null 2>&1; do
    if [ -n "$PID" ] && ! kill -0 "$PID" 2>/dev/null; then cat "$TMP/kiln.log" >&2; exit 1; fi
    if [ "$SECONDS" -gt "$deadline" ]; then echo "not started in 300 s" >&2; podman logs "$CTR" >&2 2>/dev/null || cat "$TMP/kiln.log" >&2; exit 1; fi
    sleep 0.01
  done
}

seconds() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b-a)/1e9}'; }

# jvm LAZY REPO JAVA JAR [options]: LAST = seconds from exec to started; the process keeps running as PID
jvm() {
  local lazy=$1 repo=$2 java=$3 jar=$4; shift 4
  local t0
  t0=$(date +%s%N)
  env "${KILN_GLIBC_ENV[@]}" AI_MODELS_LAZY_LOAD="$lazy" "$java" "$@" -Dquarkus.http.port="$PORT" \
    -Dquarkus.grpc.server.port="$GRPC_PORT" -Dai.models.repository="$repo" -jar "$jar" >"$TMP/kiln.log" 2>&1 &
  PID=$!
  await_started
  LAST=$(seconds "$t0" "$(date +%s%N)")
}

rss_mb() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$PID/status"; }

# RSS once Kiln has given back what starting took (its log says so after the startup rehearsals).
settled_rss_mb() {
  local deadline=$((SECONDS + 60))
  until grep -q 'after startup: resident memory' "$TMP/kiln.log"; do
    if [ "$SECONDS" -gt "$deadline" ]; then echo "no release after startup in 60 s" >&2; cat "$TMP/kiln.log" >&2; exit 1; fi
    sleep 0.1
  done
  rss_mb
}

# container: LAST = seconds from `podman run` to started; the container is removed after
container() {
  local t0
  t0=$(date +%s%N)
  podman run -d --name "$CTR" --user 10001:10001 --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,mode=1777,size=1g \
    -v "$VOLUME:/models" -e AI_MODELS_LAZY_LOAD=true -p "127.0.0.1:$PORT:8000" "$IMAGE" >/dev/null 2>>"$TMP/podman.log"
  await_started
  LAST=$(seconds "$t0" "$(date +%s%N)")
  podman rm -f -t 0 "$CTR" >/dev/null 2>>"$TMP/podman.log"
}

# floor: LAST = seconds of `podman run --rm` of the same image and flags running /bin/true
floor() {
  local t0
  t0=$(date +%s%N)
  podman run --rm --user 10001:10001 --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,mode=1777,size=1g \
    -v "$VOLUME:/models" --entrypoint /bin/true "$IMAGE" 2>>"$TMP/podman.log"
  LAST=$(seconds "$t0" "$(date +%s%N)")
}

# The volume is seeded from the image by a first run, as a pod's claim is before its restarts.
container

declare -A T
AOT=(-XX:AOTCache=target/aot/app.aot)
for _ in $(seq 1 "$RUNS"); do
  jvm true "$TMP/demo" "$JAVA17" target/quarkus-app/quarkus-run.jar; T[jar17]+="$LAST "; stop
  jvm true "$TMP/demo" "$JAVA25" target/aot/quarkus-run.jar; T[nocache]+="$LAST "; stop
  jvm true "$TMP/demo" "$JAVA25" target/aot/quarkus-run.jar "${AOT[@]}"; T[aot]+="$LAST "; stop
  container; T[podman]+="$LAST "
  floor; T[floor]+="$LAST "
done
for _ in $(seq 1 "$RUNS"); do
  jvm false "$TMP/nine" "$JAVA25" target/aot/quarkus-run.jar "${AOT[@]}"; T[nine_eager]+="$LAST "; T[nine_eager_rss]+="$(rss_mb) "
  T[nine_eager_settled]+="$(settled_rss_mb) "; stop
  jvm true "$TMP/nine" "$JAVA25" target/aot/quarkus-run.jar "${AOT[@]}"; T[nine_lazy]+="$LAST "; T[nine_lazy_rss]+="$(rss_mb) "
  T[nine_lazy_settled]+="$(settled_rss_mb) "; stop
done
LOAD_AFTER="$(uptime | sed 's/.*load average: //')"

median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
row() { echo "| $1 | $(median "${T[$2]}") | ${T[$2]% } |"; }
ratio() { awk -v a="$(median "${T[$1]}")" -v b="$(median "${T[$2]}")" 'BEGIN{printf "%.2f", a/b}'; }
verdict() { awk -v x="$1" -v lim="$2" 'BEGIN{print (x <= lim) ? "**met**" : "**missed**"}'; }

{
  echo "# Startup to /q/health/started"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, median of $RUNS starts each, taken in turns."
  echo "Load average before: $LOAD_BEFORE; after: $LOAD_AFTER."
  echo
  echo "Lazy (AI_MODELS_LAZY_LOAD=true), demo repository:"
  echo
  echo "| how | median s | runs s |"
  echo "|---|---:|---|"
  row "plain jar, Java 17 ($("$JAVA17" -version 2>&1 | head -1 | cut -d'"' -f2))" jar17
  row "aot-jar without the cache, JDK 25" nocache
  row "aot-jar with the AOT cache, JDK 25 ($("$JAVA25" -version 2>&1 | head -1 | cut -d'"' -f2))" aot
  row "podman run of $IMAGE to started" podman
  row "podman's own floor: podman run --rm of $IMAGE with /bin/true" floor
  echo
  echo "One eager int8 MiniLM and eight lazy fp32 MiniLM copies, AOT cache:"
  echo
  echo "| mode | median s | runs s | median RSS MB when started | runs | median RSS MB settled | runs |"
  echo "|---|---:|---|---:|---|---:|---|"
  for m in eager lazy; do
    echo "| $m | $(median "${T[nine_$m]}") | ${T[nine_$m]% } | $(median "${T[nine_${m}_rss]}") | ${T[nine_${m}_rss]% } | $(median "${T[nine_${m}_settled]}") | ${T[nine_${m}_settled]% } |"
  done
  echo
  echo "| target | measured | |"
  echo "|---|---|---|"
  a=$(median "${T[aot]}"); p=$(median "${T[podman]}"); f=$(median "${T[floor]}"); s=$(ratio nine_lazy nine_eager)
  r=$(ratio nine_lazy_rss nine_eager_rss); rs=$(ratio nine_lazy_settled nine_eager_settled)
  echo "| lazy startup with the AOT cache ≤ 0.8 s | $a s | $(verdict "$a" 0.8) |"
  echo "| podman run to started ≤ 1.0 s | $p s (podman's own floor here: $f s) | $(verdict "$p" 1.0) |"
  echo "| lazy ≤ 0.27× eager startup (nine models) | ${s}× | $(verdict "$s" 0.27) |"
  echo "| lazy RSS ≤ 0.22× eager RSS (nine models), when started | ${r}× | $(verdict "$r" 0.22) |"
  echo "| lazy RSS ≤ 0.22× eager RSS (nine models), settled | ${rs}× | $(verdict "$rs" 0.22) |"
} | tee "$OUT"
