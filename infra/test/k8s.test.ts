// infra/k8s rendered and validated offline. Rendering: the subset of kustomize the kustomization
// uses (resources, namespace, labels, images), done here so the test needs no binary; where
// `kubectl` is installed its `kubectl kustomize` output must be the same objects. Validation: core
// resources against the Kubernetes OpenAPI schemas (kubernetes-models), cert-manager and
// prometheus-operator resources against their CRD schemas (@kubernetes-models/*), CloudNativePG's
// Cluster and ScheduledBackup by the fields this deployment relies on (no schema package exists
// for them offline), plus the promises the issue asks of the manifests.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Certificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { parseKeyEncryptionKey } from "@starlane/login";
import { operatorTokenSetting } from "@starlane/shared";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, Secret, Service } from "kubernetes-models/v1";
import { parseAllDocuments, parse as parseYaml } from "yaml";

const K8S = fileURLToPath(new URL("../k8s", import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML until validated below
type Obj = Record<string, any>;

const CLUSTER_SCOPED = new Set(["Namespace", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding"]);

/** kustomize's behaviour for the fields infra/k8s/kustomization.yaml uses; anything else fails. */
function render(dir: string): Obj[] {
  const k = parseYaml(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Obj;
  const known = new Set(["apiVersion", "kind", "namespace", "labels", "images", "resources"]);
  for (const key of Object.keys(k)) assert.ok(known.has(key), `the renderer does not do kustomization field ${key}`);
  const out: Obj[] = [];
  for (const file of k.resources as string[]) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      assert.equal(doc.errors.length, 0, `${file}: ${doc.errors.join("; ")}`);
      const o = doc.toJSON() as Obj | null;
      if (!o) continue;
      if (k.namespace && !CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
      for (const l of k.labels ?? []) {
        assert.ok(!l.includeSelectors && !l.includeTemplates, "labels into selectors/templates are not rendered here");
        o.metadata.labels = { ...o.metadata.labels, ...l.pairs };
      }
      const spec = o.spec?.template?.spec ?? o.spec?.jobTemplate?.spec?.template?.spec;
      for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
        const img = (k.images ?? []).find((i: Obj) => i.name === c.image.split(":")[0]);
        if (img) c.image = `${img.newName ?? img.name}${img.newTag ? `:${img.newTag}` : ""}`;
      }
      out.push(o);
    }
  }
  return out;
}

const id = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
const objects = render(K8S);
const byId = new Map(objects.map((o) => [id(o), o]));
const get = (kind: string, name: string) => {
  const o = byId.get(`${kind}/${CLUSTER_SCOPED.has(kind) ? "" : "starlane"}/${name}`);
  assert.ok(o, `${kind} ${name} is rendered`);
  return o;
};

test("kubectl kustomize (where installed) renders the same objects", (t) => {
  const r = spawnSync("kubectl", ["kustomize", K8S], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    t.skip(
      `kubectl kustomize unavailable (${r.error?.message ?? r.stderr.trim()}); the in-test renderer alone is checked`,
    );
    return;
  }
  const theirs = parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj);
  assert.deepEqual(new Set(theirs.map(id)), new Set(objects.map(id)));
  // kubectl's YAML round trip turns a few numbers into strings (secret modes stay numbers): compare as JSON.
  for (const o of theirs)
    assert.deepEqual(JSON.parse(JSON.stringify(o)), JSON.parse(JSON.stringify(byId.get(id(o)))), id(o));
});

// biome-ignore lint/suspicious/noExplicitAny: each model's constructor takes its own typed object
const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "cert-manager.io/v1/Certificate": Certificate,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

test("every resource validates against its schema (CloudNativePG: required fields checked by hand)", () => {
  const unchecked: string[] = [];
  for (const o of objects) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    if (Model) {
      assert.doesNotThrow(() => new Model(o).validate(), id(o));
      continue;
    }
    unchecked.push(`${o.apiVersion}/${o.kind}`);
  }
  assert.deepEqual([...new Set(unchecked)].sort(), [
    "postgresql.cnpg.io/v1/Cluster",
    "postgresql.cnpg.io/v1/ScheduledBackup",
  ]);
  // A broken manifest is caught: the validator is not a formality.
  const broken = structuredClone(get("Deployment", "login"));
  broken.spec.replicas = "two";
  assert.throws(() => new Deployment(broken).validate());

  const pg = get("Cluster", "starlane-pg");
  assert.ok(Number.isInteger(pg.spec.instances) && pg.spec.instances >= 2, "replicated");
  assert.match(pg.spec.backup.barmanObjectStore.destinationPath, /^s3:\/\//);
  assert.ok(pg.spec.backup.barmanObjectStore.wal, "WAL archived");
  assert.ok(pg.spec.storage.size);
  const backup = get("ScheduledBackup", "starlane-pg-nightly");
  assert.equal(backup.spec.cluster.name, "starlane-pg");
  assert.equal(backup.spec.schedule.split(" ").length, 6, "CloudNativePG schedules have a seconds field");
});

test("the manifests keep the issue's promises", () => {
  for (const name of ["login", "chat", "persistence"]) {
    get("Deployment", name);
    assert.equal(get("HorizontalPodAutoscaler", name).spec.scaleTargetRef.name, name);
  }
  const zone = get("StatefulSet", "zone");
  const c = zone.spec.template.spec.containers[0];
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.match(c.lifecycle.preStop.exec.command.join(" "), /zonectl -- drain/);
  assert.ok(zone.spec.template.spec.terminationGracePeriodSeconds >= 60, "grace covers the drain");
  assert.equal(get("PodDisruptionBudget", "zone").spec.maxUnavailable, 1);
  // Each zone pod advertises its own host, and the Ingress routes that host to that pod only.
  const env = Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value]));
  assert.equal(env.STARLANE_ZONE_PUBLIC_ADDRESS, "$(POD_NAME).zones.example.com");
  const ingress = get("Ingress", "starlane");
  for (let i = 0; i < zone.spec.replicas; i++) {
    assert.equal(get("Service", `zone-${i}`).spec.selector["statefulset.kubernetes.io/pod-name"], `zone-${i}`);
    const rule = ingress.spec.rules.find((r: Obj) => r.host === `zone-${i}.zones.example.com`);
    assert.equal(rule.http.paths[0].backend.service.name, `zone-${i}`);
    assert.ok(ingress.spec.tls[0].hosts.includes(`zone-${i}.zones.example.com`), "wss for every zone");
  }
  // The committed values are placeholders the services refuse: nobody deploys a known secret.
  const secret = get("Secret", "starlane-secrets");
  assert.equal(secret.type, "Opaque");
  assert.throws(() => operatorTokenSetting.parse(secret.stringData["operator-token"], "operator-token"));
  assert.throws(() => parseKeyEncryptionKey(secret.stringData["key-encryption-key"], "key-encryption-key"));
  get("ConfigMap", "starlane-config");
  assert.equal(get("NetworkPolicy", "default-deny-ingress").spec.podSelector && true, true);
  const redis = get("ConfigMap", "redis-config");
  assert.match(redis.data["redis.conf"], /^appendonly yes$/m);
  assert.match(redis.data["start-sentinel.sh"], /sentinel monitor starlane/);
});
