#!/usr/bin/env bash
# ONNX Runtime's CPU arena: memory given back on unload vs inference speed, one setting per JVM.
# Needs: ./mvnw -B test-compile (builds the demo repository and the harness).
set -euo pipefail
cd "$(dirname "$0")/.."
model=target/demo-models/all-minilm-l6-v2/model.onnx
[ -f "$model" ] || { echo "run ./mvnw -B test-compile first" >&2; exit 1; }
cp=$(./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test 2>/dev/null || ./mvnw -B -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)
mkdir -p bench/results
out=bench/results/memory.md
{
  echo "# ONNX Runtime CPU arena, fp32 all-MiniLM-L6-v2, 20 load/run/close cycles ($(date -u +%Y-%m-%d), $(nproc) cores)"
  echo
  echo "| setting | RSS before (MiB) | after 1st close | after 20th close | growth | p50 [1,128] (ms) |"
  echo "|---|---:|---:|---:|---:|---:|"
  for mode in arena-on arena-off arena-shrink; do
    java -cp "target/test-classes:target/classes:$cp" dev.kiln.bench.ArenaBench "$model" "$mode"
  done
  # glibc keeps freed memory unless told to give it back sooner: the price is paid in page faults.
  MALLOC_TRIM_THRESHOLD_=1048576 java -cp "target/test-classes:target/classes:$cp" dev.kiln.bench.ArenaBench "$model" arena-off \
    | sed 's/^| arena-off/| arena-off + MALLOC_TRIM_THRESHOLD_=1MiB/'
} | tee "$out"
