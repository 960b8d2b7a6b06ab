#!/usr/bin/env bash
# Checks the shape of Kiln's seed endpoints and setup endpoints against a running service.
# Usage: BASE_URL=http://localhost:8000 ADMIN_TOKEN=... ./test_new_endpoints.sh   (needs curl and jq)
# ADMIN_TOKEN is sent as a bearer token when set (the service's AI_MODELS_ADMIN_TOKEN).
# Exits non-zero with a message at the first failure.
set -euo pipefail

BASE_URL="${BASE_URL:-http://localhost:8000}"
AUTH=()
if [ -n "${ADMIN_TOKEN:-}" ]; then
  AUTH=(-H "Authorization: Bearer $ADMIN_TOKEN")
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
step=0

fail() {
  echo "FAIL [$step]: $*" >&2
  if [ -s "$WORK/body" ]; then
    echo "--- response body:" >&2
    head -c 2000 "$WORK/body" >&2
    echo >&2
  fi
  exit 1
}

# call METHOD PATH EXPECTED_STATUS [curl args...]: leaves the body in $WORK/body
call() {
  local method=$1 path=$2 expected=$3
  shift 3
  step=$((step + 1))
  echo "[$step] $method $path"
  local status
  status=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X "$method" "${AUTH[@]}" "$BASE_URL$path" "$@") \
    || fail "$method $path: no answer from $BASE_URL"
  [ "$status" = "$expected" ] || fail "$method $path answered $status, expected $expected"
}

# check JQ_FILTER DESCRIPTION: the filter must yield true on the last body
check() {
  jq -e "$1" "$WORK/body" >/dev/null 2>&1 || fail "$2 (jq: $1)"
}

command -v jq >/dev/null || { echo "jq is required" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is required" >&2; exit 2; }

# 1. Dependencies health
call GET /api/v1/setup/dependencies/health 200
check '.overall_status | IN("healthy","degraded","unhealthy")' "overall_status is healthy, degraded or unhealthy"
check '.dependencies | has("java") and has("quarkus") and has("onnxruntime") and has("cuda") and has("cudnn") and has("tensorrt") and has("nvidia-driver") and has("model-repository")' "dependencies lists every checked component"
check '[.dependencies[] | .status | IN("installed","missing","error")] | all' "every dependency status is installed, missing or error"
check '[.dependencies[] | has("category")] | all' "every dependency has a category"
check '.dependencies.onnxruntime.status == "installed"' "ONNX Runtime's native library is loaded"
check '.inference_engines | has("onnxruntime-cpu") and has("onnxruntime-cuda") and has("onnxruntime-tensorrt")' "inference_engines lists CPU, CUDA and TensorRT"
check '[.inference_engines[] | .status | IN("installed","unavailable","error")] | all' "engine status is installed, unavailable or error"
check '[.inference_engines[] | select(.status != "installed") | has("reason")] | all' "every engine that is not installed says why"
check '.ai_models | has("text") and has("image") and has("voice") and has("video")' "ai_models has the four categories"
check '[.ai_models[] | (.loaded|type) == "number" and (.total|type) == "number" and (.status | IN("ready","no_models","error"))] | all' "ai_models entries have loaded, total, status"
check '(.issues|type) == "array" and (.warnings|type) == "array"' "issues and warnings are arrays"

# 2. Warm-up (twice: the second call must find everything warm)
call POST /api/v1/setup/ai-models/warm-up 200
check '.status == "success" and .models_loaded == true' "warm-up succeeded"
check '(.message | test("^AI models (warmed up successfully in|already warm)")) and (.elapsed_time_seconds|type) == "number"' "message and elapsed_time_seconds"
check '.loaded_counts | has("text") and has("image") and has("voice") and has("video")' "loaded_counts has the four categories"
check '.total_loaded == ([.loaded_counts[]] | add)' "total_loaded is the sum of loaded_counts"
check '(.already_warm|type) == "boolean" and (.models|type) == "array"' "already_warm and models[]"
check '[.models[] | has("name") and has("status") and has("load_seconds") and has("warmup_seconds") and has("error")] | all' "each model entry is complete"
call POST /api/v1/setup/ai-models/warm-up 200
check '.already_warm == true' "a second warm-up finds everything warm"

# 3. Telemetry
call GET /api/v1/setup/ai-models/telemetry 200
check '(.models|type) == "object" and (.models|length) > 0' "models is a non-empty object"
check '[.models[] | has("category") and has("provider") and has("loaded") and has("can_load") and has("size_gb") and has("usage_count") and has("last_used")] | all' "each model has the seed fields"
check '[.models[] | has("state") and has("error_count") and has("cold_starts") and has("avg_latency_ms")] | all' "each model has state, error_count, cold_starts, avg_latency_ms"
check '[.models[] | .last_used | . == null or test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")] | all' "last_used is null or ISO-8601 UTC"
check '.summary | has("total_models") and has("loaded_models") and has("used_models") and has("unused_models")' "summary fields"
check '.summary.total_models == (.models|length) and .summary.used_models + .summary.unused_models == .summary.total_models' "summary adds up"
check '(.recommendations|type) == "array" and ([.recommendations[] | has("model") and has("recommendation") and has("reason")] | all)' "recommendations have model, recommendation, reason"

# 4. Models status
call GET /api/v1/setup/models/status 200
check '(.loaded_models_count|type) == "number" and (.total_models_count|type) == "number"' "counts"
check '(.installed_models|length) == .total_models_count' "installed_models lists every model"
check '[.installed_models[] | has("name") and has("category") and has("provider") and has("loaded") and has("can_load") and has("lazy_load") and has("size_gb") and has("inference_engine")] | all' "each installed model has the seed fields"
check '[.installed_models[] | has("state") and has("enabled") and has("execution_provider")] | all' "each installed model has state, enabled, execution_provider"
check '.loaded_models_count == ([.installed_models[] | select(.loaded)] | length)' "loaded_models_count matches"

# 5. Setup endpoints
call GET /api/v1/setup/status 200
check 'has("version") and has("uptime_seconds") and has("repository") and has("lazy_load") and has("warmup") and has("models") and has("execution_provider")' "status fields"
call GET /api/v1/setup/template 200
check '(.settings|length) > 0 and ([.settings[] | has("key") and has("env") and has("type") and has("default_value") and has("current") and has("description")] | all)' "template rows"
check '[.settings[] | select(.key == "ai.models.lazy-load" and .env == "AI_MODELS_LAZY_LOAD")] | length == 1' "lazy-load is AI_MODELS_LAZY_LOAD"
step=$((step + 1)); echo "[$step] GET /api/v1/setup/template (text/plain)"
# To a file first: `curl | grep -q` under pipefail fails whenever grep stops reading before curl ends.
curl -sS -H 'Accept: text/plain' -o "$WORK/body" "$BASE_URL/api/v1/setup/template" || fail "GET /api/v1/setup/template: no answer"
grep -q '^AI_MODELS_LAZY_LOAD=' "$WORK/body" || fail "the .env template has AI_MODELS_LAZY_LOAD"
call GET /api/v1/setup/config 200
check 'has("lazy_load") and has("warmup_iterations") and has("telemetry_idle_after")' "effective config"
call POST /api/v1/setup/config 400 -H 'Content-Type: application/json' -d '{"warmup_iterations": -1}'
check '.error | test("warmup_iterations")' "a bad setting is named"
call GET /api/v1/setup/inference-engines/status 200
check '.inference_engines | has("onnxruntime-cpu") and has("onnxruntime-cuda") and has("onnxruntime-tensorrt")' "engine status"
call POST /api/v1/setup/inference-engines/install 400 -H 'Content-Type: application/json' -d '{"engine": "no-such-engine"}'
check '.error | test("unknown engine")' "an unknown engine is refused"

# 6. Probes and metrics
call GET /q/health/ready 200
call GET /q/health/started 200
call GET /q/metrics 200
grep -q '^ai_model_inference_requests_total' "$WORK/body" || fail "/q/metrics has ai_model_inference_requests_total"
grep -q '^ai_models_loaded' "$WORK/body" || fail "/q/metrics has ai_models_loaded"

echo "OK: $step checks passed against $BASE_URL"
