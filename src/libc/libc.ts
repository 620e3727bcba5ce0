// SPDX-License-Identifier: GPL-2.0-only
// The libc binding: koffi into libc.so.6, no native code of our own.
//
// Every pointer argument is declared as an integer (intptr_t) and passed as a
// plain JavaScript number: the address of native memory from allocNative().
// That memory never moves, so an address stored inside a struct (an iovec in a
// msghdr, a control buffer pointer) stays valid across garbage collections,
// and a call marshals nothing but integers.
import { koffi } from './koffi.js';
import { CLONE_FILES } from './constants.js';

const lib = koffi.load('libc.so.6');

export const socket = lib.func('int socket(int domain, int type, int protocol)') as (d: number, t: number, p: number) => number;
export const setsockopt = lib.func('int setsockopt(int fd, int level, int name, intptr_t val, uint32_t len)') as
  (fd: number, level: number, name: number, val: number, len: number) => number;
export const connect = lib.func('int connect(int fd, intptr_t addr, uint32_t len)') as (fd: number, addr: number, len: number) => number;
export const bind = lib.func('int bind(int fd, intptr_t addr, uint32_t len)') as (fd: number, addr: number, len: number) => number;
export const listen = lib.func('int listen(int fd, int backlog)') as (fd: number, backlog: number) => number;
export const accept = lib.func('int accept(int fd, intptr_t addr, intptr_t len)') as (fd: number, addr: number, len: number) => number;
export const close = lib.func('int close(int fd)') as (fd: number) => number;

// The calls made in the measured loops go through syscall(2) rather than the
// glibc wrappers. The wrappers are cancellation points: in a multi-threaded
// process (Node always is) each one brackets the system call with
// pthread_enable/disable_asynccancel, which a single-threaded C program skips;
// profiles showed that bracket as a few per cent of a send. The system calls
// made are exactly the same. syscall(2) is variadic, but on x86-64 integer
// arguments are passed the same way either way, so it is declared with fixed
// integer parameters to keep koffi on its fast call path.
const X86_64 = process.arch === 'x64';
const SYS = { poll: 7, recvfrom: 45, sendmsg: 46, recvmsg: 47 } as const;
type Fn3 = (a: number, b: number, c: number) => number;
type Fn4 = (a: number, b: number, c: number, d: number) => number;
/** syscall(2) with up to three arguments: the binding every loop call goes through (bench/floor.ts times it alone). */
export const syscall3 = lib.func('long syscall(long nr, long a, long b, long c)') as Fn4;
const syscall6 = lib.func('long syscall(long nr, long a, long b, long c, long d, long e, long f)') as
  (nr: number, a: number, b: number, c: number, d: number, e: number, f: number) => number;

export const sendmsg: Fn3 = X86_64
  ? (fd, msg, flags) => syscall3(SYS.sendmsg, fd, msg, flags)
  : (lib.func('long sendmsg(int fd, intptr_t msg, int flags)') as Fn3);
export const recvmsg: Fn3 = X86_64
  ? (fd, msg, flags) => syscall3(SYS.recvmsg, fd, msg, flags)
  : (lib.func('long recvmsg(int fd, intptr_t msg, int flags)') as Fn3);
export const poll: Fn3 = X86_64
  ? (fds, nfds, timeout) => syscall3(SYS.poll, fds, nfds, timeout)
  : (lib.func('int poll(intptr_t fds, unsigned long nfds, int timeout)') as Fn3);
/** recv(2) is recvfrom(2) with no address, as glibc implements it. */
export const recv: Fn4 = X86_64
  ? (fd, buf, len, flags) => syscall6(SYS.recvfrom, fd, buf, len, flags, 0, 0)
  : (lib.func('long recv(int fd, intptr_t buf, size_t len, int flags)') as Fn4);
/** recvfrom(2) with the sender's address (a receiver with --peer counts what came from elsewhere). */
export const recvfrom = (fd: number, buf: number, len: number, flags: number, addr: number, addrlen: number): number =>
  syscall6(SYS.recvfrom, fd, buf, len, flags, addr, addrlen);
const unshare = lib.func('int unshare(int flags)') as (flags: number) => number;

/**
 * Give the calling (main) thread a file descriptor table of its own, as a
 * single-threaded C program has. Node always runs helper threads that share
 * the table; while it is shared, the kernel takes and drops a reference on the
 * socket's file in every system call on it (fdget/fput), which it skips for a
 * private table: perf showed that as a few per cent of a send. Descriptors
 * open now stay open in both tables; ones opened later by this thread exist
 * only here, which is fine for a process that does its socket work on the
 * main thread and no asynchronous file I/O on them. Returns false (and
 * changes nothing) if the kernel refuses.
 */
export function privateFdTable(): boolean {
  return unshare(CLONE_FILES) === 0;
}
export const sched_setaffinity = lib.func('int sched_setaffinity(int pid, size_t size, intptr_t mask)') as (pid: number, size: number, mask: number) => number;
export const if_nametoindex = lib.func('unsigned int if_nametoindex(const char *name)') as (name: string) => number;
const strerror_ = lib.func('const char *strerror(int errnum)') as (e: number) => string;
const aligned_alloc = lib.func('intptr_t aligned_alloc(size_t align, size_t size)') as (align: number, size: number) => number;

/** errno of the last failed call; read it right after the call. */
export const errno = (): number => koffi.errno();

/** The C library's text for an errno, as error(3) prints it. */
export function strerror(e: number): string {
  return strerror_(e);
}

/** Native memory that never moves, with views to read and write it from JS. */
export interface NativeBlock {
  /** Address, as a number (user-space addresses fit in 47 bits). */
  readonly addr: number;
  readonly size: number;
  readonly u8: Uint8Array;
  readonly dv: DataView;
}

/**
 * Allocate zeroed, cache-line aligned native memory for the lifetime of the process.
 * (The blocks are few, small and made before the measured loop.)
 */
export function allocNative(size: number, align = 64): NativeBlock {
  // Cache-line aligned by default; the payload asks for page alignment.
  const rounded = Math.max(align, Math.ceil(size / align) * align);
  const addr = aligned_alloc(align, rounded);
  if (!addr) throw new Error(`aligned_alloc(${rounded}) failed`);
  const ab = koffi.view(BigInt(addr), size);
  const u8 = new Uint8Array(ab);
  u8.fill(0);
  return { addr, size, u8, dv: new DataView(ab) };
}

/** An int-sized native value for setsockopt. */
export function nativeInt(value: number): NativeBlock {
  const b = allocNative(4);
  b.dv.setInt32(0, value, true);
  return b;
}

// io_uring: the three system calls through syscall(2) (glibc has no
// wrappers; the numbers are the same on x86-64 and arm64), and mmap/munmap
// for the rings. Addresses are numbers, as everywhere in this binding.
type Fn6 = (a: number, b: number, c: number, d: number, e: number, f: number) => number;
/** io_uring_setup(entries, params): the ring's fd, or -1 with errno. */
export const ioUringSetup = (entries: number, params: number): number => syscall3(425, entries, params, 0);
/** io_uring_enter(fd, to_submit, min_complete, flags, arg, argsz): one foreign call, integers only. */
export const ioUringEnter: Fn6 = (fd, toSubmit, minComplete, flags, arg, argsz) =>
  syscall6(426, fd, toSubmit, minComplete, flags, arg, argsz);
/** io_uring_register(fd, opcode, arg, nr_args). */
export const ioUringRegister: Fn4 = (fd, opcode, arg, nr) => syscall6(427, fd, opcode, arg, nr, 0, 0);
/** mmap(2); returns the address, or -1 (MAP_FAILED) with errno. */
export const mmap = lib.func('intptr_t mmap(intptr_t addr, size_t len, int prot, int flags, int fd, int64_t off)') as Fn6;
export const munmap = lib.func('int munmap(intptr_t addr, size_t len)') as (addr: number, len: number) => number;

/**
 * arm64 only: a load-acquire and a store-release of a 32-bit word, which a
 * JavaScript view cannot do (Atomics needs a SharedArrayBuffer; koffi views
 * are plain ArrayBuffers). They come from libgcc's outline atomics
 * (__aarch64_ldadd4_acq adds 0 with acquire semantics and returns the word;
 * __aarch64_swp4_rel swaps with release semantics), loaded on first use, so
 * x86-64, whose plain loads and stores already have these orderings (TSO),
 * never loads them. One call per batch, not per request.
 */
export interface Ordered32 {
  loadAcquire(addr: number): number;
  storeRelease(addr: number, value: number): void;
}
let ordered32: Ordered32 | null = null;
export function arm64Ordered32(): Ordered32 {
  if (!ordered32) {
    const gcc = koffi.load('libgcc_s.so.1');
    const ldadd = gcc.func('uint32_t __aarch64_ldadd4_acq(uint32_t v, intptr_t p)') as (v: number, p: number) => number;
    const swp = gcc.func('uint32_t __aarch64_swp4_rel(uint32_t v, intptr_t p)') as (v: number, p: number) => number;
    ordered32 = { loadAcquire: (p) => ldadd(0, p), storeRelease: (p, v) => { swp(v, p); } };
  }
  return ordered32;
}

// TCP_ZEROCOPY_RECEIVE (issue 19): getsockopt, madvise and send, through
// syscall(2) on x86-64 as the loop calls above (integers only).
const SYS_ZC = { sendto: 44, getsockopt: 55, madvise: 28 } as const;
type Fn5 = (a: number, b: number, c: number, d: number, e: number) => number;
/** getsockopt(fd, level, name, valAddr, lenAddr): 0, or -1 with errno. */
export const getsockopt: Fn5 = X86_64
  ? (fd, level, name, val, len) => syscall6(SYS_ZC.getsockopt, fd, level, name, val, len, 0)
  : (lib.func('int getsockopt(int fd, int level, int name, intptr_t val, intptr_t len)') as Fn5);
/** madvise(addr, len, advice). */
export const madvise: Fn3 = X86_64
  ? (addr, len, advice) => syscall3(SYS_ZC.madvise, addr, len, advice)
  : (lib.func('int madvise(intptr_t addr, size_t len, int advice)') as Fn3);
/** send(2) is sendto(2) with no address. */
export const send: Fn4 = X86_64
  ? (fd, buf, len, flags) => syscall6(SYS_ZC.sendto, fd, buf, len, flags, 0, 0)
  : (lib.func('long send(int fd, intptr_t buf, size_t len, int flags)') as Fn4);
const free_ = lib.func('void free(intptr_t p)') as (p: number) => void;
/** Give back a block from allocNative (its views must not be used afterwards): for servers that loop forever. */
export function freeNative(b: NativeBlock): void {
  free_(b.addr);
}
// Host facts for `doctor` and the environment block (issue 18): the ethtool
// ioctl, rtnetlink (send/recv on a netlink socket) and getrlimit. Called a
// few times per run, never in a measured loop.
/** ioctl(2) with a pointer argument (SIOCETHTOOL and its struct ifreq). */
export const ioctl = lib.func('int ioctl(int fd, unsigned long req, intptr_t arg)') as (fd: number, req: number, arg: number) => number;
/** getrlimit(2) into a struct rlimit. */
export const getrlimit = lib.func('int getrlimit(int resource, intptr_t rlim)') as (resource: number, rlim: number) => number;
/** setns(2): move the calling thread into the namespace of `fd` (0: any type). */
export const setns = lib.func('int setns(int fd, int nstype)') as (fd: number, nstype: number) => number;
/** open(2) and read access to a namespace file, for setns. */
export const openPath = lib.func('int open(const char *path, int flags)') as (path: string, flags: number) => number;
// The UDP GSO benchmark's sends (udpgso_bench_tx: send/sendto per segment,
// sendmmsg): through syscall(2) on x86-64, as sendmsg above.
/** sendto(fd, buf, len, flags, addr, addrlen); send(2) is sendto with no address. */
export const sendto: Fn6 = X86_64
  ? (fd, buf, len, flags, addr, alen) => syscall6(44, fd, buf, len, flags, addr, alen)
  : (lib.func('long sendto(int fd, intptr_t buf, size_t len, int flags, intptr_t addr, uint32_t alen)') as Fn6);
/** sendmmsg(fd, msgvec, vlen, flags). */
export const sendmmsg: Fn4 = X86_64
  ? (fd, vec, vlen, flags) => syscall6(307, fd, vec, vlen, flags, 0, 0)
  : (lib.func('int sendmmsg(int fd, intptr_t vec, unsigned int vlen, int flags)') as Fn4);
