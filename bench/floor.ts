// SPDX-License-Identifier: GPL-2.0-only
// The floor of a port over koffi: what the two foreign calls per send cost on
// top of the same two system calls made from C, and what that leaves as the
// best possible ours/C ratio for each benchmark case.
//
//   npm run bench:floor                 # 15 rounds, writes bench/FLOOR.md
//   npm run bench:floor -- --no-write
//
// Both sides run the loop body of the selftest's do_tx on descriptors that
// make the kernel return at once: sendmsg(2) on an unconnected UDP socket
// with no destination (EDESTADDRREQ after the socket lookup) and poll(2) for
// POLLOUT on that socket (ready). C calls glibc's wrappers, as the selftest
// does; ours calls the same functions the measured loop calls (src/libc), with
// the private fd table the tool takes. Rounds alternate C and ours; the
// difference of the medians is the cost of the binding per loop iteration.
// With bench/results/latest.json present (npm run bench), each case's C time
// per send gives the ceiling: C / (C + binding cost), the ratio ours would
// reach if everything else, JavaScript and kernel alike, cost nothing extra.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { AF_INET, MSG_DONTWAIT, POLLOUT, SOCK_DGRAM } from '../src/libc/constants.js';
import { allocNative, close, errno, poll, privateFdTable, sendmsg, socket, syscall3 } from '../src/libc/libc.js';
import { koffi } from '../src/libc/koffi.js';
import { MSG } from '../src/libc/layout.js';
import { PollFd } from '../src/net/poll.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const EDESTADDRREQ = 89;

const opt = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    iterations: { type: 'string', default: '300000' },
    'no-write': { type: 'boolean', default: false },
  },
}).values;
const rounds = Number(opt.rounds);
const iterations = Number(opt.iterations);
if (!(rounds >= 1) || !(iterations >= 1000)) {
  process.stderr.write('usage: bench/floor.ts [--rounds N] [--iterations N] [--no-write]\n');
  process.exit(1);
}

const C_LOOP = String.raw`
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  long n = atol(argv[1]);
  if (argc > 2 && strcmp(argv[2], "getpid") == 0) { /* the cheapest system call, nothing else */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
    return 0;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct msghdr msg; memset(&msg, 0, sizeof(msg));
  struct pollfd pfd = { .fd = fd, .events = POLLOUT };
  if (fd < 0 || sendmsg(fd, &msg, MSG_DONTWAIT) != -1 || errno != EDESTADDRREQ) return 2;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    sendmsg(fd, &msg, MSG_DONTWAIT);
    if (poll(&pfd, 1, 500) != 1) return 3;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
`;

function buildC(dir: string): string {
  const src = join(dir, 'floor.c');
  const bin = join(dir, 'floor');
  writeFileSync(src, C_LOOP);
  execFileSync('gcc', ['-O2', '-o', bin, src]);
  return bin;
}

/** ns per iteration of sendmsg + poll through our binding. */
function oursLoop(fd: number, msgAddr: number, pfd: PollFd, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    sendmsg(fd, msgAddr, MSG_DONTWAIT);
    if (poll(pfd.addr, 1, 500) !== 1) throw new Error(`poll: ${errno()}`);
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

// One foreign call alone, for the explanation under the table: a trivial
// libc function in a tight loop (everything stays warm in the CPU), and the
// cheapest system call (getpid) through the loop's own syscall(2) binding.
const abs = koffi.load('libc.so.6').func('int abs(int)') as (x: number) => number;
const SYS_getpid = 39;

function absLoop(n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) abs(-i);
  return Number(process.hrtime.bigint() - t0) / n;
}

function getpidLoop(n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) syscall3(SYS_getpid, 0, 0, 0);
  return Number(process.hrtime.bigint() - t0) / n;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Per-round differences b[i] - a[i] of two series measured back to back: a
 * slow spell of a shared host moves both sides of a round alike.
 */
const pairedDiffs = (a: number[], b: number[]): number[] => a.map((x, i) => b[i] - x);

interface Ceiling { title: string; cNsPerSend: number; measured: number; ceiling: number }

function ceilings(bindingNs: number): Ceiling[] {
  const file = join(BENCH_DIR, 'results', 'latest.json');
  if (!existsSync(file)) return [];
  const data = JSON.parse(readFileSync(file, 'utf8')) as {
    settings: { seconds: number };
    results: { title: string; ratio: { median: number }; runs: { who: string; packets: number }[] }[];
  };
  const runMs = 200 + data.settings.seconds * 1000;
  return data.results.map((r) => {
    const cNs = (runMs * 1e6) / median(r.runs.filter((x) => x.who === 'C').map((x) => x.packets));
    return { title: r.title, cNsPerSend: cNs, measured: r.ratio.median, ceiling: cNs / (cNs + bindingNs) };
  });
}

const dir = mkdtempSync(join(tmpdir(), 'mzc-floor-'));
try {
  const cBin = buildC(dir);
  if (!privateFdTable()) process.stderr.write('floor: unshare(CLONE_FILES) refused; ours runs with a shared fd table\n');
  const fd = socket(AF_INET, SOCK_DGRAM, 0);
  const msg = allocNative(MSG.size);
  const pfd = new PollFd(fd, POLLOUT);
  if (fd < 0 || sendmsg(fd, msg.addr, MSG_DONTWAIT) !== -1 || errno() !== EDESTADDRREQ) {
    throw new Error('sendmsg on an unconnected socket did not fail with EDESTADDRREQ');
  }
  oursLoop(fd, msg.addr, pfd, iterations); // warm-up: let the JIT optimise the loop
  const c: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < rounds; i++) {
    c.push(Number(execFileSync(cBin, [String(iterations)], { encoding: 'utf8' })));
    ours.push(oursLoop(fd, msg.addr, pfd, iterations));
    process.stderr.write(`round ${i + 1}/${rounds}: C ${c[i].toFixed(1)} ns, ours ${ours[i].toFixed(1)} ns per sendmsg+poll\n`);
  }
  close(fd);

  absLoop(iterations);
  getpidLoop(iterations);
  const warm: number[] = [];
  const pidC: number[] = [];
  const pidOurs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    warm.push(absLoop(iterations));
    pidC.push(Number(execFileSync(cBin, [String(iterations), 'getpid'], { encoding: 'utf8' })));
    pidOurs.push(getpidLoop(iterations));
  }
  const warmNs = median(warm);
  const pidDiff = median(pairedDiffs(pidC, pidOurs));

  const cMed = median(c);
  const oMed = median(ours);
  // The median of the per-round differences is the binding cost; their
  // spread says how far to trust it.
  const diffs = pairedDiffs(c, ours);
  const binding = median(diffs);
  const rows = ceilings(binding);

  const lines = [
    '# The binding floor: two koffi calls per send',
    '',
    `Produced by \`npm run bench:floor\` (\`bench/floor.ts\`), ${rounds} rounds of ${iterations} iterations, ` +
      `${new Date().toISOString()}, ${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, kernel ${release()}, node ${process.version}.`,
    '',
    'One iteration is the selftest loop body on a socket where both calls return at once:',
    '`sendmsg` (EDESTADDRREQ on an unconnected UDP socket) and `poll` for POLLOUT (ready).',
    '',
    '| | ns per iteration (median) | min | max |',
    '|---|---:|---:|---:|',
    `| C (glibc wrappers, as the selftest) | ${cMed.toFixed(1)} | ${Math.min(...c).toFixed(1)} | ${Math.max(...c).toFixed(1)} |`,
    `| ours (koffi, src/libc) | ${oMed.toFixed(1)} | ${Math.min(...ours).toFixed(1)} | ${Math.max(...ours).toFixed(1)} |`,
    `| **binding cost per send** (median of per-round differences) | **${binding.toFixed(1)}** | ${Math.min(...diffs).toFixed(1)} | ${Math.max(...diffs).toFixed(1)} |`,
    '',
    'One foreign call alone (same rounds, medians):',
    '',
    '| | ns per call |',
    '|---|---:|',
    `| koffi call of \`abs()\` in a tight loop (all warm) | ${warmNs.toFixed(1)} |`,
    `| \`getpid\` through \`syscall(2)\` from C | ${median(pidC).toFixed(1)} |`,
    `| the same through koffi | ${median(pidOurs).toFixed(1)} |`,
    `| **a koffi call next to a system call, beyond C** | **${pidDiff.toFixed(1)}** |`,
    '',
    'Where the last figure is far above the first, each system call leaves the CPU cold for the',
    'next foreign call (caches and branch predictors refilled on the way back to user space, as on',
    'virtual machines that switch address spaces on every system call), and the longer V8 -> N-API ->',
    'koffi path pays that on every call where the C wrapper pays it once.',
    '',
  ];
  if (rows.length) {
    lines.push(
      'Ceiling per benchmark case (C time per send from `bench/results/latest.json`): the ratio ours would',
      'reach if the binding cost above were the only difference.',
      '',
      '| case | C ns per send | ceiling ours/C | measured median (bench/RESULTS.md) |',
      '|---|---:|---:|---:|',
      ...rows.map((r) => `| ${r.title} | ${r.cNsPerSend.toFixed(0)} | ${r.ceiling.toFixed(3)} | ${r.measured.toFixed(3)} |`),
      '',
    );
  }
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  if (!opt['no-write']) {
    writeFileSync(join(BENCH_DIR, 'FLOOR.md'), text);
    process.stderr.write('floor: wrote bench/FLOOR.md\n');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
