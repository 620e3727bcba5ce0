// SPDX-License-Identifier: GPL-2.0-only
// Compatibility with the kernel's tcp_mmap (tools/testing/selftests/net/
// tcp_mmap.c, linux 6.12, built by the reference helper with -lpthread
// -lcrypto): `msg-zerocopy mmap` interoperates with it both ways, in a
// namespace whose loopback has MTU 61512 (15 x 4096 + 40 + 32: a page-sized
// MSS over ::1), with the same bytes and the same percentages within noise,
// and prints the same two lines.
//
// tcp_mmap's client always sends 32 GiB. To keep each case to seconds, its
// client is stopped (SIGSTOP) after a moment, its socket drained (Send-Q 0
// in `ss -ti`), and the bytes it sent read from the kernel: tcpi_bytes_acked
// less the 1 that the SYN counts. Then it is killed; its socket closes with a
// FIN and the server reads to EOF. Our client sends --bytes, a whole number
// of MB, so tcp_mmap's server prints it exactly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLab, type Lab } from '../../src/lab/lab.js';
import { nsExecArgv } from '../../src/lab/exec.js';
import { ensureMmapReference } from '../../src/reference/reference.js';
import { describe as show, ours, ourUnavailableReason, parseJson, rootUnavailableReason, sleep, start, type Proc } from '../support/proc.js';

let lab: Lab | undefined;
let dir = '';
let cBin = '';
const ns = (): string => lab!.rxNs;

before(async () => {
  const why = rootUnavailableReason() ?? ourUnavailableReason();
  if (why) throw new Error(`tcp_mmap compat tests cannot run: ${why}`);
  const ref = await ensureMmapReference({ log: (l) => console.log(l) });
  // A private copy: another process rebuilding the cache must not remove it mid-test.
  dir = await mkdtemp(join(tmpdir(), 'mzc-mmap-compat-'));
  cBin = join(dir, 'tcp_mmap');
  await copyFile(ref.bin, cBin);
  execFileSync('chmod', ['755', cBin]);
  lab = await createLab();
  execFileSync('ip', ['-n', ns(), 'link', 'set', 'dev', 'lo', 'mtu', '61512']);
});

after(async () => {
  await lab?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const LINE1 = /^received ([\d.e+]+) MB \(([\d.e+-]+) % mmap'ed\) in [\d.e+-]+ s, [\d.e+-]+ Gbit$/m;
const LINE2 = /^ {2}cpu usage user:[\d.e+-]+ sys:[\d.e+-]+, [\d.e+-]+ usec per MB, \d+ c-switches, rcv_mss (\d+)$/m;

interface Lines { mb: number; percent: number; rcvMss: number }

function lines(stdout: string): Lines {
  const a = LINE1.exec(stdout);
  const b = LINE2.exec(stdout);
  assert.ok(a && b, `tcp_mmap's two lines in:\n${stdout}`);
  assert.equal(b.index, a.index + a[0].length + 1, 'the cpu line follows the received line');
  return { mb: Number(a[1]), percent: Number(a[2]), rcvMss: Number(b[1]) };
}

async function listening(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const out = execFileSync('ip', ['netns', 'exec', ns(), 'ss', '-Hltn', 'sport', '=', `:${port}`], { encoding: 'utf8' });
    if (out.trim()) return;
    await sleep(20);
  }
  throw new Error(`nothing listens on port ${port} in ${ns()}`);
}

/**
 * Stop tcp_mmap's client, wait until everything it sent is acknowledged,
 * and return how many bytes it sent (tcpi_bytes_acked - 1 for the SYN).
 */
async function stopClient(client: Proc, port: number): Promise<number> {
  process.kill(client.pid, 'SIGSTOP');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const out = execFileSync('ip', ['netns', 'exec', ns(), 'ss', '-Htni', 'state', 'established', 'dport', '=', `:${port}`],
      { encoding: 'utf8' });
    const q = /^\s*(\d+)\s+(\d+)\s/.exec(out);
    const acked = /bytes_acked:(\d+)/.exec(out);
    if (q && acked && q[2] === '0') {
      client.kill('SIGKILL');
      return Number(acked[1]) - 1;
    }
    await sleep(20);
  }
  client.kill('SIGKILL');
  throw new Error('tcp_mmap client: its send queue did not drain within 10 s');
}

const C_SERVER = (port: number, extra: string[] = []): string[] => nsExecArgv(ns(), ['stdbuf', '-oL', cBin, '-s', '-p', String(port), ...extra]);
const C_CLIENT = (port: number, extra: string[] = []): string[] => nsExecArgv(ns(), [cBin, '-H', '::1', '-p', String(port), ...extra]);

/** Their client into a server; the server's output once it has printed its lines. */
async function theirClientInto(server: Proc, port: number, zerocopy: boolean, kill: boolean): Promise<{ sent: number; stdout: string; code: number | null }> {
  await listening(port);
  const client = start(C_CLIENT(port, zerocopy ? ['-z'] : []), { timeoutMs: 60_000 });
  await sleep(1500);
  const sent = await stopClient(client, port);
  await client.done;
  await server.waitFor(LINE2, 'stdout');
  if (kill) server.kill('SIGKILL');
  const r = await server.done;
  return { sent, stdout: r.stdout, code: r.code };
}

test("tcp_mmap's client (-z) into our server (-s -z) and into its own: same bytes, >= 99 % mapped by both", async () => {
  const oursSrv = ours(ns(), ['mmap', '-s', '-z', '-p', '9601', '--connections', '1', '--json'], { timeoutMs: 60_000 });
  const a = await theirClientInto(oursSrv, 9601, true, false);
  assert.equal(a.code, 0, `our server exits 0 after --connections 1\n${a.stdout}`);
  const j = parseJson(a.stdout)!;
  assert.equal(j.bytes, a.sent, 'our server read exactly what their client sent');
  const ol = lines(a.stdout);
  assert.ok(Math.abs(ol.mb - a.sent / 1048576) <= ol.mb * 1e-5, `${ol.mb} MB printed for ${a.sent} bytes`);
  assert.ok(ol.percent >= 99, `ours: ${ol.percent} % mmap'ed`);
  assert.equal(ol.rcvMss, 61440);
  assert.ok(a.sent > 100 * 1048576, `sent ${a.sent}`);

  const cSrv = start(C_SERVER(9602, ['-z']), { timeoutMs: 60_000 });
  const c = await theirClientInto(cSrv, 9602, true, true);
  const cl = lines(c.stdout);
  assert.ok(Math.abs(cl.mb - c.sent / 1048576) <= cl.mb * 1e-5, `tcp_mmap: ${cl.mb} MB printed for ${c.sent} bytes`);
  assert.ok(cl.percent >= 99, `tcp_mmap: ${cl.percent} % mmap'ed`);
  assert.ok(Math.abs(ol.percent - cl.percent) < 0.5, `ours ${ol.percent} %, tcp_mmap ${cl.percent} %`);
});

test('our client (-z --bytes 512 MiB) into tcp_mmap -s -z and into ours: tcp_mmap prints exactly 512 MB, both >= 99 % mapped', async () => {
  const bytes = 512 * 1048576;
  const cSrv = start(C_SERVER(9603, ['-z']), { timeoutMs: 60_000 });
  await listening(9603);
  const cl = await ours(ns(), ['mmap', '-H', '::1', '-p', '9603', '-z', '--bytes', String(bytes), '--json'], { timeoutMs: 60_000 }).done;
  assert.equal(cl.code, 0, show(cl));
  assert.equal(parseJson(cl.stdout)!.bytes, bytes);
  await cSrv.waitFor(LINE2, 'stdout');
  cSrv.kill('SIGKILL');
  const c = lines((await cSrv.done).stdout);
  assert.equal(c.mb, 512);
  assert.ok(c.percent >= 99, `tcp_mmap: ${c.percent} % mmap'ed`);

  const oSrv = ours(ns(), ['mmap', '-s', '-z', '-p', '9604', '--connections', '1', '--json'], { timeoutMs: 60_000 });
  await listening(9604);
  const cl2 = await ours(ns(), ['mmap', '-H', '::1', '-p', '9604', '-z', '--bytes', String(bytes)], { timeoutMs: 60_000 }).done;
  assert.equal(cl2.code, 0, show(cl2));
  const o = await oSrv.done;
  assert.equal(o.code, 0, show(o));
  assert.equal(parseJson(o.stdout)!.bytes, bytes);
  const ol = lines(o.stdout);
  assert.equal(ol.mb, 512);
  assert.ok(ol.percent >= 99, `ours: ${ol.percent} %`);
  assert.ok(Math.abs(ol.percent - c.percent) < 0.5, `ours ${ol.percent} %, tcp_mmap ${c.percent} %`);
});

test('copying senders (no -z) both ways: the low figure on both servers, same bytes', async () => {
  const oSrv = ours(ns(), ['mmap', '-s', '-z', '-p', '9605', '--connections', '1', '--json'], { timeoutMs: 60_000 });
  const a = await theirClientInto(oSrv, 9605, false, false);
  assert.equal(parseJson(a.stdout)!.bytes, a.sent);
  const ol = lines(a.stdout);

  const bytes = 256 * 1048576;
  const cSrv = start(C_SERVER(9606, ['-z']), { timeoutMs: 60_000 });
  await listening(9606);
  const cl = await ours(ns(), ['mmap', '-H', '::1', '-p', '9606', '--bytes', String(bytes)], { timeoutMs: 60_000 }).done;
  assert.equal(cl.code, 0, show(cl));
  await cSrv.waitFor(LINE2, 'stdout');
  cSrv.kill('SIGKILL');
  const c = lines((await cSrv.done).stdout);
  assert.equal(c.mb, 256);
  assert.ok(ol.percent < 1 && c.percent < 1, `a copying sender's pages do not map: ours ${ol.percent} %, tcp_mmap ${c.percent} %`);
});

for (const z of [false, true]) {
  test(`-i: our client's SHA-256 checked by our server${z ? ' reading with TCP_ZEROCOPY_RECEIVE (-z)' : ' reading with read()'}`, async () => {
    const bytes = 64 * 1048576;
    const port = z ? 9608 : 9607;
    const oSrv = ours(ns(), ['mmap', '-s', ...(z ? ['-z'] : []), '-i', '-p', String(port), '--bytes', String(bytes), '--connections', '1', '--json'],
      { timeoutMs: 60_000 });
    await listening(port);
    const cl = await ours(ns(), ['mmap', '-H', '::1', '-p', String(port), '-z', '-i', '--bytes', String(bytes)], { timeoutMs: 60_000 }).done;
    assert.equal(cl.code, 0, show(cl));
    const o = await oSrv.done;
    assert.equal(o.code, 0, show(o));
    assert.match(o.stdout, z ? /^\nSHA256 is correct\nreceived 64 MB \([\d.]+ % mmap'ed\)/ : /^\nSHA256 is correct\nreceived 64 MB \(0 % mmap'ed\)/);
    const j = parseJson(o.stdout)!;
    assert.equal(j.sha256Correct, true);
    assert.equal(j.rxMode, z ? 'mmap' : 'copy');
    assert.equal(j.bytes, bytes);
    if (z) assert.ok((j.mappedPercent as number) >= 90, `mapped ${j.mappedPercent} %`);
  });
}

test('bad input: one line, exit 1; a client with no server: one line, not a stack trace', async () => {
  const bad = await ours(null, ['mmap', '-q'], { timeoutMs: 15_000 }).done;
  assert.equal(bad.code, 1, show(bad));
  assert.equal(bad.stderr.trim().split('\n').length, 1, show(bad));
  const noServer = await ours(ns(), ['mmap', '-H', '::1', '-p', '9699'], { timeoutMs: 15_000 }).done;
  assert.notEqual(noServer.code, 0, show(noServer));
  assert.match(noServer.stderr, /^msg-zerocopy: connect: Connection refused \(start the server first/m);
  assert.doesNotMatch(noServer.stderr, /\n\s+at /);
});
