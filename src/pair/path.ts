// SPDX-License-Identifier: GPL-2.0-only
// The sender's way to serve's host, fixed before the run (pair): the packet
// tests' interface and next hop, and a source address for the headers the
// raw_hdrincl and packet senders build themselves.
import { RunError } from '../core/errors.js';
import { HAND_BUILT_TESTS } from '../core/vocabulary.js';
import type { SenderSpec } from '../run/classic.js';
import { neighbourMac, routeTo } from './neigh.js';
import { shown } from './text.js';

/** The destination MAC the classic packet senders write (src/net/headers.ts MAC_DST). */
export const CLASSIC_DST_MAC = '06:06:06:06:06:06';
/**
 * packet and packet_dgram: the interface towards -D and the next hop's MAC.
 * Refused with the reason when the route or the neighbour entry is missing,
 * or when the MAC is not the one the classic sender addresses.
 */
export async function packetPath(spec: SenderSpec, host: string, note: (line: string) => void): Promise<SenderSpec> {
  const t = spec.test;
  let route;
  try {
    route = await routeTo(spec.family, host);
  } catch (e) {
    throw new RunError(`pair: ${t}: cannot find the route to ${host}: ${shown((e as Error).message)}`);
  }
  if (route.type === 'local' || route.dev === 'lo') {
    throw new RunError(`pair: ${t}: ${host} is an address of this host; packet tests need an interface between two hosts`);
  }
  if (spec.ifname !== undefined && spec.ifname !== route.dev) {
    throw new RunError(`pair: ${t}: -i ${spec.ifname} is not the interface towards ${host} (the route leaves by ${route.dev})`,
      `give -i ${route.dev}, or leave -i out`);
  }
  let n;
  try {
    n = await neighbourMac(spec.family, route.hop, route.dev);
  } catch (e) {
    throw new RunError(`pair: ${t}: cannot read the neighbour table of ${route.dev}: ${shown((e as Error).message)}`);
  }
  if (!n) {
    throw new RunError(`pair: ${t}: no usable entry for ${route.hop} in the neighbour table of ${route.dev}, so its MAC is unknown`,
      `\`ip neigh show dev ${route.dev}\`; reach ${route.hop} once (ping), then run again`);
  }
  if (n.mac !== CLASSIC_DST_MAC) {
    throw new RunError(`pair: ${t}: the next hop ${route.hop} on ${route.dev} has MAC ${n.mac}, but the classic ${t} sender ` +
      `addresses every frame to ${CLASSIC_DST_MAC} (as the selftest), so the receiver would get nothing`,
      `run tcp, udp, raw or raw_hdrincl between these hosts, or give ${route.dev} of the receiving host the MAC ${CLASSIC_DST_MAC}`);
  }
  note(`pair: ${t}: frames leave by ${route.dev} to ${n.mac} (${route.hop}, ${n.state.toLowerCase()})`);
  return { ...spec, ifname: route.dev };
}

/**
 * raw_hdrincl, packet, packet_dgram without -S: the classic sender writes
 * the unspecified address as the source, which a receiving host drops as a
 * martian; pair gives it the source address of the route towards -D.
 */
export async function headerSource(spec: SenderSpec, host: string, note: (line: string) => void): Promise<SenderSpec> {
  let src: string | null = null;
  try {
    src = (await routeTo(spec.family, host)).src;
  } catch { /* no route: left as the classic sender has it */ }
  if (!src) return spec;
  note(`pair: ${spec.test}: -S ${src} (the source address of the route to ${host}; the hand-built header needs one)`);
  return { ...spec, src };
}

/** The sender as it will run towards `host`: the packet tests' interface and next hop, a source for hand-built headers. */
export async function senderPath(sender: SenderSpec, host: string, note: (line: string) => void): Promise<SenderSpec> {
  let spec = sender;
  if (spec.test === 'packet' || spec.test === 'packet_dgram') spec = await packetPath(spec, host, note);
  if (HAND_BUILT_TESTS.includes(spec.test) && spec.src === undefined) spec = await headerSource(spec, host, note);
  return spec;
}
