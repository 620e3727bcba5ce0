// SPDX-License-Identifier: GPL-2.0-only
// The words every layer uses: the selftest's tests, the receive mode the
// kernel driver picks for each, address families, copy versus zerocopy, and
// the two paths a run can take (to a receiver, or out of a device).

export const TESTS = ['tcp', 'udp', 'raw', 'raw_hdrincl', 'packet', 'packet_dgram'] as const;
export type TestName = (typeof TESTS)[number];

/** What a receiver can be run as: packet, packet_dgram and raw_hdrincl senders are received with raw. */
export const RX_TESTS = ['tcp', 'udp', 'raw'] as const;
export type RxTest = (typeof RX_TESTS)[number];

export type Family = 4 | 6;
export const FAMILIES: readonly Family[] = [4, 6];

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
  return test === 'tcp' || test === 'udp' ? test : 'raw';
}

/** The -Z a zerocopy sender expects on a path: 0 (copied) when delivered locally, 1 when it leaves through a device. */
export const expectationFor = (path: Path): 0 | 1 => (path === 'tx-only' ? 1 : 0);
