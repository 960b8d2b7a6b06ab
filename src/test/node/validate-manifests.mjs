// Validates Kubernetes objects (a JSON array on stdin) against the Kubernetes OpenAPI schemas, with
// the JSON-schema validators that kubernetes-models generates from a Kubernetes release's OpenAPI
// document (and @kubernetes-models/prometheus-operator from the Prometheus Operator's CRDs).
// KServe publishes no such package: its objects' metadata, containers and resources are checked
// against the Kubernetes types they are made of (ObjectMeta, core/v1 Container, ResourceRequirements);
// so is KEDA's ScaledObject (ObjectMeta, and the autoscaling/v2 behavior it hands to its HPA).
// Prints "ok <apiVersion> <kind> <name>" or "invalid ... : <errors>" per object; exits 1 if any is
// invalid, 2 if a kind has no validator here (add one rather than skip it).
import * as appsV1 from "kubernetes-models/apps/v1";
import * as autoscalingV2 from "kubernetes-models/autoscaling/v2";
import * as coreV1 from "kubernetes-models/v1";
import * as policyV1 from "kubernetes-models/policy/v1";
import * as monitoringV1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Container } from "kubernetes-models/v1/Container";
import { ResourceRequirements } from "kubernetes-models/v1/ResourceRequirements";
import { ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import { HorizontalPodAutoscalerBehavior } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerBehavior";

const MODELS = {
  v1: coreV1,
  "apps/v1": appsV1,
  "autoscaling/v2": autoscalingV2,
  "policy/v1": policyV1,
  "monitoring.coreos.com/v1": monitoringV1,
};

// KServe's kinds: the parts of them that are Kubernetes types.
const KSERVE = {
  "serving.kserve.io/v1alpha1 ClusterServingRuntime": (o) => [
    ["metadata", () => new ObjectMeta(o.metadata).validate()],
    ...(o.spec.containers ?? []).map((c, i) => [`spec.containers[${i}]`, () => new Container(c).validate()]),
  ],
  "keda.sh/v1alpha1 ScaledObject": (o) => [
    ["metadata", () => new ObjectMeta(o.metadata).validate()],
    ["spec.advanced.horizontalPodAutoscalerConfig.behavior",
      () => new HorizontalPodAutoscalerBehavior(o.spec.advanced.horizontalPodAutoscalerConfig.behavior).validate()],
  ],
  "serving.kserve.io/v1beta1 InferenceService": (o) => [
    ["metadata", () => new ObjectMeta(o.metadata).validate()],
    ["spec.predictor.model.resources", () => new ResourceRequirements(o.spec.predictor.model.resources).validate()],
  ],
};

function checks(o) {
  const kserve = KSERVE[`${o.apiVersion} ${o.kind}`];
  if (kserve) {
    return kserve(o);
  }
  const Model = MODELS[o.apiVersion]?.[o.kind];
  if (!Model) {
    return null;
  }
  return [["", () => new Model(o).validate()]];
}

const objects = JSON.parse(await new Promise((resolve) => {
  let input = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (input += chunk));
  process.stdin.on("end", () => resolve(input));
}));

let status = 0;
for (const o of objects) {
  const what = `${o.apiVersion} ${o.kind} ${o.metadata?.name}`;
  const list = checks(o);
  if (list === null) {
    console.log(`unknown ${what}: no schema for this kind`);
    status = Math.max(status, 2);
    continue;
  }
  const errors = [];
  for (const [where, check] of list) {
    try {
      check();
    } catch (e) {
      errors.push(`${where ? where + ": " : ""}${e.message}`);
    }
  }
  if (errors.length) {
    console.log(`invalid ${what}: ${errors.join("; ")}`);
    status = Math.max(status, 1);
  } else {
    console.log(`ok ${what}`);
  }
}
process.exit(status);
