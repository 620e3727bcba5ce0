// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy doctor [-4|-6] -D ADDR [-p PORT] [test]`: walk the path a
// zerocopy send to ADDR would take, one line per check (verdict and fix),
// and a bottom line: zero copy will happen / will be copied because … /
// will fail because …; --json prints {prediction, reason, checks,
// environment}. Nothing is sent.
import { Command } from 'commander';
import { MAX_PAYLOAD } from '../libc/layout.js';
import { parseAddress, type Family } from '../net/address.js';
import { TESTS, type TestName } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { intOption, LIMITS } from '../flags/parse.js';
import { collectEnvironment } from '../environment/environment.js';
import { Unreachable, walkPath } from '../environment/path.js';
import { gatherFacts, type Question } from '../doctor/facts.js';
import { bottomLine, diagnose, type Check, type Diagnosis } from '../doctor/rules.js';

interface DoctorOptions {
  '4'?: number;
  '6'?: number;
  D?: string;
  p?: number;
  s?: number;
  l?: number;
  c?: number;
  api?: string;
  json?: boolean;
}

const ERRNO_TEXT: Record<number, string> = { 101: 'Network is unreachable', 113: 'No route to host', 22: 'Invalid argument', 1: 'Operation not permitted' };

/** The question from the flags: family (given, or read from the address), destination, test, sizes. */
export function toQuestion(testArg: string | undefined, o: DoctorOptions): Question & { dst: Uint8Array } {
  if ((o['4'] ?? 0) + (o['6'] ?? 0) > 1) throw new UsageError('Pass one of -4 or -6');
  if (o.D === undefined) throw new UsageError('-D <addr> is required', 'the destination the send would go to');
  const test = testArg ?? 'tcp';
  if (!(TESTS as readonly string[]).includes(test)) {
    throw new UsageError(`unknown test ${test}`, didYouMean(test, TESTS) || `<test> is one of ${TESTS.join(', ')}`);
  }
  let family: Family | null = o['4'] ? 4 : o['6'] ? 6 : null;
  if (family === null) family = parseAddress(4, o.D) ? 4 : parseAddress(6, o.D) ? 6 : null;
  const dst = family ? parseAddress(family, o.D) : null;
  if (!family || !dst) {
    throw new UsageError(`bad address: ${o.D}`, family ? `-D needs an IPv${family} address with -${family}` : '-D needs an IPv4 or IPv6 address');
  }
  const api = o.api ?? 'msg';
  if (api !== 'msg' && api !== 'uring') throw new UsageError(`unknown --api ${api}`, 'msg (MSG_ZEROCOPY) or uring (io_uring SEND_ZC)');
  if (api === 'uring' && test !== 'tcp' && test !== 'udp') throw new UsageError(`--api uring sends tcp or udp, not ${test}`);
  return {
    family, dstText: o.D, dst, test: test as TestName, api, payloadLen: o.s ?? MAX_PAYLOAD, notificationLimit: o.l ?? 32, cork: o.c ?? 0,
  };
}

const VERDICT_WIDTH = 9;
const NAME_WIDTH = 20;

/** One check as a line: `<name>: <verdict>  <detail>` and the fix after `fix:`. */
export function checkLine(c: Check): string {
  return `${`${c.name}:`.padEnd(NAME_WIDTH)} ${c.verdict.padEnd(VERDICT_WIDTH)} ${c.detail}${c.fix ? `; fix: ${c.fix}` : ''}`;
}

export interface DoctorReport extends Diagnosis {
  question: { family: Family; dst: string; test: string; api: string; payloadLen: number; notificationLimit: number };
  environment: ReturnType<typeof collectEnvironment>;
}

/** Run the doctor: the diagnosis and the environment, or a one-line UsageError for a destination with no route. */
export async function runDoctor(q: Question & { dst: Uint8Array }): Promise<DoctorReport> {
  let walk;
  try {
    walk = walkPath(q.family, q.dst);
  } catch (e) {
    if (!(e instanceof Unreachable)) throw e;
    throw new UsageError(`no route to ${q.dstText} from this network namespace${e.errno ? ` (${ERRNO_TEXT[e.errno] ?? `errno ${e.errno}`})` : ` (${e.message})`}`,
      'check the address and the routes (ip route get), or run doctor in the namespace the sender runs in (ip netns exec NS ...)');
  }
  const d = diagnose(await gatherFacts(q, walk));
  return {
    question: { family: q.family, dst: q.dstText, test: q.test, api: q.api, payloadLen: q.payloadLen, notificationLimit: q.notificationLimit },
    ...d,
    environment: collectEnvironment({ family: q.family, addr: q.dst }, walk),
  };
}

export function registerDoctorCommand(program: Command, done: (code: number) => void): void {
  const cmd = new Command('doctor')
    .usage('[-4|-6] -D <addr> [-p <port>] [options] [test]')
    .description('Predict whether a zerocopy send to -D will be zero copy, copied or fail, and why: one line per check ' +
      '(route, devices and features, MTU, qdisc, forwarding, optmem_max, RLIMIT_MEMLOCK, kernel and io_uring, IOMMU and ' +
      'huge pages, CPUs) with its verdict (ok, will copy, will fail, slower, unknown) and fix. Nothing is sent.')
    .argument('[test]', `${TESTS.join(' | ')} (default tcp)`)
    .option('-4', 'IPv4', (_: string, p: number) => p + 1, 0)
    .option('-6', 'IPv6', (_: string, p: number) => p + 1, 0)
    .option('-D <addr>', 'destination address')
    .option('-p <port>', 'data port (recorded; routing does not depend on it)', intOption('-p', ...LIMITS.port))
    .option('-s <len>', `payload bytes of each send (default ${MAX_PAYLOAD})`, intOption('-s', ...LIMITS.size))
    .option('-l <n>', 'sends between error-queue drains, as the sender\'s -l (default 32)', intOption('-l', 1, 1 << 30))
    .option('-c <n>', 'udp cork, as the sender\'s -c', intOption('-c', 0, 1 << 16))
    .option('--api <msg|uring>', 'the send path: msg (MSG_ZEROCOPY, default) or uring (io_uring SEND_ZC)')
    .option('--json', 'print {prediction, reason, checks, environment} on stdout instead of the lines')
    .allowExcessArguments(false)
    .action(async (test: string | undefined, opts: DoctorOptions) => {
      const q = toQuestion(test, opts);
      const r = await runDoctor(q);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ prediction: r.prediction, reason: r.reason, checks: r.checks.map(({ name, verdict, detail, fix }) =>
          ({ name, verdict, detail, fix })), question: r.question, environment: r.environment })}\n`);
      } else {
        for (const c of r.checks) process.stdout.write(`${checkLine(c)}\n`);
        process.stdout.write(`${bottomLine(r)}\n`);
      }
      done(0);
    });
  program.addCommand(cmd);
}
