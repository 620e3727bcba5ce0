// SPDX-License-Identifier: GPL-2.0-only
// A page-sized MSS for zero-copy receive (issue 19): the MTU of the lab's
// veth pair, set on both ends. TCP_ZEROCOPY_RECEIVE maps only whole pages,
// so each segment must carry a multiple of 4096 bytes: 15 pages (61440)
// plus the IP header and 32 bytes of TCP header with timestamps.
import { LAB_MTU, type Lab } from './lab.js';
import { run } from './exec.js';

export const PAGE_PAYLOAD = 15 * 4096;

/** The MTU that makes a tcp MSS of 15 pages: 61512 for IPv6, 61492 for IPv4. */
export const pageMtu = (family: 4 | 6): number => PAGE_PAYLOAD + (family === 6 ? 40 : 20) + 32;

/** Set the veth pair's MTU on both ends (the lab's own is LAB_MTU). */
export async function setLabMtu(lab: Pick<Lab, 'txNs' | 'rxNs' | 'dev'>, mtu: number): Promise<void> {
  for (const ns of [lab.txNs, lab.rxNs]) await run(['ip', '-n', ns, 'link', 'set', 'dev', lab.dev, 'mtu', String(mtu)]);
}

export { LAB_MTU };
