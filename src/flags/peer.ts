// SPDX-License-Identifier: GPL-2.0-only
// --peer, --bind and --pattern-seed: what serve and pair hand the classic
// receiver and sender so that the receiver takes only the sender of its run
// (src/receiver/receiver.ts). The classic command only: pair finds its own
// values and passes them; a person can give them too.
import type { Command } from 'commander';
import type { Config } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import type { Family, TestName } from '../core/vocabulary.js';
import { parseEndpoint } from '../net/endpoint.js';
import { PATTERN_SEED } from '../net/headers.js';
import { addFlags, type FlagSpec } from './groups.js';

/** The three flags as commander gives them. */
export interface PeerRawOptions {
  r?: boolean;
  peer?: string;
  bind?: string;
  patternSeed?: string;
}

/** The three flags, each once (groups.ts's shape). */
export const PEER = {
  peer: {
    flags: '--peer <addr:port>', help: 'receiver: take only this sender ([addr]:port for IPv6); tcp: other connections are ' +
      'closed and counted as foreign, and it waits for this one; udp: the socket is connected to it, datagrams from ' +
      'elsewhere are counted as foreign. With -P, flow k takes port + k',
  },
  bind: { flags: '--bind <addr:port>', help: 'sender: send from this address and port (with -P, flow k from port + k)' },
  patternSeed: {
    flags: '--pattern-seed <hex>', help: 'both sides: a payload pattern picked by these 32 hex digits instead of a..z; the ' +
      'receiver counts a datagram without it as foreign instead of ending with "data mismatch"',
  },
} as const satisfies Record<string, FlagSpec>;

/** Declare --peer, --bind and --pattern-seed. */
export function addPeerOptions(cmd: Command): Command {
  return addFlags(cmd, [PEER.peer, PEER.bind, PEER.patternSeed]);
}

/** The checked values for a Config (absent flags: null). */
export function peerConfig(o: PeerRawOptions, family: Family, test: TestName): Pick<Config, 'peer' | 'bindTo' | 'patternSeed'> {
  // raw has no ports: its --peer and --bind name the address (a port of 0 is taken there).
  const peer = o.peer === undefined ? null : parseEndpoint(family, o.peer, '--peer', test === 'raw' ? 0 : 1);
  const bindTo = o.bind === undefined ? null : parseEndpoint(family, o.bind, '--bind', 0);
  if (peer && !o.r) throw new UsageError('--peer: names the sender a receiver takes', 'give it with -r, or --bind to the sender');
  if (bindTo && o.r) throw new UsageError('--bind: names where a sender sends from', 'give the receiver --peer');
  if ((peer || bindTo) && test !== 'tcp' && test !== 'udp' && test !== 'raw') {
    throw new UsageError(`${peer ? '--peer' : '--bind'}: ${test} has no socket address to ${peer ? 'check' : 'bind'}`, 'use it with tcp, udp or raw');
  }
  let patternSeed: string | null = null;
  if (o.patternSeed !== undefined) {
    patternSeed = o.patternSeed.toLowerCase();
    if (!PATTERN_SEED.test(patternSeed)) throw new UsageError(`--pattern-seed: '${o.patternSeed.slice(0, 40)}' is not 32 hex digits`);
    if (test === 'tcp') throw new UsageError('--pattern-seed: the tcp receiver does not read the payload', 'use it with udp or raw');
  }
  return { peer, bindTo, patternSeed };
}

/** -P n: every flow's --peer or --bind port must exist (flow k: port + k). */
export function checkPeerFlows(cfg: Pick<Config, 'peer' | 'bindTo'>, flows: number): void {
  const ep = cfg.peer ?? cfg.bindTo;
  if (ep && (ep.port === 0 || ep.port + flows - 1 > 65535)) {
    throw new UsageError(`-P ${flows}: ${cfg.peer ? '--peer' : '--bind'} port ${ep.port} leaves no port for every flow`, `give a port from 1 to ${65536 - flows}`);
  }
}
