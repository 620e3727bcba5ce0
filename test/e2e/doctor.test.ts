// SPDX-License-Identifier: GPL-2.0-only
// The doctor's predictions against measurement: in the lab's namespaces,
// over a matrix of paths, `doctor --json` must predict exactly what a real
// run then reports (all completions copied, none copied, or the run fails
// and its own error line names the cause). ethtool(8) is used here only to
// set features; the tool reads them through the ioctl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { receiverSocketsBound } from '../../src/run/ready.js';
import { BIN, start, sleep, type ProcResult } from '../support/proc.js';
import { useLab } from '../support/lab.js';

const lab = useLab();

interface Doctor {
  prediction: 'zerocopy' | 'copied' | 'fails' | 'unknown';
  reason: string;
  checks: Array<{ name: string; verdict: string; detail: string; fix: string | null }>;
  environment: Record<string, unknown>;
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const inNs = (ns: string, ...argv: string[]): string => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });

/** argv run as an unprivileged user (nobody) with a locked-memory limit of `memlockKib`, inside `ns`. */
const unprivileged = (memlockKib: number, argv: string[]): string[] => [
  'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', 'sh', '-c',
  `ulimit -l ${memlockKib} && exec "$@"`, 'sh', ...argv,
];

async function runIn(ns: string, argv: string[], timeoutMs = 20000): Promise<ProcResult> {
  return start(argv, { ns, timeoutMs }).done;
}

async function doctor(ns: string, args: string[], wrap: (a: string[]) => string[] = (a) => a): Promise<Doctor> {
  const r = await runIn(ns, wrap([process.execPath, BIN, 'doctor', '--json', ...args]));
  assert.equal(r.code, 0, `doctor ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Doctor;
}

interface Measured {
  outcome: 'zerocopy' | 'copied' | 'mixed' | 'fails' | 'none';
  r: ProcResult;
  report: Record<string, unknown> | null;
}

/** A zerocopy run (-t 0: 200 ms) and what its notifications said. */
async function measure(ns: string, args: string[], wrap: (a: string[]) => string[] = (a) => a): Promise<Measured> {
  const r = await runIn(ns, wrap([process.execPath, BIN, '--json', '-t', '0', ...args]));
  const report = r.stdout.trim() ? JSON.parse(r.stdout) as Record<string, unknown> : null;
  if (r.code === 2) return { outcome: 'fails', r, report };
  assert.equal(r.code, 0, `run ${args.join(' ')}: ${r.stderr}`);
  const copied = Number(report?.copiedCompletions);
  const zc = Number(report?.zerocopiedCompletions);
  const outcome = copied + zc === 0 ? 'none' : copied === 0 ? 'zerocopy' : zc === 0 ? 'copied' : 'mixed';
  return { outcome, r, report };
}

/** Doctor first, then the run; they must agree. Returns both for the case's own checks. */
async function agree(ns: string, doctorArgs: string[], runArgs: string[], wrap?: (a: string[]) => string[]): Promise<{ d: Doctor; m: Measured }> {
  const d = await doctor(ns, doctorArgs, wrap);
  const m = await measure(ns, runArgs, wrap);
  assert.equal(m.outcome, d.prediction, `doctor predicted ${d.prediction} (${d.reason}); the run: ${m.outcome}\n${m.r.stderr}`);
  return { d, m };
}

/** A udp receiver in `ns` on `dst`:`port` for the local-delivery cases, ready once its socket is bound. */
async function withReceiver<T>(ns: string, family: 4 | 6, dst: string, port: number, body: () => Promise<T>): Promise<T> {
  const rx = start([process.execPath, BIN, `-${family}`, '-r', '-D', dst, '-p', String(port), '-t', '30', 'udp'], { ns, timeoutMs: 40000 });
  try {
    const until = Date.now() + 10000;
    while (!(await receiverSocketsBound(rx.pid, family, 'udp', port))) {
      if (Date.now() > until) throw new Error('receiver not ready in 10 s');
      await sleep(20);
    }
    return await body();
  } finally {
    rx.kill('SIGTERM');
    await rx.done;
  }
}

test('veth, local delivery in the peer namespace: predicted copied, and copied', async () => {
  const a = lab().addr[4];
  const { d, m } = await withReceiver(lab().rxNs, 4, a.dst, 9501, () =>
    agree(lab().txNs, ['-4', '-D', a.dst, 'udp'], ['-4', '-z', '-D', a.dst, '-p', '9501', 'udp']));
  assert.equal(d.prediction, 'copied');
  assert.match(d.reason, /local socket in namespace mzc-/);
  // The run's own line says why, after the classic line, on stderr.
  assert.match(m.r.stderr, /^tx=\d+ .*\nzerocopy: 0 of \d+ completions not copied; copied because .*local/m);
  assert.match(String(m.report?.copiedBecause), /delivered to a local socket/);
});

test('loopback: predicted copied, and copied', async () => {
  await withReceiver(lab().txNs, 4, '127.0.0.1', 9502, () =>
    agree(lab().txNs, ['-4', '-D', '127.0.0.1', 'udp'], ['-4', '-z', '-D', '127.0.0.1', '-p', '9502', 'udp']));
});

for (const family of [4, 6] as const) {
  test(`IPv${family} forwarding through the middle namespace out of ifb, everything on: predicted zerocopy, and zerocopy`, async () => {
    const dst = lab().addr[family].txOnly;
    const { d, m } = await agree(lab().txNs, [`-${family}`, '-D', dst, 'udp'], [`-${family}`, '-z', '-D', dst, 'udp']);
    assert.equal(d.prediction, 'zerocopy');
    assert.ok(d.checks.some((c) => c.name === 'forwarding' && c.verdict === 'ok' && /forwarded by mzc-/.test(c.detail)));
    assert.match(m.r.stderr, /^zerocopy: (\d+) of \1 completions not copied$/m);
    assert.equal(m.report?.copiedBecause, null);
  });
}

test('ifb egress from its own namespace, everything on: predicted zerocopy, and zerocopy', async () => {
  await agree(lab().rxNs, ['-4', '-D', lab().addr[4].txOnly, 'udp'], ['-4', '-z', '-D', lab().addr[4].txOnly, 'udp']);
});

for (const [feature, name] of [['sg', 'scatter-gather'], ['tx', 'tx checksum']] as const) {
  test(`ifb with ${feature} off: predicted copied (${name}), and copied`, async () => {
    const dev = lab().egressDev;
    inNs(lab().rxNs, 'ethtool', '-K', dev, feature, 'off');
    try {
      const dst = lab().addr[4].txOnly;
      const { d, m } = await agree(lab().txNs, ['-4', '-D', dst, 'udp'], ['-4', '-z', '-D', dst, 'udp']);
      assert.equal(d.prediction, 'copied');
      const check = d.checks.find((c) => c.verdict === 'will copy');
      assert.match(check?.fix ?? '', new RegExp(`ethtool -K ${dev} ${feature} on`));
      assert.match(m.r.stderr, /copied because .*(scatter-gather|checksum)/);
    } finally {
      inNs(lab().rxNs, 'ethtool', '-K', dev, 'sg', 'on', 'tx', 'on');
    }
  });
}

test('udp datagrams over the first device\'s MTU: predicted copied (fragmented), and copied', async () => {
  ip('-n', lab().txNs, 'link', 'set', 'dev', 'veth0', 'mtu', '1500');
  try {
    const dst = lab().addr[4].txOnly;
    const { d } = await agree(lab().txNs, ['-4', '-D', dst, 'udp'], ['-4', '-z', '-D', dst, 'udp']);
    assert.ok(d.checks.some((c) => c.name === 'mtu' && c.verdict === 'will copy'));
    // At 1472 bytes the datagram fits: zero copy again.
    await agree(lab().txNs, ['-4', '-D', dst, '-s', '1472', 'udp'], ['-4', '-z', '-D', dst, '-s', '1472', 'udp']);
  } finally {
    ip('-n', lab().txNs, 'link', 'set', 'dev', 'veth0', 'mtu', '65535');
  }
});

test('net.core.optmem_max too low for one notification: predicted to fail, fails with ENOBUFS naming optmem_max', async () => {
  inNs(lab().txNs, 'sysctl', '-qw', 'net.core.optmem_max=256');
  try {
    const dst = lab().addr[4].txOnly;
    const { d, m } = await agree(lab().txNs, ['-4', '-D', dst, 'udp'], ['-4', '-z', '-D', dst, 'udp']);
    assert.match(d.reason, /optmem_max 256/);
    assert.match(m.r.stderr, /send: No buffer space available \(net\.core\.optmem_max \(256\) is below one notification/);
  } finally {
    inNs(lab().txNs, 'sysctl', '-qw', 'net.core.optmem_max=1000000');
  }
});

test('an unprivileged user with ulimit -l 64: predicted to fail, fails with ENOBUFS naming RLIMIT_MEMLOCK; with 8192 it runs', async () => {
  const dst = lab().addr[4].txOnly;
  const low = (a: string[]): string[] => unprivileged(64, a);
  const { d, m } = await agree(lab().txNs, ['-4', '-D', dst, 'udp'], ['-4', '-z', '-D', dst, 'udp'], low);
  assert.match(d.reason, /RLIMIT_MEMLOCK 64 KiB/);
  assert.match(m.r.stderr, /send: No buffer space available \(RLIMIT_MEMLOCK \(ulimit -l 64 KiB\)/);
  assert.doesNotMatch(m.r.stderr, /raise net\.core\.optmem_max/);
  // As that user the peer namespace cannot be entered: the path is unknown, never a guessed ok.
  const high = await doctor(lab().txNs, ['-4', '-D', dst, 'udp'], (a) => unprivileged(8192, a));
  assert.equal(high.prediction, 'unknown');
  const run = await measure(lab().txNs, ['-4', '-z', '-D', dst, 'udp'], (a) => unprivileged(8192, a));
  assert.notEqual(run.outcome, 'fails', run.r.stderr);
});

test('io_uring SEND_ZC: out of ifb predicted zerocopy, to a local socket predicted copied; both as measured', async () => {
  const out = lab().addr[4].txOnly;
  const d = await doctor(lab().txNs, ['-4', '-D', out, '--api', 'uring', 'udp']);
  const r = await runIn(lab().txNs, [process.execPath, BIN, 'uring', '--json', '-4', '-D', out, '-t', '1', '-m', '1', 'udp']);
  assert.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { copiedCompletions: number; zerocopiedCompletions: number };
  assert.ok(rep.zerocopiedCompletions > 0 && rep.copiedCompletions === 0, r.stderr);
  assert.equal(d.prediction, 'zerocopy');
  assert.ok(d.checks.some((c) => c.name === 'io_uring' && c.verdict === 'ok'));
  const a = lab().addr[4];
  await withReceiver(lab().rxNs, 4, a.dst, 9503, async () => {
    const dl = await doctor(lab().txNs, ['-4', '-D', a.dst, '--api', 'uring', 'udp']);
    const rl = await runIn(lab().txNs, [process.execPath, BIN, 'uring', '--json', '-4', '-D', a.dst, '-p', '9503', '-t', '1', '-m', '1', 'udp']);
    assert.equal(rl.code, 0, rl.stderr);
    const repl = JSON.parse(rl.stdout) as { copiedCompletions: number; zerocopiedCompletions: number; copiedBecause: string };
    assert.equal(dl.prediction, 'copied');
    assert.ok(repl.copiedCompletions > 0 && repl.zerocopiedCompletions === 0, rl.stderr);
    assert.match(repl.copiedBecause, /local socket/);
  });
});

test('doctor: a malformed address and an unreachable one each give one line and exit 1', async () => {
  // A namespace of its own with no route but loopback: nothing is reachable from it.
  const ns = `mzc-doctor-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  ip('netns', 'add', ns);
  try {
    ip('-n', ns, 'link', 'set', 'dev', 'lo', 'up');
    for (const [args, re] of [
      [['-4', '-D', '192.168.1.x'], /^msg-zerocopy: bad address: 192\.168\.1\.x \(-D needs an IPv4 address with -4\)\n$/],
      [['-D', 'fd::zz'], /^msg-zerocopy: bad address: fd::zz \(-D needs an IPv4 or IPv6 address\)\n$/],
      [['-D', '10.99.0.1'], /^msg-zerocopy: no route to 10\.99\.0\.1 from this network namespace \(Network is unreachable\) \(.*\)\n$/],
      [['-6', '-D', 'fc::2', 'udp'], /^msg-zerocopy: no route to fc::2 from this network namespace \(Network is unreachable\) \(.*\)\n$/],
    ] as const) {
      const r = await runIn(ns, [process.execPath, BIN, 'doctor', ...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    }
  } finally {
    ip('netns', 'del', ns);
  }
});

/** The environment block: every field the README lists, with its type. */
function assertEnvironment(env: unknown, where: string, egress: 'device' | 'null'): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON document walked field by field
  const e = env as Record<string, any>;
  assert.equal(typeof e, 'object', `${where}: no environment`);
  const is = (v: unknown, t: string, name: string): void => assert.equal(v === null ? 'null' : typeof v, t, `${where}: environment.${name}`);
  is(e.tool, 'string', 'tool');
  is(e.toolVersion, 'string', 'toolVersion');
  assert.match(e.node, /^v\d+\./, `${where}: node`);
  assert.match(e.koffi, /^\d+\.\d+/, `${where}: koffi`);
  assert.ok(Array.isArray(e.commandLine) && e.commandLine[0] === 'msg-zerocopy', `${where}: commandLine`);
  assert.match(e.runId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, `${where}: runId`);
  assert.ok(!Number.isNaN(Date.parse(e.timestamp)), `${where}: timestamp`);
  for (const k of ['release', 'version', 'machine', 'hostname']) is(e.kernel[k], 'string', `kernel.${k}`);
  is(e.cpu.count, 'number', 'cpu.count');
  is(e.cpu.allowedCount, 'number', 'cpu.allowedCount');
  is(e.cpu.allowed, 'string', 'cpu.allowed');
  assert.ok(e.cpu.model === null || typeof e.cpu.model === 'string');
  assert.ok(e.cpu.governor === null || typeof e.cpu.governor === 'string');
  if (egress === 'device') {
    for (const k of ['name', 'kind']) is(e.egress[k], 'string', `egress.${k}`);
    is(e.egress.mtu, 'number', 'egress.mtu');
    is(e.egress.qdisc, 'string', 'egress.qdisc');
    assert.ok(Array.isArray(e.egress.features) && e.egress.features.includes('tx-scatter-gather'), `${where}: egress.features`);
    for (const k of ['driver', 'version', 'firmware', 'bus']) assert.ok(e.egress[k] === null || typeof e.egress[k] === 'string', `${where}: egress.${k}`);
  } else {
    assert.equal(e.egress, null, `${where}: egress`);
  }
  for (const k of ['optmem_max', 'wmem_max', 'rmem_max', 'ipv4_forward', 'ipv6_forwarding']) is(e.sysctls[k], 'number', `sysctls.${k}`);
  for (const k of ['tcp_wmem', 'tcp_rmem']) assert.ok(Array.isArray(e.sysctls[k]) && e.sysctls[k].length === 3, `${where}: sysctls.${k}`);
  is(e.memlock.exempt, 'boolean', 'memlock.exempt');
  assert.ok(e.memlock.limitBytes === null || typeof e.memlock.limitBytes === 'number');
  assert.ok(e.hugePages.thp === null || typeof e.hugePages.thp === 'string');
  is(e.iommu.present, 'boolean', 'iommu.present');
}

test('environment: in the classic sender, receiver and error reports, the io_uring report and the doctor, with its types', async () => {
  const out = lab().addr[4].txOnly;
  const tx = await measure(lab().txNs, ['-4', '-z', '-D', out, 'udp']);
  assertEnvironment(tx.report?.environment, 'sender', 'device');
  const env = tx.report?.environment as { egress: { name: string; kind: string }; sysctls: { optmem_max: number } };
  assert.equal(env.egress.name, 'veth0');
  assert.equal(env.egress.kind, 'veth');
  assert.equal(env.sysctls.optmem_max, 1000000, 'the namespace\'s own optmem_max (the lab sets 1000000)');
  const err = await runIn(lab().txNs, [process.execPath, BIN, '--json', '-4', '-z', '-D', out, '-t', '0', 'raw']);
  assert.equal(err.code, 2);
  assertEnvironment((JSON.parse(err.stdout) as { environment: unknown }).environment, 'error report', 'device');
  const u = await runIn(lab().txNs, [process.execPath, BIN, 'uring', '--json', '-4', '-D', out, '-t', '0', 'udp']);
  assert.equal(u.code, 0, u.stderr);
  assertEnvironment((JSON.parse(u.stdout) as { environment: unknown }).environment, 'uring', 'device');
  const d = await doctor(lab().txNs, ['-4', '-D', out, 'udp']);
  assertEnvironment(d.environment, 'doctor', 'device');
  const rx = await runIn(lab().rxNs, [process.execPath, BIN, '--json', '-4', '-r', '-D', lab().addr[4].dst, '-p', '9504', '-t', '0', 'udp']);
  assert.equal(rx.code, 0, rx.stderr);
  assertEnvironment((JSON.parse(rx.stdout) as { environment: unknown }).environment, 'receiver', 'null');
});
