// SPDX-License-Identifier: GPL-2.0-only
// What the serving host allows: which data ports (unprivileged ones by
// default), how long a receiver may run, whether raw receivers may be
// started. A run request from an authenticated pair is checked against it
// field by field; anything outside is refused with the reason. Pure.
import { MAX_FLOWS } from '../core/flows.js';
import { parseInteger } from '../core/numbers.js';
import { UsageError } from '../core/errors.js';
import { isRxMode, RX_MODES, RX_TESTS, TEST_TABLE, TESTS, type Family, type RxTest } from '../core/vocabulary.js';
import { flowsStartSecs } from '../flows/plan.js';
import { parseAddress } from '../net/address.js';
import { PATTERN_SEED } from '../net/headers.js';
import { capacityRefusal, capacityText, type HostCapacity } from './capacity.js';
import type { RunRequest } from './protocol.js';

export interface ServePolicy {
  /** Data ports a pair may ask for (inclusive). */
  portLo: number;
  portHi: number;
  /** Longest receiver run (its -t), seconds. */
  maxSecs: number;
  /** Raw receivers (for the raw, raw_hdrincl, packet and packet_dgram senders). */
  allowRaw: boolean;
}

export const DEFAULT_POLICY: Readonly<ServePolicy> = Object.freeze({ portLo: 1024, portHi: 65535, maxSecs: 60, allowRaw: false });
/** The longest --max-time serve takes. */
export const MAX_TIME_LIMIT = 86400;

/** Parse --ports: "LO-HI" or one port, with the C tool's number rules. */
export function parsePortRange(text: string): { lo: number; hi: number } {
  const m = /^([^-]+)(?:-([^-]+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`--ports: '${text}' is not a port or a range LO-HI`, 'e.g. --ports 9000-9100');
  const lo = parseInteger(m[1], '--ports', 1, 65535);
  const hi = m[2] === undefined ? lo : parseInteger(m[2], '--ports', 1, 65535);
  if (lo > hi) throw new UsageError(`--ports: ${lo}-${hi} is empty`, 'give the low port first');
  return { lo, hi };
}

/** One line for serve's start: what it allows (and, given the host's figures, how many flows it carries). */
export function policyLine(p: ServePolicy, host?: HostCapacity): string {
  return `policy: data ports ${p.portLo}-${p.portHi}, receiver runs up to ${p.maxSecs} s, ` +
    `raw receivers ${p.allowRaw ? 'allowed' : 'refused (serve --allow-raw)'}${host ? `, ${capacityText(host, MAX_FLOWS)}` : ''}`;
}

export interface ServeLimits {
  family: Family;
  controlPort: number;
  maxPayload: number;
  policy: ServePolicy;
  /** The host's CPUs and memory: a run of more flows than it can start in time is refused (capacity.ts). Absent: not checked. */
  host?: HostCapacity;
}

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** Check a run request from an authenticated pair. Returns the request, or a one-line reason it is refused. */
export function checkRunRequest(m: unknown, s: ServeLimits): { ok: true; req: RunRequest } | { ok: false; reason: string } {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return { ok: false, reason: 'not a JSON object' };
  const o = m as Record<string, unknown>;
  const p = s.policy;
  if (o.type !== 'run') return { ok: false, reason: `expected a run request, got type "${String(o.type).slice(0, 20)}"` };
  if (o.family !== 4 && o.family !== 6) return { ok: false, reason: 'family must be 4 or 6' };
  if (o.family !== s.family) {
    return { ok: false, reason: `family mismatch: this serve runs -${s.family}; run pair with -${s.family} (or serve with -${o.family})` };
  }
  if (typeof o.test !== 'string' || !(RX_TESTS as readonly string[]).includes(o.test)) {
    return { ok: false, reason: `receive test must be one of ${RX_TESTS.join(', ')}` };
  }
  const test = o.test as RxTest;
  if (typeof o.senderTest !== 'string' || !(TESTS as readonly string[]).includes(o.senderTest)) {
    return { ok: false, reason: `sender test must be one of ${TESTS.join(', ')}` };
  }
  if (test === 'raw' && !p.allowRaw) {
    return { ok: false, reason: `raw receivers are not allowed here (the ${o.senderTest} test needs one): start serve with --allow-raw` };
  }
  if (!isInt(o.port, 1, 65535)) return { ok: false, reason: 'port must be a whole number from 1 to 65535' };
  if (!isInt(o.flows, 1, MAX_FLOWS)) return { ok: false, reason: `flows must be a whole number from 1 to ${MAX_FLOWS}` };
  const port = o.port;
  const flows = o.flows;
  // -P n: flow k on data port -p + k; every one of them is checked as one port would be.
  const last = port + flows - 1;
  const flowOf = (q: number): string => (flows > 1 ? ` (flow ${q - port} of -P ${flows})` : '');
  if (flows > 1 && !TEST_TABLE[test].flows) {
    return { ok: false, reason: `-P ${flows}: ${o.senderTest} has no ports to tell the flows apart; run several flows with tcp or udp` };
  }
  if (last > 65535) return { ok: false, reason: `-P ${flows}: flow ${flows - 1} would need data port ${last}: give a -p up to ${65536 - flows}` };
  // (udp on the control port's number: refused later as a port in use, by serve's own socket; ports.ts.)
  if (test === 'tcp' && s.controlPort >= port && s.controlPort <= last) {
    return { ok: false, reason: `data port ${s.controlPort}${flowOf(s.controlPort)} is this serve's control port: pick another -p` };
  }
  if (port < p.portLo || last > p.portHi) {
    if (flows === 1) {
      const why = port < 1024 && p.portLo >= 1024 ? ' (privileged ports are refused unless serve --ports includes them)' : '';
      return { ok: false, reason: `data port ${port} is outside this serve's range ${p.portLo}-${p.portHi}${why}: pick -p in the range` };
    }
    const room = p.portHi - p.portLo + 1;
    const fix = room < flows ? `the range holds ${room} port${room === 1 ? '' : 's'}: use -P ${room} or fewer`
      : `pick -p from ${p.portLo} to ${p.portHi - flows + 1}`;
    return { ok: false, reason: `data ports ${port}-${last} (-P ${flows}) reach outside this serve's range ${p.portLo}-${p.portHi}: ${fix}` };
  }
  if (!isInt(o.size, 0, s.maxPayload)) return { ok: false, reason: `size must be a whole number from 0 to ${s.maxPayload}` };
  if (!isInt(o.secs, 1, MAX_TIME_LIMIT)) return { ok: false, reason: `secs must be a whole number from 1 to ${MAX_TIME_LIMIT}` };
  // A receiver of several flows runs longer by the time its flows and the sender's take to start (flows/plan.ts).
  const extra = flowsStartSecs(flows);
  if (o.secs + extra > p.maxSecs) {
    if (!extra) {
      return { ok: false, reason: `a ${o.secs} s receiver run (pair -t ${o.secs - 1} + 1) is over this serve's limit of ` +
        `${p.maxSecs} s (serve --max-time): use -t ${p.maxSecs - 1} or less` };
    }
    const t = p.maxSecs - 1 - extra;
    return { ok: false, reason: `a ${o.secs + extra} s receiver run (pair -t ${o.secs - 1} + 1, + ${extra} s to start ${flows} flows) ` +
      `is over this serve's limit of ${p.maxSecs} s (serve --max-time): ${t >= 0 ? `use -t ${t} or less` : 'use fewer flows'}` };
  }
  // Flows this host cannot start within the run (or hold): refused now, rather than killed later.
  const heavy = s.host ? capacityRefusal(flows, o.secs - 1, s.host, MAX_FLOWS) : null;
  if (heavy) return { ok: false, reason: heavy };
  if (typeof o.client !== 'string' || o.client.length > 256) return { ok: false, reason: 'client must be a short string' };
  const origin = checkOrigin(o, o.family, test, flows);
  if (!origin.ok) return origin;
  const rx = checkRx(o, test);
  if (!rx.ok) return rx;
  return {
    ok: true,
    req: {
      type: 'run', family: o.family, test, senderTest: o.senderTest, port, flows, size: o.size, secs: o.secs, client: o.client,
      source: origin.source, seed: origin.seed, rx: rx.rx, expectMapped: rx.expectMapped,
    },
  };
}

type Refusal = { ok: false; reason: string };

/** Whom the receiver takes: the sender's address and port, checked as the receiver's --peer will be; and the pattern seed. */
function checkOrigin(o: Record<string, unknown>, family: Family, test: RxTest, flows: number):
  { ok: true; source: RunRequest['source']; seed: string | null } | Refusal {
  const src = o.source;
  if (!src || typeof src !== 'object' || Array.isArray(src)) {
    return { ok: false, reason: 'source (the sender\'s address and port) is missing: run the same msg-zerocopy release on both hosts' };
  }
  const { address, port: sport } = src as Record<string, unknown>;
  if (typeof address !== 'string' || address.length > 64 || !parseAddress(family, address)) {
    return { ok: false, reason: `source address must be an IPv${family} address` };
  }
  const lowest = test === 'raw' ? 0 : 1;
  if (!isInt(sport, lowest, 65536 - flows)) return { ok: false, reason: `source port must be a whole number from ${lowest} to ${65536 - flows}` };
  const seed = o.seed ?? null;
  if (test === 'tcp' ? seed !== null : typeof seed !== 'string' || !PATTERN_SEED.test(seed)) {
    return { ok: false, reason: test === 'tcp' ? 'seed must be null for tcp' : 'seed must be 32 hex digits' };
  }
  return { ok: true, source: { address, port: sport }, seed: seed as string | null };
}

/** How the receiver reads (--rx, tcp only) and the least share mapped (--expect-mapped, with rx mmap). */
function checkRx(o: Record<string, unknown>, test: RxTest): { ok: true; rx: RunRequest['rx']; expectMapped: number | null } | Refusal {
  // Absent: trunc, the selftest's reader.
  const rx = o.rx === undefined ? 'trunc' : o.rx;
  if (typeof rx !== 'string' || !isRxMode(rx)) return { ok: false, reason: `rx must be one of ${RX_MODES.join(', ')}` };
  if (rx !== 'trunc' && test !== 'tcp') return { ok: false, reason: `--rx ${rx} reads tcp streams only, not ${test}` };
  const expectMapped = o.expectMapped ?? null;
  if (expectMapped !== null && (typeof expectMapped !== 'number' || !(expectMapped >= 0 && expectMapped <= 100) || rx !== 'mmap')) {
    return { ok: false, reason: 'expectMapped must be a percentage from 0 to 100, with rx mmap' };
  }
  return { ok: true, rx, expectMapped };
}
