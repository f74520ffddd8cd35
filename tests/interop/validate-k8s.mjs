// Validates every object of a multi-document Kubernetes YAML file against its schema with kubernetes-models
// (core and workload APIs; Gateway API; Prometheus Operator). Prints one JSON line: { "validated": [...], "errors": [...], "unknown": [...] }.
// Usage: node validate-k8s.mjs <file.yaml>
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as policy from "kubernetes-models/policy/v1";
import * as autoscaling from "kubernetes-models/autoscaling/v2";
import * as networking from "kubernetes-models/networking.k8s.io/v1";
import * as gateway from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import * as monitoring from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const models = {
  "v1/ServiceAccount": core.ServiceAccount,
  "v1/ConfigMap": core.ConfigMap,
  "v1/Service": core.Service,
  "v1/Secret": core.Secret,
  "apps/v1/Deployment": apps.Deployment,
  "policy/v1/PodDisruptionBudget": policy.PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": autoscaling.HorizontalPodAutoscaler,
  "networking.k8s.io/v1/NetworkPolicy": networking.NetworkPolicy,
  "gateway.networking.k8s.io/v1/HTTPRoute": gateway.HTTPRoute,
  "monitoring.coreos.com/v1/ServiceMonitor": monitoring.ServiceMonitor,
};

const result = { validated: [], errors: [], unknown: [] };
for (const document of parseAllDocuments(readFileSync(process.argv[2], "utf8"))) {
  if (document.errors.length > 0) {
    result.errors.push({ object: "(yaml)", message: document.errors.map(e => e.message).join("; ") });
    continue;
  }

  const object = document.toJS();
  if (!object) continue;
  const key = `${object.apiVersion}/${object.kind}`;
  const name = `${object.kind}/${object.metadata?.name}`;
  const Model = models[key];
  if (!Model) {
    result.unknown.push(name);
    continue;
  }

  try {
    new Model(object).validate();
    result.validated.push(name);
  } catch (error) {
    result.errors.push({ object: name, message: String(error.message ?? error) });
  }
}

console.log(JSON.stringify(result));
