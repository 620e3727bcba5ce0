// SPDX-License-Identifier: GPL-2.0-only
// The fleet path for real, on one machine: the image built from the
// Containerfile (on a Debian base made here: base images cannot be pulled),
// the pod templates of deploy/kubernetes run by `podman kube play` with
// hostNetwork patched off, on a podman network this test creates as
// --internal: a serve pod and three pair pods, each a real authenticated
// run, their JSON taken from the pods' logs (as `kubectl logs` would), and
// `merge` over the three logs, its HTML opened in Chromium and its CSV read.
//
// Traffic stays between those pods: the network has no gateway, masquerade,
// port mapping or firewall rule (checked before any traffic, with the pods'
// own route tables), and the build step that needs the npm registry uses the
// host's network only for that. Everything lives in a storage root, run root
// and network configuration folder of this test's own, removed on every
// exit path: no pod, container, image, volume, network, bridge or firewall
// rule is left. Needs root, podman, runc, catatonit and debootstrap
// (scripts/system-deps.sh); without them the test fails, it never skips.
//
// Podman 4.3 differs from a cluster in ways patched here (and said in the
// README): no status.hostIP (the address is given), a secret volume needs
// `optional` said, its file holds the Secret's data as written, and a pod's
// sysctls are ignored (net.core.optmem_max is set in its namespace from here).
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { FLEET_CSV_HEADER, type FleetDocument } from '../../src/merge/render.js';
import { countOf, embeddedJson, render } from '../support/browser.js';
import { describe, ours, REPO_ROOT, requireRoot, sleep } from '../support/proc.js';

const RUN = randomBytes(3).toString('hex');
const PREFIX = `mzc-kube-${RUN}`;
const NET = PREFIX;
const BRIDGE = `mzcbr${RUN}`;
const IMAGE = `localhost/msg-zerocopy-test:${RUN}`;
const BASE_IMAGE = `localhost/msg-zerocopy-base:${RUN}`;
const SECRET = 'msg-zerocopy-secret';
/** The image build on a fresh machine: debootstrap (minutes), then npm ci and the build. */
const BUILD_MS = 20 * 60 * 1000;

let dir = '';
let conf = '';
let subnet = '';
const ip = (host: number): string => subnet.replace(/0\/24$/, String(host));
let iptablesBefore: string | null = null;

function iptablesRules(): string | null {
  const r = spawnSync('iptables-save', [], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l && !l.startsWith('#')).join('\n') : null;
}

/** podman with this test's own storage, run root and network configuration (containers.conf). */
function podman(args: string[], o: { timeoutMs?: number; check?: boolean } = {}): SpawnSyncReturns<string> {
  const r = spawnSync('podman', ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), ...args], {
    encoding: 'utf8', timeout: o.timeoutMs ?? 120000, env: { ...process.env, CONTAINERS_CONF: conf }, maxBuffer: 64 * 1024 * 1024,
  });
  if (o.check !== false) {
    assert.equal(r.error, undefined, `podman ${args.join(' ')}: ${r.error?.message}`);
    assert.equal(r.status, 0, `podman ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-3000)}`);
  }
  return r;
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** A /24 in 10.89.0.0/16 that no route of this host uses. */
function freeSubnet(): string {
  const routes = execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' });
  for (let i = 0; i < 50; i++) {
    const x = 100 + Math.floor(Math.random() * 150);
    if (!routes.includes(`10.89.${x}.`)) return `10.89.${x}.0/24`;
  }
  throw new Error('no free 10.89.x.0/24 for the test network');
}

/** Parsed YAML, read field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = Record<string, any>;
const manifest = (name: string): Yaml => {
  const docs = parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'kubernetes', name), 'utf8'));
  assert.equal(docs.length, 1);
  return docs[0].toJS() as Yaml;
};

/**
 * A Pod of a DaemonSet's or Job's template, as the test runs it: the test's
 * image, hostNetwork off, no node selection (one machine), and the node
 * address podman cannot give (status.hostIP) given as a value.
 */
function podOf(workload: Yaml, name: string, env: Record<string, string>): Yaml {
  const t = structuredClone(workload.spec.template);
  const spec = t.spec;
  spec.hostNetwork = false;
  delete spec.dnsPolicy;
  delete spec.nodeSelector;
  delete spec.affinity;
  spec.restartPolicy = 'Never';
  for (const c of spec.containers) {
    c.image = IMAGE;
    c.env = (c.env ?? []).map((e: Yaml) => (e.name in env ? { name: e.name, value: env[e.name] } : e));
    for (const [k, v] of Object.entries(env)) if (!c.env.some((e: Yaml) => e.name === k)) c.env.push({ name: k, value: v });
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: t.metadata?.labels ?? {} }, spec };
}

/**
 * Play a pod on the test network at `address`. On a node the node's own
 * sysctls apply (hostNetwork); in a pod's own network namespace the default
 * net.core.optmem_max (131072) is too small for -z udp at 8000 B (ENOBUFS),
 * and Podman 4.3 ignores a pod's securityContext.sysctls: so the pod is
 * created stopped, its infra container (the owner of its network namespace)
 * started, the namespace given what the suite's lab sets, and then the pod
 * started.
 */
function play(t: TestContext, pod: Yaml, address: string): void {
  const file = join(dir, `${pod.metadata.name}.yaml`);
  writeFileSync(file, stringify(pod));
  podman(['kube', 'play', '--start=false', '--network', NET, '--ip', address, '--configmap', join(dir, 'plan.yaml'), file]);
  const infra = podman(['pod', 'inspect', '--format', '{{.InfraContainerID}}', pod.metadata.name]).stdout.trim();
  podman(['start', infra]);
  const netns = podman(['inspect', '--format', '{{.NetworkSettings.SandboxKey}}', infra]).stdout.trim();
  assert.match(netns, /^\/run\/netns\//, `the pod's network namespace: ${netns}`);
  execFileSync('nsenter', [`--net=${netns}`, 'sysctl', '-q', '-w', 'net.core.optmem_max=1000000']);
  podman(['pod', 'start', pod.metadata.name]);
  t.diagnostic(`${pod.metadata.name} at ${address} (${netns})`);
}

/** What `kubectl logs` gives: the container's stdout and stderr. */
const logs = (container: string): string => {
  const r = podman(['logs', container]);
  return r.stdout + r.stderr;
};

before(async () => {
  requireRoot();
  const missing = ['podman', 'runc', 'catatonit', 'debootstrap'].filter((c) => !have(c));
  assert.deepEqual(missing, [], `missing: ${missing.join(', ')} (run scripts/system-deps.sh as root)`);
  dir = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
  mkdirSync(join(dir, 'cni'));
  conf = join(dir, 'containers.conf');
  // Podman 4.3 on these machines: runc, cgroupfs, and ulimits it can set; the networks of this test alone.
  writeFileSync(conf, [
    '[containers]', 'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
    '[engine]', 'runtime = "runc"', 'cgroup_manager = "cgroupfs"',
    '[network]', 'network_backend = "cni"', `network_config_dir = "${join(dir, 'cni')}"`, '',
  ].join('\n'));
  iptablesBefore = iptablesRules();
  subnet = freeSubnet();

  // The base: Debian bookworm with this machine's Node (cached per machine), imported under this run's name.
  let started = Date.now();
  const step = (what: string): void => {
    process.stderr.write(`# ${what} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    started = Date.now();
  };
  const base = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'container-base.sh')], { encoding: 'utf8', timeout: BUILD_MS }).trim();
  step('base file system ready');
  podman(['import', base, BASE_IMAGE], { timeoutMs: 300000 });
  step('base imported');
  // The image, everything after FROM as a user builds it. The build reaches the npm registry (the host's network, for
  // that step only); npm's cache of downloaded packages is kept per machine, the image is not.
  const npmCache = join(homedir(), '.cache', 'msg-zerocopy', 'npm');
  mkdirSync(npmCache, { recursive: true });
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  const caArgs = ca && existsSync(ca) ? ['-v', `${ca}:/run/extra-ca.crt:ro`, '--build-arg', 'NODE_EXTRA_CA_CERTS=/run/extra-ca.crt'] : [];
  podman(['build', '--network', 'host', '--layers=false', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, ...caArgs,
    '-v', `${npmCache}:/root/.npm`, '-t', IMAGE, '-f', join(REPO_ROOT, 'Containerfile'), REPO_ROOT], { timeoutMs: BUILD_MS });
  step('image built');

  // The network: internal (no route out), and stripped of the plugins that would touch the host's firewall.
  // Its bridge gets a name of this run's (podman 4.3 would take the first free cni-podmanN of this test's own folder).
  podman(['network', 'create', '--internal', '--subnet', subnet, NET]);
  const listFile = join(dir, 'cni', `${NET}.conflist`);
  const list = JSON.parse(readFileSync(listFile, 'utf8'));
  list.plugins = list.plugins.filter((p: Yaml) => p.type !== 'firewall' && p.type !== 'portmap');
  for (const p of list.plugins) if (p.type === 'bridge') p.bridge = BRIDGE;
  writeFileSync(listFile, JSON.stringify(list, null, 1));

  // The Secret as the README has users create it (a random secret), given to podman as a Kubernetes Secret.
  const secretYaml = join(dir, 'secret.yaml');
  writeFileSync(secretYaml, stringify({
    apiVersion: 'v1', kind: 'Secret', metadata: { name: SECRET },
    data: { secret: Buffer.from(`${randomBytes(32).toString('hex')}\n`).toString('base64') },
  }));
  podman(['secret', 'create', SECRET, secretYaml]);
  // The plan: the ConfigMap of deploy/kubernetes, shortened (one repetition of udp at 8000 B, copy then zerocopy, 1 s each).
  const plan = manifest('base/plan.yaml');
  Object.assign(plan.data, { MZC_TESTS: 'udp', MZC_SIZES: '8000', MZC_REPS: '1', MZC_SECONDS: '1' });
  writeFileSync(join(dir, 'plan.yaml'), stringify(plan));
});

after(async () => {
  if (!dir) return;
  const leftovers: string[] = [];
  if (conf && existsSync(conf)) {
    podman(['pod', 'rm', '--all', '--force', '--time', '0'], { check: false });
    podman(['rm', '--all', '--force', '--time', '0'], { check: false });
    podman(['network', 'rm', '--force', NET], { check: false });
    podman(['secret', 'rm', SECRET], { check: false });
    podman(['volume', 'rm', '--all', '--force'], { check: false });
    podman(['rmi', '--all', '--force'], { check: false });
    const ps = podman(['ps', '--all', '--quiet'], { check: false }).stdout.trim();
    const images = podman(['images', '--all', '--quiet'], { check: false }).stdout.trim();
    if (ps) leftovers.push(`containers ${ps}`);
    if (images) leftovers.push(`images ${images}`);
  }
  // the storage's own mounts (the overlay driver mounts its folder privately) go before the folder does, deepest first
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(`${dir}/`));
  for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', [m]);
  if (spawnSync('ip', ['link', 'show', BRIDGE]).status === 0) {
    leftovers.push(`bridge ${BRIDGE}`);
    spawnSync('ip', ['link', 'del', BRIDGE]);
  }
  rmSync(join('/var/lib/cni/networks', NET), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  const rules = iptablesRules();
  if (iptablesBefore !== null && rules !== iptablesBefore) leftovers.push('firewall rules changed');
  assert.deepEqual(leftovers, [], 'nothing left behind');
});

test('the image: msg-zerocopy as its entry point, not root, only what runs', () => {
  const inspect = JSON.parse(podman(['image', 'inspect', IMAGE]).stdout)[0];
  assert.equal(inspect.Config.User, '10001:10001');
  assert.deepEqual(inspect.Config.Entrypoint, ['msg-zerocopy']);
  const version = podman(['run', '--rm', '--network', 'none', IMAGE, '--version']).stdout.trim();
  assert.equal(version, JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
  const look = podman(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c',
    'id -u; ls /opt/msg-zerocopy; ls /opt/msg-zerocopy/node_modules']).stdout.split('\n');
  assert.equal(look[0], '10001');
  assert.deepEqual(look.slice(1, 5), ['bin', 'dist', 'node_modules', 'package.json'], 'no sources, tests or build tools');
  const modules = look.slice(5).filter(Boolean);
  assert.ok(modules.includes('commander') && modules.includes('koffi'), modules.join(' '));
  for (const dev of ['typescript', 'esbuild', 'tsx', 'eslint', 'kubernetes-models']) assert.ok(!modules.includes(dev), `${dev} is not in the image`);
});

const logsOf: string[] = [];

test('serve and three pair pods from the manifests\' templates under podman kube play: authenticated runs on an internal network', async (t) => {
  const serveIp = ip(10);
  play(t, podOf(manifest('base/serve-daemonset.yaml'), `${PREFIX}-serve`, { MZC_ADDRESS: serveIp }), serveIp);
  const serveName = `${PREFIX}-serve-serve`;
  // ready: serve says where it listens (awaited, never assumed)
  const deadline = Date.now() + 60000;
  while (!/control port [\d.]+:7999/.test(logs(serveName))) {
    assert.ok(Date.now() < deadline, `serve did not start within 60 s: ${logs(serveName).slice(-2000)}`);
    await sleep(200);
  }

  // The pod's own network namespace has the sysctl given (so a failure below is not that).
  const limits = podman(['exec', serveName, 'sh', '-c', 'cat /proc/sys/net/core/optmem_max; ulimit -l']).stdout.trim().split('\n');
  t.diagnostic(`in the serve pod: optmem_max ${limits[0]}, RLIMIT_MEMLOCK ${limits[1]} kB`);
  assert.equal(limits[0], '1000000');

  // Before any traffic: no way out of this network.
  const net = JSON.parse(podman(['network', 'inspect', NET]).stdout)[0];
  assert.equal(net.internal, true, 'the network is internal');
  const list = JSON.parse(readFileSync(join(dir, 'cni', `${NET}.conflist`), 'utf8'));
  assert.deepEqual(list.plugins.map((p: Yaml) => p.type).sort(), ['bridge', 'tuning']);
  const bridge = list.plugins.find((p: Yaml) => p.type === 'bridge');
  assert.equal(bridge.isGateway, false, 'the bridge is no gateway');
  assert.notEqual(bridge.ipMasq, true, 'no masquerade');
  const addrs = JSON.parse(execFileSync('ip', ['-j', 'addr', 'show', 'dev', BRIDGE], { encoding: 'utf8' }))[0];
  assert.deepEqual((addrs.addr_info ?? []).filter((a: Yaml) => a.family === 'inet'), [], 'the host has no address on the bridge');
  const routes = podman(['exec', serveName, 'cat', '/proc/net/route']).stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/));
  assert.deepEqual(routes.map((r) => r[1]), [Buffer.from(subnet.split('/')[0].split('.').map(Number).reverse()).toString('hex').toUpperCase()],
    'the pod has one route: its own /24 (no default route)');

  for (let k = 1; k <= 3; k++) {
    const address = ip(20 + k);
    const name = `${PREFIX}-pair${k}`;
    play(t, podOf(manifest('pair/pair-job.yaml'), name, { MZC_DESTINATION: serveIp, MZC_ADDRESS: address }), address);
    const container = `${name}-pair`;
    const w = podman(['wait', container], { timeoutMs: 120000 });
    const log = logs(container);
    assert.equal(w.stdout.trim(), '0', `pair pod ${k} exited ${w.stdout.trim()}: ${log.slice(-3000)}`);
    podman(['pod', 'rm', '--force', name]);
    const docs = log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    assert.equal(docs.length, 2, `two runs (copy, zerocopy) in pod ${k}'s log`);
    docs.forEach((d, i) => {
      assert.equal(d.command, 'pair');
      assert.equal(d.exitCode, 0);
      assert.equal(d.control, `${serveIp}:7999`);
      assert.equal(d.sender.src, address, 'the source named by -S');
      assert.equal(d.sender.zerocopy, i === 1, 'copy, then zerocopy');
      assert.equal(d.sender.payloadLen, 8000);
      assert.ok(d.summary.sender.bytes > 1e6 && d.summary.receiver.bytes > 1e6, `${d.summary.sender.bytes} sent, ${d.summary.receiver.bytes} received`);
    });
    assert.match(log, /msg-zerocopy-pod: 2 runs, 0 failed/);
    const file = join(dir, `pair${k}.log`);
    writeFileSync(file, log);
    logsOf.push(file);
  }
  const serveLog = logs(serveName);
  // serve's side: six authenticated runs, two from each pair pod's address, each receiver ended well; nothing refused
  for (let k = 1; k <= 3; k++) {
    const from = new RegExp(`^msg-zerocopy serve: ${ip(20 + k).replace(/\./g, '\\.')}:\\d+ \\(${PREFIX}-pair${k}\\): report sent \\(receiver exit 0\\)`, 'gm');
    assert.equal(countOf(serveLog, from), 2, `two runs reported to pair pod ${k}: ${serveLog.slice(-2000)}`);
  }
  assert.doesNotMatch(serveLog, /: refused: /, serveLog.slice(-2000));
  t.diagnostic(serveLog.split('\n').slice(-4).join(' | '));
});

test('merge over the three pods\' logs: the matrix in text, JSON, CSV and HTML', async (t) => {
  assert.equal(logsOf.length, 3, 'the runs of the test before');
  const report = join(dir, 'fleet.html');
  const csv = join(dir, 'fleet.csv');
  const r = await ours(null, ['merge', ...logsOf, '--json', '--report', report, '--csv', csv], { timeoutMs: 60000 }).done;
  assert.equal(r.code, 0, describe(r));
  const doc = JSON.parse(r.stdout) as FleetDocument;
  assert.equal(doc.reports, 6);
  assert.equal(doc.groups.length, 1, 'one set of options');
  const cells = doc.groups[0].cells;
  // hosts named by the reports' environment blocks: a pod's hostname is its name; the pods run this machine's kernel
  assert.deepEqual(cells.map((c) => c.source), [1, 2, 3].map((k) => `${PREFIX}-pair${k}`), 'a row per source');
  for (const c of cells) {
    assert.equal(c.destination, `${PREFIX}-serve`);
    assert.equal(c.sourceEnvironment?.kernel, release());
    assert.equal(c.destinationEnvironment?.kernel, release());
    assert.equal(c.test, 'udp');
    assert.equal(c.size, 8000);
    assert.equal(c.summary.copy.measured, 1);
    assert.equal(c.summary.zerocopy.measured, 1);
    assert.equal(c.summary.ratio.secPerGBInterval.n, 1, 'copy and zerocopy ran back to back: one pair');
    // over a local bridge every zerocopy completion is copied (delivery to a local socket)
    assert.equal(c.summary.zerocopy.copiedShare, 1);
  }
  // text
  const text = await ours(null, ['merge', ...logsOf], { timeoutMs: 60000, env: { COLUMNS: '200' } }).done;
  assert.equal(text.code, 0, describe(text));
  assert.match(text.stdout, /6 reports from 3 files, 1 group of options/);
  assert.match(text.stdout, new RegExp(`source \\\\ destination\\s+${PREFIX}-serve`));
  // CSV: a row per cell and mode
  const rows = readFileSync(csv, 'utf8').trimEnd().split('\r\n').map((l) => l.split(','));
  assert.deepEqual(rows[0], FLEET_CSV_HEADER);
  assert.equal(rows.length, 1 + 3 * 2);
  const col = (name: string): number => FLEET_CSV_HEADER.indexOf(name);
  assert.deepEqual(rows.slice(1).map((x) => x[col('source')]), [1, 1, 2, 2, 3, 3].map((k) => `${PREFIX}-pair${k}`));
  // (a quoted field: the environment text has commas; the columns before it have none)
  for (const x of rows.slice(1)) assert.match(x[col('source_environment')], new RegExp(`^"kernel ${release().replace(/\./g, '\\.')}`));
  for (const x of rows.slice(1)) assert.ok(Number(x[col('bytes_per_second_median')]) > 1e6);
  // HTML in the browser: self-contained, the matrix and the JSON that --json printed
  const html = readFileSync(report, 'utf8');
  assert.equal(countOf(html, /\s(src|href)=/g), 0, 'nothing to fetch');
  const page = render('fleet', { file: report });
  t.diagnostic(`screenshot: ${page.png}`);
  assert.deepEqual(embeddedJson(page.dom), doc, 'the embedded JSON is the --json document');
  assert.equal(countOf(page.dom, /<table class="matrix">/g), 1);
  assert.equal(countOf(page.dom, /<svg class="chart"/g), 1);
  assert.match(page.dom, new RegExp(`${PREFIX}-pair3 → ${PREFIX}-serve`));
  assert.ok(page.colours.size > 20, 'a page that is drawn');
});
