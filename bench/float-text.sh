#!/usr/bin/env bash
# JSON floats (runtime/FloatText): every finite float bit pattern printed by FloatText and by Jackson's
# fast writer (what Kiln's JSON answers used before), compared one by one; then one MiniLM answer's
# floats (3,072) written as a JSON array both ways, timed in the same run.
#
#   bench/float-text.sh          # all 2^32 patterns, then the timing (about 8 minutes on 2 cores)
#   bench/float-text.sh speed    # the timing only (about 20 s)
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -o test-compile
CP="target/test-classes:target/classes:$(./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
java -cp "$CP" dev.kiln.runtime.FloatTextBench "${1:-all}"
