#!/usr/bin/env bash
# Captures the OpenAPI examples (src/main/resources/openapi-examples/) from a real Kiln serving a copy
# of the demo repository: the examples in /q/openapi are real answers, and OpenApiExamplesTest
# keeps their fields in step with live ones. Needs: ./mvnw -B package -DskipTests, jq.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/main/resources/openapi-examples
repo=$(mktemp -d)
cp -r target/demo-models/. "$repo"/
rm -f "$repo"/.kiln-settings.yaml
port=8765
AI_MODELS_ADMIN_TOKEN=capture AI_MODELS_REPOSITORY="$repo" QUARKUS_HTTP_PORT=$port \
  java -jar target/quarkus-app/quarkus-run.jar > "$repo/kiln.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$repo"' EXIT
until curl -sf "localhost:$port/q/health/started" > /dev/null; do sleep 0.2; done
base="localhost:$port"
admin=(-H 'Authorization: Bearer capture')
hello='{"id": "hello", "inputs": [{"name": "input_ids", "shape": [1, 4], "datatype": "INT64", "data": [101, 7592, 2088, 102]}, {"name": "attention_mask", "shape": [1, 4], "datatype": "INT64", "data": [1, 1, 1, 1]}, {"name": "token_type_ids", "shape": [1, 4], "datatype": "INT64", "data": [0, 0, 0, 0]}]}'
# An example shows the shape, not 1,536 numbers: the first eight values of each output are kept.
curl -s -X POST "$base/v2/models/all-minilm-l6-v2-q/infer" -H 'Content-Type: application/json' -d "$hello" \
  | jq '.outputs |= map(.data |= .[0:8])' > "$out/infer.json"
# One image through the ppocr pipeline, so its steps show their use in the models status.
curl -s -X POST "$base/v1/ocr" -H 'Content-Type: image/jpeg' --data-binary @docs/ocr-sample.jpg > /dev/null
curl -s "${admin[@]}" "$base/api/v1/setup/dependencies/health" | jq . > "$out/dependencies-health.json"
curl -s "${admin[@]}" -X POST "$base/api/v1/setup/ai-models/warm-up" | jq . > "$out/warm-up.json"
curl -s "${admin[@]}" "$base/api/v1/setup/ai-models/telemetry" | jq . > "$out/telemetry.json"
curl -s "${admin[@]}" "$base/api/v1/setup/models/status" | jq . > "$out/models-status.json"
curl -s "${admin[@]}" "$base/api/v1/setup/status" | jq . > "$out/setup-status.json"
curl -s "${admin[@]}" "$base/api/v1/setup/ai-models/loaded" | jq . > "$out/loaded.json"
curl -s -X POST "$base/v2/repository/index" -H 'Content-Type: application/json' -d '{}' | jq . > "$out/repository-index.json"
# The temporary repository's path means nothing to a reader: show the container's.
sed -i "s#$repo#/models#g" "$out"/*.json
echo "captured into $out"
