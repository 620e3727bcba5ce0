// SPDX-License-Identifier: GPL-2.0-only
// The words every layer uses: the selftest's tests, the receive mode the
// kernel driver picks for each, address families, copy versus zerocopy, and
// the two paths a run can take (to a receiver, or out of a device).

export const TESTS = ['tcp', 'udp', 'raw', 'raw_hdrincl', 'packet', 'packet_dgram'] as const;
export type TestName = (typeof TESTS)[number];

/** What a receiver can be run as: packet, packet_dgram and raw_hdrincl senders are received with raw. */
export const RX_TESTS = ['tcp', 'udp', 'raw'] as const;
export type RxTest = (typeof RX_TESTS)[number];

/**
 * The facts of one test, in one row (iperf3's `struct protocol`): help
 * strings, parsers and checks read them here rather than keep lists of their own.
 */
export interface TestFacts {
  /** The sender's socket (SPEC 3.1): inet (AF_INET/AF_INET6 by -4/-6) or AF_PACKET, its type, its protocol. */
  socket: { domain: 'inet' | 'packet'; type: 'stream' | 'dgram' | 'raw'; protocol: 'default' | 'egp' | 'raw' };
  /** The receive mode the kernel driver runs against this sender. */
  rx: RxTest;
  /** Headers the sender writes itself: none, the IP header, or Ethernet and IP. */
  headers: 'none' | 'ip' | 'link+ip';
  /** -P: ports tell flows apart. */
  flows: boolean;
  /** io_uring_zerocopy_tx knows it (`msg-zerocopy uring`). */
  uring: boolean;
}

export const TEST_TABLE: Readonly<Record<TestName, Readonly<TestFacts>>> = {
  tcp: { socket: { domain: 'inet', type: 'stream', protocol: 'default' }, rx: 'tcp', headers: 'none', flows: true, uring: true },
  udp: { socket: { domain: 'inet', type: 'dgram', protocol: 'default' }, rx: 'udp', headers: 'none', flows: true, uring: true },
  raw: { socket: { domain: 'inet', type: 'raw', protocol: 'egp' }, rx: 'raw', headers: 'none', flows: false, uring: false },
  raw_hdrincl: { socket: { domain: 'inet', type: 'raw', protocol: 'raw' }, rx: 'raw', headers: 'ip', flows: false, uring: false },
  packet: { socket: { domain: 'packet', type: 'raw', protocol: 'default' }, rx: 'raw', headers: 'link+ip', flows: false, uring: false },
  packet_dgram: { socket: { domain: 'packet', type: 'dgram', protocol: 'default' }, rx: 'raw', headers: 'ip', flows: false, uring: false },
};

const testsWhere = (has: (f: TestFacts) => boolean): TestName[] => TESTS.filter((t) => has(TEST_TABLE[t]));

/** The tests -P may run with several flows (tcp, udp). */
export const FLOW_TESTS: readonly TestName[] = testsWhere((f) => f.flows);
/** The tests the io_uring sender knows, as io_uring_zerocopy_tx (the rows with uring: tcp, udp). */
export type UringTest = Extract<TestName, 'tcp' | 'udp'>;
export const URING_TESTS = testsWhere((f) => f.uring) as readonly UringTest[];
/** The tests whose sender writes its own IP header (raw_hdrincl, packet, packet_dgram): -S matters. */
export const HAND_BUILT_TESTS: readonly TestName[] = testsWhere((f) => f.headers !== 'none');

/** "tcp | udp | ..." for a commander argument, or "tcp, udp, ..." for a sentence. */
export const testList = (tests: readonly string[] = TESTS, sep = ' | '): string => tests.join(sep);

export type Family = 4 | 6;
export const FAMILIES: readonly Family[] = [4, 6];

/** "4", "6", "ipv4", "IPv6", "-4" → 4 or 6: the one family parser every option uses. */
export function parseFamily(text: string, flag = '--family'): Family {
  const t = text.trim().toLowerCase().replace(/^(ipv|-)/, '');
  if (t === '4' || t === '6') return Number(t) as Family;
  throw new Error(`${flag}: unknown family '${text.trim()}' (not 4 or 6)`);
}

/** "4,6", "ipv4", "6" → [4, 6], each as parseFamily reads it; throws on anything else. */
export function parseFamilies(text: string, flag = '--family'): Family[] {
  const out: Family[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const f = parseFamily(raw, flag);
    if (!out.includes(f)) out.push(f);
  }
  if (out.length === 0) throw new Error(`${flag}: give at least one of 4, 6`);
  return out;
}

export type Mode = 'copy' | 'zerocopy';
export const MODES: readonly Mode[] = ['copy', 'zerocopy'];

/** The kernel's two zero-copy send interfaces: MSG_ZEROCOPY on sendmsg (msg), io_uring SEND_ZC (uring). */
export type Api = 'msg' | 'uring';
export const APIS: readonly Api[] = ['msg', 'uring'];

/** "msg,uring" → ['msg', 'uring']; throws on anything else. */
export function parseApis(text: string): Api[] {
  const out: Api[] = [];
  for (const raw of text.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    if (!(APIS as readonly string[]).includes(raw)) throw new Error(`--api: unknown interface '${raw}' (msg, uring)`);
    if (!out.includes(raw as Api)) out.push(raw as Api);
  }
  if (out.length === 0) throw new Error('--api: give msg, uring or both');
  return out;
}

/** tx-rx: to a receiver over the veth pair (always copied); tx-only: routed out of a device (not copied). */
export type Path = 'tx-rx' | 'tx-only';

/** -Z: the expected notification outcome, 1 = not copied, 0 = copied, -1 = none. */
export type Expectation = -1 | 0 | 1;

export const isTestName = (s: string): s is TestName => (TESTS as readonly string[]).includes(s);

/** Receive mode for a sender test, as the kernel driver picks it. */
export function receiveMode(test: TestName | string): RxTest {
  return isTestName(test) ? TEST_TABLE[test].rx : 'raw';
}

/** The -Z a zerocopy sender expects on a path: 0 (copied) when delivered locally, 1 when it leaves through a device. */
export const expectationFor = (path: Path): 0 | 1 => (path === 'tx-only' ? 1 : 0);

/**
 * How a tcp receiver reads (--rx): trunc discards with MSG_TRUNC (the
 * selftest), copy reads into a buffer (an application), mmap maps the pages
 * with TCP_ZEROCOPY_RECEIVE (the kernel's tcp_mmap).
 */
export const RX_MODES = ['trunc', 'copy', 'mmap'] as const;
export type RxMode = (typeof RX_MODES)[number];
export const isRxMode = (s: string): s is RxMode => (RX_MODES as readonly string[]).includes(s);

/** "trunc,mmap" → ['trunc', 'mmap']; throws on anything else. */
export function parseRxModes(text: string): RxMode[] {
  const out: RxMode[] = [];
  for (const raw of text.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    if (!isRxMode(raw)) throw new Error(`--rx: unknown receive mode '${raw}' (${RX_MODES.join(', ')})`);
    if (!out.includes(raw)) out.push(raw);
  }
  if (out.length === 0) throw new Error(`--rx: give one or more of ${RX_MODES.join(', ')}`);
  return out;
}
