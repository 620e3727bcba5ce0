// SPDX-License-Identifier: GPL-2.0-only
// deploy/kubernetes: every manifest validated against the Kubernetes schemas
// (kubernetes-models, pinned in the lockfile), the Kustomize base naming
// every file there is and nothing else, and the least-privilege promises of
// the README held: no RBAC, no privileged container, no capability, not
// root, read-only root file system, the secret from a mounted Secret, the
// node's network for serve and pair (the point of running on a fleet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../support/proc.js';

const require = createRequire(import.meta.url);
const DEPLOY = join(REPO_ROOT, 'deploy', 'kubernetes');
const FOLDERS = ['base', 'pair'];

/** Parsed YAML, read field by field (the schemas have checked its types). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };

/** Every YAML document of a file, parsed strictly (a YAML error fails the test). */
function documents(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    assert.equal(d.errors.length, 0, `${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Obj;
  }).filter(Boolean);
}

/** The kubernetes-models class of an apiVersion and kind, e.g. apps/v1 DaemonSet. */
function modelOf(apiVersion: string, kind: string): new (o: unknown) => { validate(): void } {
  const group = apiVersion.includes('/') ? apiVersion : `v1`;
  const path = apiVersion.includes('/') ? `kubernetes-models/${group}/${kind}` : `kubernetes-models/v1/${kind}`;
  return (require(path) as Record<string, new (o: unknown) => { validate(): void }>)[kind];
}

const manifestsOf = (folder: string): string[] =>
  readdirSync(join(DEPLOY, folder)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const all = FOLDERS.flatMap((d) => manifestsOf(d).flatMap((f) => documents(join(DEPLOY, d, f)).map((o) => ({ file: `${d}/${f}`, o }))));
const byKind = (kind: string): Obj => {
  const found = all.filter((x) => x.o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0].o;
};

test('every manifest is valid against the Kubernetes schemas', () => {
  assert.ok(all.length >= 4, `${all.length} manifests`);
  for (const { file, o } of all) {
    const Model = modelOf(o.apiVersion, o.kind);
    assert.ok(Model, `${file}: no schema for ${o.apiVersion} ${o.kind}`);
    assert.doesNotThrow(() => new Model(o).validate(), `${file}: ${o.kind} ${o.metadata?.name}`);
  }
});

test('the validation can fail: a mistyped field is refused', () => {
  const ds = structuredClone(byKind('DaemonSet')) as Obj & { spec: { template: { spec: Record<string, unknown> } } };
  ds.spec.template.spec.hostNetwork = 'yes';
  const Model = modelOf('apps/v1', 'DaemonSet');
  assert.throws(() => new Model(ds).validate(), /hostNetwork must be boolean/);
});

test('each Kustomize base lists exactly the manifests of its folder', () => {
  for (const d of FOLDERS) {
    const [k] = documents(join(DEPLOY, d, 'kustomization.yaml')) as Array<Obj & { resources: string[]; namespace: string }>;
    assert.equal(k.kind, 'Kustomization');
    assert.deepEqual([...k.resources].sort(), manifestsOf(d), d);
    assert.equal(k.namespace, 'msg-zerocopy');
  }
});

test('least privilege: no RBAC, no privileged or root container, no capability, the secret mounted from a Secret', () => {
  assert.deepEqual(all.filter(({ o }) => /Role|ServiceAccount/.test(o.kind)).map(({ o }) => o.kind), [], 'no RBAC objects');
  for (const kind of ['DaemonSet', 'Job']) {
    const o = byKind(kind) as Obj & { spec: { template: { spec: Record<string, Loose> } } };
    const pod = o.spec.template.spec;
    assert.equal(pod.hostNetwork, true, `${kind}: the node's network (the NIC path is what is measured)`);
    assert.equal(pod.automountServiceAccountToken, false, `${kind}: no API token`);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.equal(pod.containers.length, 1);
    const c = pod.containers[0];
    assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] }, `${kind}: no capability`);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.privileged, undefined);
    assert.equal(c.resources.limits.cpu, undefined, `${kind}: no CPU limit (throttling would be measured)`);
    const secret = pod.volumes.find((v: Loose) => v.secret);
    assert.equal(secret.secret.secretName, 'msg-zerocopy-secret');
    assert.ok(c.volumeMounts.some((m: Loose) => m.name === secret.name && m.readOnly === true), `${kind}: the Secret mounted read-only`);
    assert.ok(pod.volumes.some((v: Loose) => v.emptyDir?.medium === 'Memory'), `${kind}: the secret's copy in memory only`);
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'msg-zerocopy-plan' } }], `${kind}: the plan from the ConfigMap`);
    assert.ok(c.env.some((e: Loose) => e.name === 'MZC_ADDRESS' && e.valueFrom?.fieldRef?.fieldPath === 'status.hostIP'));
  }
  const ds = byKind('DaemonSet') as Loose;
  assert.deepEqual(ds.spec.template.spec.containers[0].command, ['msg-zerocopy-pod', 'serve']);
  const job = byKind('Job') as Loose;
  assert.deepEqual(job.spec.template.spec.containers[0].command, ['msg-zerocopy-pod', 'pair']);
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  assert.equal(job.spec.backoffLimit, 0, 'a failed measurement is not repeated behind the user\'s back');
  const term = job.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
  assert.equal(term.matchExpressions[0].key, 'kubernetes.io/hostname', 'node affinity chooses the source node');
});

test('the plan: every key the pod script reads, copy and zerocopy back to back, enough repetitions for a verdict', () => {
  const plan = byKind('ConfigMap') as Obj & { data: Record<string, string> };
  const script = readFileSync(join(REPO_ROOT, 'deploy', 'container', 'msg-zerocopy-pod.sh'), 'utf8');
  const read = new Set([...script.matchAll(/\$\{(MZC_[A-Z_]+)/g)].map((m) => m[1]));
  for (const k of Object.keys(plan.data)) assert.ok(read.has(k), `${k} is read by msg-zerocopy-pod`);
  assert.equal(plan.data.MZC_MODES, 'copy zerocopy');
  assert.ok(Number(plan.data.MZC_REPS) >= 6, 'merge needs 6 back-to-back pairs for a 95% interval');
});
