#!/usr/bin/env bash
# JSON floats (runtime/FloatText): every finite float bit pattern printed by FloatText and by Jackson's
# fast writer (what Kiln's JSON answers used before), compared one by one; then one MiniLM answer's
# floats (3,072) written as a JSON array both ways, timed in the same run.
#
#   bench/float-text.sh          # all 2^32 patterns, then the timing (about 8 minutes on 2 cores)
#   bench/float-text.sh speed    # the timing only (about 20 s)
#
# Prints the results and writes them to bench/results/float-text.md.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -o test-compile
CP="target/test-classes:target/classes:$(./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
OUT="${OUT:-bench/results/float-text.md}"
{
  echo "# JSON floats: FloatText against Jackson's fast writer"
  echo
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average before: $(uptime | sed 's/.*load average: //'), JVM $(java -version 2>&1 | head -1)."
  echo
  echo '```'
  java -cp "$CP" dev.kiln.runtime.FloatTextBench "${1:-all}"
  echo '```'
  echo
  echo "Rerun: \`bench/float-text.sh\` (\`speed\` for the timing only)."
} | tee "$OUT"
