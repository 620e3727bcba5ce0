// SPDX-License-Identifier: GPL-2.0-only
// The namespace lab: topology as the kernel driver builds it, teardown that
// leaves the host exactly as before, labs side by side, failure paths.
// Needs root; fails (does not skip) without it.
import { test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nsExecArgv } from '../../src/lab/exec.js';
import { createLab, liveLabs, type Lab } from '../../src/lab/lab.js';
import { describe, REPO_ROOT, requireRoot, start, type Proc } from '../support/proc.js';
import { assertHostUnchanged, snapshot } from './lab-helpers.js';

const execFileP = promisify(execFile);
const LAB_MODULE = new URL('../../src/lab/lab.ts', import.meta.url).pathname;
const CONTROL_MODULE = new URL('../../src/core/control.ts', import.meta.url).pathname;

async function sh(argv: string[]): Promise<string> {
  const { stdout } = await execFileP(argv[0], argv.slice(1), { encoding: 'utf8' });
  return stdout;
}
const netnsList = (): Promise<string> => sh(['ip', 'netns', 'list']);
const netnsNames = async (): Promise<string[]> => (await netnsList()).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);

interface IpAddrJson {
  ifname: string; mtu: number; address: string; operstate: string; flags: string[];
  addr_info: Array<{ family: string; local: string; prefixlen: number }>;
}
async function ipJson<T>(ns: string, args: string[]): Promise<T> {
  return JSON.parse(await sh(['ip', '-n', ns, '-j', ...args])) as T;
}
async function sysctl(ns: string, key: string): Promise<string> {
  return (await sh(nsExecArgv(ns, ['sysctl', '-n', key]))).trim();
}

/** Which egress kind the kernel accepts, probed independently of the lab. */
function probeEgressKind(): 'dummy' | 'ifb' {
  const ns = `mzc-probe-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    for (const kind of ['dummy', 'ifb'] as const) {
      try {
        execFileSync('ip', ['-n', ns, 'link', 'add', 'p0', 'type', kind], { stdio: 'ignore' });
        return kind;
      } catch { /* next */ }
    }
    throw new Error('neither dummy nor ifb');
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

/** UDP datagram from the tx namespace; the rx namespace receives it (node dgram inside the netns). */
async function udpAcross(lab: Lab, family: 4 | 6): Promise<string> {
  const dst = lab.addr[family].dst;
  const server = `const s=require('dgram').createSocket('udp${family}');` +
    `s.on('message',m=>{process.stdout.write(String(m));process.exit(0)});` +
    `s.bind(9999,'${dst}',()=>process.stdout.write('ready\\n'));setTimeout(()=>process.exit(3),5000)`;
  const rx = start([process.execPath, '-e', server], { ns: lab.rxNs, timeoutMs: 10000 });
  await rx.waitFor(/ready\n/, 'stdout');
  const client = `const s=require('dgram').createSocket('udp${family}');` +
    `s.send('hello-${family}',9999,'${dst}',e=>{if(e)throw e;s.close()})`;
  await sh(nsExecArgv(lab.txNs, [process.execPath, '-e', client]));
  const r = await rx.done;
  assert.equal(r.code, 0, `udp receiver in ${lab.rxNs}: ${describe(r)}`);
  return r.stdout.replace('ready\n', '');
}

/** Datagrams routed out of the egress device are dropped there: its drop counter grows. */
async function egressDrops(lab: Lab): Promise<number> {
  const [link] = await ipJson<Array<{ stats64: { rx: { dropped: number }; tx: { dropped: number } } }>>(
    lab.rxNs, ['-s', 'link', 'show', 'dev', lab.egressDev]);
  return link.stats64.rx.dropped + link.stats64.tx.dropped;
}

before(() => requireRoot());

const labNames = (...labs: Lab[]) => (n: string) => labs.some((l) => n === l.txNs || n === l.rxNs);

test('createLab builds the driver topology; destroy restores the host exactly', async (t: TestContext) => {
  const before = await snapshot();
  const lab = await createLab();
  try {
    assert.match(lab.id, /^[0-9a-f]{6}$/);
    assert.equal(lab.txNs, `mzc-${lab.id}-tx`);
    assert.equal(lab.rxNs, `mzc-${lab.id}-rx`);
    assert.equal(lab.dev, 'veth0');
    assert.equal(lab.egressKind, probeEgressKind());
    assert.deepEqual(lab.addr, {
      4: { src: '192.168.1.1', dst: '192.168.1.2', txOnly: '192.168.2.2' },
      6: { src: 'fd::1', dst: 'fd::2', txOnly: 'fc::2' },
    });
    const names = await netnsNames();
    assert.ok(names.includes(lab.txNs) && names.includes(lab.rxNs), names.join(','));
    assert.ok(liveLabs().includes(lab));

    const addrs = (l: IpAddrJson, fam: string) => l.addr_info.filter((a) => a.family === fam && !a.local.startsWith('fe80'))
      .map((a) => `${a.local}/${a.prefixlen}`);
    const tx = await ipJson<IpAddrJson[]>(lab.txNs, ['addr', 'show']);
    const rx = await ipJson<IpAddrJson[]>(lab.rxNs, ['addr', 'show']);
    assert.deepEqual(tx.map((l) => l.ifname).sort(), ['lo', 'veth0']);
    assert.deepEqual(rx.map((l) => l.ifname).sort(), [lab.egressDev, 'lo', 'veth0'].sort());
    const txVeth = tx.find((l) => l.ifname === 'veth0') as IpAddrJson;
    const rxVeth = rx.find((l) => l.ifname === 'veth0') as IpAddrJson;
    const eg = rx.find((l) => l.ifname === lab.egressDev) as IpAddrJson;
    assert.equal(txVeth.mtu, 65535);
    assert.equal(rxVeth.mtu, 65535);
    assert.equal(eg.mtu, 65535);
    assert.equal(txVeth.address, '02:02:02:02:02:02');
    assert.equal(rxVeth.address, '06:06:06:06:06:06');
    assert.deepEqual(addrs(txVeth, 'inet'), ['192.168.1.1/24']);
    assert.deepEqual(addrs(txVeth, 'inet6'), ['fd::1/64']);
    assert.deepEqual(addrs(rxVeth, 'inet'), ['192.168.1.2/24']);
    assert.deepEqual(addrs(rxVeth, 'inet6'), ['fd::2/64']);
    assert.deepEqual(addrs(eg, 'inet'), ['192.168.2.1/24']);
    assert.deepEqual(addrs(eg, 'inet6'), ['fc::1/64']);
    for (const l of [...tx, ...rx]) assert.ok(l.flags.includes('UP'), `${l.ifname} is up`);
    // nodad: the lab's IPv6 addresses are usable at once (never tentative)
    for (const ns of [lab.txNs, lab.rxNs]) {
      const lines = (await sh(['ip', '-n', ns, '-6', 'addr'])).split('\n').filter((l) => /inet6 f[cd]::/.test(l));
      assert.equal(lines.length, ns === lab.txNs ? 1 : 2);
      for (const l of lines) {
        assert.match(l, /\bnodad\b/);
        assert.doesNotMatch(l, /tentative/);
      }
    }

    type Route = { dst: string; gateway?: string; dev: string };
    const defaults = async (ns: string, fam: '-4' | '-6') =>
      (await ipJson<Route[]>(ns, [fam, 'route', 'show', 'default'])).map((r) => `${r.gateway} ${r.dev}`);
    assert.deepEqual(await defaults(lab.txNs, '-4'), ['192.168.1.2 veth0']);
    assert.deepEqual(await defaults(lab.txNs, '-6'), ['fd::2 veth0']);
    assert.deepEqual(await defaults(lab.rxNs, '-4'), [`192.168.2.2 ${lab.egressDev}`]);
    assert.deepEqual(await defaults(lab.rxNs, '-6'), [`fc::2 ${lab.egressDev}`]);

    assert.equal(await sysctl(lab.rxNs, 'net.ipv4.ip_forward'), '1');
    assert.equal(await sysctl(lab.rxNs, 'net.ipv6.conf.all.forwarding'), '1');
    assert.equal(await sysctl(lab.txNs, 'net.core.optmem_max'), '1000000');
    assert.equal(await sysctl(lab.rxNs, 'net.core.optmem_max'), '1000000');

    // Traffic: tx-rx delivered over the veth pair, tx-only forwarded and dropped on the egress device.
    assert.equal(await udpAcross(lab, 4), 'hello-4');
    assert.equal(await udpAcross(lab, 6), 'hello-6');
    const drops0 = await egressDrops(lab);
    const send = (fam: 4 | 6, dst: string) => sh(nsExecArgv(lab.txNs, [process.execPath, '-e',
      `const s=require('dgram').createSocket('udp${fam}');let n=0;const go=()=>s.send('x',9,'${dst}',()=>{if(++n<10)go();else s.close()});go()`]));
    await send(4, lab.addr[4].txOnly);
    await send(6, lab.addr[6].txOnly);
    assert.ok(await egressDrops(lab) - drops0 >= 20, 'egress device dropped the forwarded datagrams');
  } finally {
    await lab.destroy();
  }
  assert.equal(lab.destroyed, true);
  assert.ok(!liveLabs().includes(lab));
  await assertHostUnchanged(before, labNames(lab), (s) => t.diagnostic(s));
  await lab.destroy(); // idempotent
  await assertHostUnchanged(before, labNames(lab), (s) => t.diagnostic(s));
});

test('two labs at once get distinct names and both work', async (t: TestContext) => {
  const before = await snapshot();
  const [a, b] = await Promise.all([createLab(), createLab()]);
  try {
    assert.notEqual(a.id, b.id);
    assert.equal(new Set([a.txNs, a.rxNs, b.txNs, b.rxNs]).size, 4);
    const [ra, rb] = await Promise.all([udpAcross(a, 4), udpAcross(b, 6)]);
    assert.equal(ra, 'hello-4');
    assert.equal(rb, 'hello-6');
  } finally {
    await Promise.all([a.destroy(), b.destroy()]);
  }
  await assertHostUnchanged(before, labNames(a, b), (s) => t.diagnostic(s));
});

test('a failure halfway removes what was made and names the cause', async (t: TestContext) => {
  const before = await snapshot();
  const prefix = `mzcfail${process.pid}-`;
  // Only accept a device kind that does not exist: setup fails at the egress step.
  await assert.rejects(createLab({ prefix, egressKinds: ['no-such-kind' as never] }),
    (e: Error) => {
      assert.match(e.message, new RegExp(`^lab setup failed at egress device: cannot create an egress-only device in ${prefix}[0-9a-f]{6}-rx`));
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  await assertHostUnchanged(before, (n) => n.startsWith(prefix), (s) => t.diagnostic(s));
  await assert.rejects(createLab({ prefix: 'bad/prefix' }), /invalid lab prefix/);
});

test('without root the error says so in one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mzc-lab-'));
  try {
    const script = join(dir, 'noroot.mts');
    writeFileSync(script, `import { createLab } from ${JSON.stringify(LAB_MODULE)};\n` +
      'try { await createLab(); console.log("created?!"); } catch (e) { console.log(String(e.message)); }\n');
    chmodSync(dir, 0o755); // readable by the unprivileged user
    chmodSync(script, 0o644);
    const { stdout } = await execFileP('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all',
      process.execPath, '--import', 'tsx', script], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8' });
    assert.equal(stdout.trim(), 'ip netns add needs root (CAP_SYS_ADMIN)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Run a script (src through tsx) that makes labs, with its owner records in `recordDir`. */
function labScript(dir: string, name: string, body: string, recordDir: string) {
  const script = join(dir, `${name}.mts`);
  writeFileSync(script, `import { createLab, destroyAllLabsSync } from ${JSON.stringify(LAB_MODULE)};\n` +
    `import { RunControl } from ${JSON.stringify(CONTROL_MODULE)};\n` +
    'import { spawn, execFileSync } from "node:child_process";\n' +
    'import { readdirSync } from "node:fs";\n' + body + '\n');
  return start([process.execPath, '--import', 'tsx', script], { cwd: REPO_ROOT, env: { MSG_ZEROCOPY_LAB_DIR: recordDir } });
}

/** Make a lab, leave a child running inside its rx namespace; print both names, its pid and the owner records. */
const MAKE_LAB = 'const lab = await createLab();\n' +
  // a child left running inside the namespace must not keep it alive
  'const inside = spawn("ip", ["netns", "exec", lab.rxNs, "sleep", "30"], { stdio: "ignore", detached: true });\n' +
  'inside.unref();\n' +
  'await new Promise((r) => setTimeout(r, 300));\n' +
  'process.stdout.write([lab.txNs, lab.rxNs, inside.pid, readdirSync(process.env.MSG_ZEROCOPY_LAB_DIR).join(",")].join(" ") + "\\n");\n';

/**
 * On every exit path of a test: kill the scripts still running and remove the
 * namespaces their owner records (under `dir`) name, so a failed assertion or
 * a script past its deadline leaves nothing behind.
 */
async function removeRecorded(dir: string, scripts: Array<{ kill(sig?: NodeJS.Signals): void; done: Promise<unknown> }>): Promise<void> {
  for (const p of scripts) p.kill('SIGKILL');
  await Promise.all(scripts.map((p) => p.done));
  let files: string[] = [];
  try {
    files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.json'));
  } catch { /* none */ }
  for (const f of files) {
    const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { namespaces: string[] };
    for (const ns of rec.namespaces) {
      try {
        for (const pid of (await sh(['ip', 'netns', 'pids', ns])).split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
        await sh(['ip', 'netns', 'del', ns]);
      } catch { /* already gone */ }
    }
  }
}

const isRunning = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]);
  } catch {
    return false;
  }
};

test('safety net: labs of a process that exits or throws are removed, with their owner records and the children inside', async (t: TestContext) => {
  const before = await snapshot();
  const created: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'mzc-lab-'));
  const scripts: Proc[] = [];
  try {
    const ends = {
      exit: 'process.exit(0);',
      throw: 'throw new Error("boom");',
      reject: 'void Promise.reject(new Error("boom"));',
    };
    await Promise.all(Object.entries(ends).map(async ([name, end]) => {
      const records = mkdtempSync(join(dir, `${name}-`));
      const proc = labScript(dir, name, MAKE_LAB + end, records);
      scripts.push(proc);
      const { stdout, code } = await proc.done;
      const [txNs, rxNs, inside, recorded] = stdout.trim().split(' ');
      created.push(txNs, rxNs);
      assert.match(txNs ?? '', /^mzc-[0-9a-f]{6}-tx$/, `${name}: lab was created`);
      assert.equal(recorded, `${txNs.replace(/-tx$/, '')}.json`, `${name}: owner record written while the lab lived`);
      const names = await netnsNames();
      assert.ok(!names.includes(txNs) && !names.includes(rxNs), `${name}: namespaces removed`);
      assert.equal(isRunning(Number(inside)), false, `${name}: the child inside was killed`);
      assert.deepEqual(readdirSync(records), [], `${name}: owner record removed`);
      assert.equal(code, name === 'exit' ? 0 : 1);
    }));
  } finally {
    await removeRecorded(dir, scripts);
    rmSync(dir, { recursive: true, force: true });
  }
  await assertHostUnchanged(before, (n) => created.includes(n), (s) => t.diagnostic(s));
});

test('a signal nobody handles keeps its default action; the next createLab removes the lab left behind, in one line', async (t: TestContext) => {
  const before = await snapshot();
  const created: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'mzc-lab-'));
  const scripts: Proc[] = [];
  try {
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGKILL'] as const) {
      const records = mkdtempSync(join(dir, `${sig}-`));
      const proc = labScript(dir, sig, `${MAKE_LAB}process.kill(process.pid, "${sig}"); setTimeout(() => {}, 10000);`, records);
      scripts.push(proc);
      const { stdout, signal } = await proc.done;
      const [txNs, rxNs, inside] = stdout.trim().split(' ');
      created.push(txNs, rxNs);
      assert.match(txNs ?? '', /^mzc-[0-9a-f]{6}-tx$/, `${sig}: lab was created`);
      assert.equal(signal, sig, `${sig}: the process died of it`);
      const notes: string[] = [];
      const lab = await createLab({ recordDir: records, onNote: (l) => notes.push(l) });
      await lab.destroy();
      t.diagnostic(`${sig}: ${notes.join(' | ')}`);
      assert.deepEqual(notes, [`msg-zerocopy: removed stale namespaces ${txNs}, ${rxNs} (owner pid ${proc.pid} is gone)`]);
      const names = await netnsNames();
      assert.ok(!names.includes(txNs) && !names.includes(rxNs), `${sig}: namespaces removed`);
      assert.equal(isRunning(Number(inside)), false, `${sig}: the child left inside was killed`);
      assert.deepEqual(readdirSync(records), [], `${sig}: records removed`);
    }
  } finally {
    await removeRecorded(dir, scripts);
    rmSync(dir, { recursive: true, force: true });
  }
  await assertHostUnchanged(before, (n) => created.includes(n), (s) => t.diagnostic(s));
});

test('signals have one owner: under RunControl the first SIGINT leaves the lab and its children running; the second forces, and its hook removes the lab', async (t: TestContext) => {
  const before = await snapshot();
  const dir = mkdtempSync(join(tmpdir(), 'mzc-lab-'));
  const scripts: Proc[] = [];
  let names: string[] = [];
  try {
    const records = mkdtempSync(join(dir, 'records-'));
    // As the commands do: stop asks the run to end (here: report what the lab looks like), force removes the labs.
    const proc = labScript(dir, 'owner', 'new RunControl().install({\n' +
      '  stop: () => setTimeout(() => process.stdout.write(JSON.stringify({ destroyed: lab.destroyed,\n' +
      '    listed: execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).includes(lab.rxNs),\n' +
      '    insideRunning: inside.exitCode === null && inside.signalCode === null }) + "\\n"), 200),\n' +
      '  force: destroyAllLabsSync,\n' +
      '});\n' + MAKE_LAB + 'setInterval(() => {}, 1000);', records);
    scripts.push(proc);
    await proc.waitFor(/-rx \d+ \S*\n/, 'stdout');
    proc.kill('SIGINT');
    await proc.waitFor(/\}\n/, 'stdout');
    proc.kill('SIGINT');
    const r = await proc.done;
    const [first, second] = r.stdout.trim().split('\n');
    names = first.split(' ').slice(0, 2);
    const insidePid = Number(first.split(' ')[2]);
    assert.deepEqual(JSON.parse(second), { destroyed: false, listed: true, insideRunning: true },
      'the first signal only asked the run to stop');
    assert.equal(r.code, 130, describe(r));
    const now = await netnsNames();
    assert.ok(!now.includes(names[0]) && !now.includes(names[1]), 'the second signal removed the lab');
    assert.equal(isRunning(insidePid), false, 'and the child inside it');
    assert.deepEqual(readdirSync(records), [], 'and its owner record');
  } finally {
    await removeRecorded(dir, scripts);
    rmSync(dir, { recursive: true, force: true });
  }
  await assertHostUnchanged(before, (n) => names.includes(n), (s) => t.diagnostic(s));
});
