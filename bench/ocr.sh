#!/usr/bin/env bash
# OCR: Kiln's PP-OCR engine (dev.kiln.ocr; for now in-process: ONNX Runtime in the bench's JVM, every model
# run through 2 workers x 1 intra-op thread, as Kiln's inference core runs them on 2 cores) against
# RapidOCR 0.0.7 in-process (its C++ engine through JNI), on the same generated images with the same three
# PP-OCR v4 model files: character accuracy, line recall, upside-down lines, p50 and images/s at 1, 2 and
# 8 clients. RapidOCR runs twice, with numThread 1 and 2 (in RapidOcrOnnx 1.2.2, which 0.0.7 ships,
# numThread sets only ONNX Runtime's inter-op threads; each session keeps ONNX Runtime's default intra-op
# pool, one spinning thread per core).
#
#   ./mvnw -B package -DskipTests && bench/ocr.sh           (DURATION=20 seconds per cell, COUNT=24 images)
#
# Each cell is a JVM of its own that first reads every image once (the scores; also the warm-up). Writes
# bench/results/ocr.md and prints it. Needs: java, fonts-wqy-zenhei (the Chinese lines). About 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-20}"
COUNT="${COUNT:-24}"
OUT=bench/results/ocr.md
if [ ! -f target/test-classes/dev/kiln/bench/OcrBench.class ] || [ ! -f target/demo-models/ppocr-v4-rec/model.onnx ]; then
  echo "run ./mvnw -B package -DskipTests first" >&2; exit 2
fi
fc-list :lang=zh | grep -q . || { echo "a CJK font is required: apt-get install fonts-wqy-zenhei" >&2; exit 2; }
CP="target/test-classes:target/classes:$(./mvnw -B -q -o dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
bench() { java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "$CP" dev.kiln.bench.OcrBench "$@"; }

LOAD_BEFORE="$(uptime | sed 's/.*load average: //')"
bench images "$TMP/images" "$COUNT"
# The engines take turns for each client count, so that both see the same machine (it is shared).
for c in 1 2 8; do
  bench kiln "$TMP/images" "$DURATION" "$c" 2 1 >>"$TMP/kiln.txt" 2>&1
  bench rapid "$TMP/images" "$DURATION" "$c" 2 >>"$TMP/rapid2.txt" 2>&1
  bench rapid "$TMP/images" "$DURATION" "$c" 1 >>"$TMP/rapid1.txt" 2>&1
done
LOAD_AFTER="$(uptime | sed 's/.*load average: //')"
# RapidOCR unpacks its models to java.io.tmpdir/ocrJava/onnx: the same files as the demo repository's?
SAME=yes
for pair in ch_PP-OCRv4_det_infer.onnx:ppocr-v4-det/model.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx:ppocr-cls/model.onnx \
  ch_PP-OCRv4_rec_infer.onnx:ppocr-v4-rec/model.onnx ppocr_keys_v1.txt:ppocr-v4-rec/ppocr_keys_v1.txt; do
  cmp -s "/tmp/ocrJava/onnx/${pair%%:*}" "target/demo-models/${pair#*:}" || SAME=no
done

acc() { grep '^ACC' "$1" | head -1 | sed -E 's/.*char_accuracy=([0-9.]+) line_recall=([0-9.]+) exact=([0-9]+) lines=([0-9]+) strays=([0-9]+) upside_down_found=([0-9]+) upside_down=([0-9]+)/\1 \2 \3 \4 \5 \6 \7/'; }
# cell FILE N: "p50 images/s cpu_ms_per_image" of the N-th client count (1, 2, 8)
cell() {
  local kiln cpu
  kiln="$(grep '^KILN' "$1" | sed -n "${2}p" | sed -E 's/KILN p50_ms=([0-9.]+) .*/\1/') $(grep '^RATE' "$1" | sed -n "${2}p" | sed -E 's/RATE images_per_s=([0-9.]+)/\1/')"
  cpu="$(grep '^CPU ms per image' "$1" | sed -n "${2}p" | sed -E 's/CPU ms per image ([0-9.]+)/\1/')"
  echo "$kiln $cpu"
}
row() { # LABEL FILE
  local p50 rps cpu ca lr ex li st uf ud
  read -r ca lr ex li st uf ud <<<"$(acc "$2")"
  for n in 1 2 3; do
    read -r p50 rps cpu <<<"$(cell "$2" "$n")"
    printf '| %s | %s | %.0f | %.2f | %.0f | %s | %s | %s of %s |\n' "$1" "$(echo 1 2 8 | cut -d' ' -f"$n")" "$p50" "$rps" "$cpu" "$ca" "$lr" "$uf" "$ud"
  done
}
read -r KCA KLR _ _ _ KUF KUD <<<"$(acc "$TMP/kiln.txt")"
read -r RCA RLR _ _ _ RUF RUD <<<"$(acc "$TMP/rapid2.txt")"
read -r K1 _ _ <<<"$(cell "$TMP/kiln.txt" 1)"
read -r _ K2 _ <<<"$(cell "$TMP/kiln.txt" 2)"
read -r R1 _ _ <<<"$(cell "$TMP/rapid2.txt" 1)"
read -r _ R2 _ <<<"$(cell "$TMP/rapid2.txt" 2)"
verdict() { if awk "BEGIN{exit !($1)}"; then echo "**met**"; else echo "**missed**"; fi; }

{
  echo "# OCR: Kiln's PP-OCR engine against RapidOCR in-process"
  echo
  echo "One run, $(nproc) cores, JVM $(java -version 2>&1 | head -1 | cut -d'"' -f2), $COUNT generated images (bench/ocr.sh draws them"
  echo "with their ground truth), ${DURATION} s per cell, both engines in-process with the same three PP-OCR v4 files."
  echo "Kiln: dev.kiln.ocr on ONNX Runtime 1.23.2 in the bench's JVM, model runs through 2 workers x 1 intra-op"
  echo "thread (Kiln's thread budget on 2 cores), no HTTP yet. RapidOCR 0.0.7: padding 50, no side limit, doAngle on."
  echo "Model and dictionary files byte-identical between the two: $SAME."
  echo "Measured $(date -u +%Y-%m-%dT%H:%MZ); load average before: $LOAD_BEFORE, after: $LOAD_AFTER."
  echo
  echo "| engine | clients | p50 ms | images/s | CPU ms per image | char accuracy | line recall | upside-down lines read |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  row "Kiln engine (in-process)" "$TMP/kiln.txt"
  row "RapidOCR, numThread 1" "$TMP/rapid1.txt"
  row "RapidOCR, numThread 2" "$TMP/rapid2.txt"
  echo
  echo "| target (against RapidOCR numThread 2) | measured | |"
  echo "|---|---|---|"
  echo "| char accuracy ≥ RapidOCR's − 0.005 | $KCA vs $RCA | $(verdict "$KCA >= $RCA - 0.005") |"
  echo "| line recall ≥ RapidOCR's | $KLR vs $RLR | $(verdict "$KLR >= $RLR") |"
  echo "| upside-down lines read | $KUF of $KUD (RapidOCR $RUF of $RUD) | $(verdict "$KUF == $KUD && $KUD > 0") |"
  echo "| images/s at 2 clients ≥ 1.2× RapidOCR's | $K2 vs $R2 ($(awk -v a="$K2" -v b="$R2" 'BEGIN{printf "%.2f", a/b}')×) | $(verdict "$K2 >= 1.2 * $R2") |"
  echo "| p50 at 1 client ≤ 1.1× RapidOCR's | $K1 vs $R1 ms ($(awk -v a="$K1" -v b="$R1" 'BEGIN{printf "%.2f", a/b}')×) | $(verdict "$K1 <= 1.1 * $R1") |"
  echo
  echo "Lines misread (errors | truth | read):"
  echo
  for f in kiln rapid2; do
    echo "- $f:"
    grep '^MISREAD' "$TMP/$f.txt" | sort -u | sed -E 's/^MISREAD /  - /' || true
  done
  echo
  echo "Rerun: \`./mvnw -B package -DskipTests && bench/ocr.sh\`"
} >"$OUT"
cat "$OUT"
