// SPDX-License-Identifier: GPL-2.0-only
// Gather what the doctor's rules need: the path (netlink, ethtool), the
// host (sysctls, limits, kernel, CPUs, IOMMU, huge pages) and two probes
// (SO_ZEROCOPY on a socket of the test's kind, an io_uring ring and its
// opcodes). A few milliseconds; never inside a measured loop.
import { release } from 'node:os';
import { IORING_OP_SEND_ZC, SOL_SOCKET, SO_ZEROCOPY } from '../libc/constants.js';
import { close, errno, nativeInt, setsockopt, socket } from '../libc/libc.js';
import { socketKind } from '../net/socket.js';
import type { Family } from '../net/address.js';
import type { TestName } from '../core/config.js';
import { KernelError, ToolError } from '../core/errors.js';
import { hasIpcLock, kernelVersion, memlockLimit, packetSockets, readCpus, readHugePages, readIommu, readSysctls } from '../environment/host.js';
import type { PathWalk } from '../environment/path.js';
import { Ring } from '../uring/ring.js';
import type { Facts } from './rules.js';

export interface Question {
  family: Family;
  dstText: string;
  test: TestName;
  api: 'msg' | 'uring';
  payloadLen: number;
  notificationLimit: number;
  cork: number;
}

/** setsockopt(SO_ZEROCOPY, 1) on a fresh socket of the test's kind: 0, or the errno. */
export function probeSoZerocopy(test: TestName, family: Family): number {
  const k = socketKind(test, family);
  const fd = socket(k.domain, k.type, k.protocol);
  if (fd < 0) return errno();
  try {
    const one = nativeInt(1);
    return setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, one.addr, 4) === 0 ? 0 : errno();
  } finally {
    close(fd);
  }
}

/** An io_uring ring of 8 entries and its opcode probe: setup errno (0: worked) and SEND_ZC support. */
export async function probeUring(): Promise<{ setupErrno: number; sendZc: boolean | null }> {
  let ring;
  try {
    ring = new Ring({ entries: 8, deferTaskrun: false });
  } catch (e) {
    return { setupErrno: e instanceof KernelError ? e.errno : -1, sendZc: null };
  }
  try {
    ring.requireOps([IORING_OP_SEND_ZC]);
    return { setupErrno: 0, sendZc: true };
  } catch (e) {
    if (e instanceof ToolError) return { setupErrno: 0, sendZc: false };
    throw e;
  } finally {
    ring.close();
  }
}

/** `probe.uring` false: skip the io_uring probe (a run of the classic sender does not need it). */
export async function gatherFacts(q: Question, walk: PathWalk, probe: { uring: boolean } = { uring: true }): Promise<Facts> {
  const rel = release();
  return {
    ...q,
    walk,
    sysctls: readSysctls(),
    memlock: { limitBytes: memlockLimit(), exempt: hasIpcLock() },
    kernelRelease: rel,
    kernel: kernelVersion(rel),
    soZerocopy: probeSoZerocopy(q.test, q.family),
    uring: probe.uring ? await probeUring() : null,
    iommu: readIommu(),
    hugePages: readHugePages(),
    cpu: readCpus(),
    packetSockets: packetSockets(),
  };
}
