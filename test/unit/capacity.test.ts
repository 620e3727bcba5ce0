// SPDX-License-Identifier: GPL-2.0-only
// What a serving host can carry (src/pair/capacity.ts): flows its CPUs cannot
// start within the sender's run, or its memory cannot hold, are refused with
// the reason and what would fit; the policy line says the limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityRefusal, capacityText, FLOW_START_CPU_SECS, maxFlows, startSecs } from '../../src/pair/capacity.js';
import { checkRunRequest, DEFAULT_POLICY, policyLine } from '../../src/pair/policy.js';

const two = { cpus: 2, memAvailable: 20e9 };

test('pair -P 64 -t 1 on 2 CPUs is refused up front with the reason and what fits; one flow per CPU always passes', () => {
  assert.equal(FLOW_START_CPU_SECS, 0.35);
  assert.equal(startSecs(64, 2), 11.2);
  assert.equal(capacityRefusal(64, 1, two, 64), '-P 64: this host (2 CPUs) needs about 11.2 s to start 64 receiver flows (0.35 s of CPU ' +
    'each), longer than the 1.2 s run of -t 1, so they would not run together: use -P 6 or fewer, or -t 11 or more');
  assert.equal(capacityRefusal(6, 1, two, 64), null, '6 × 0.35 / 2 = 1.05 s ≤ 1.2 s');
  assert.match(capacityRefusal(7, 1, two, 64) ?? '', /use -P 6 or fewer, or -t 2 or more$/);
  assert.equal(capacityRefusal(2, 0, two, 64), null, 'one flow a CPU starts side by side, even in a 0.2 s run');
  assert.equal(capacityRefusal(64, 11, two, 64), null, 'a longer run carries them all');
  assert.equal(capacityRefusal(1, 0, { cpus: 1, memAvailable: 1 }, 64), null, 'one flow is never refused');
  assert.equal(maxFlows({ cpus: 64, memAvailable: null }, 1.2, 64), 64, 'never above -P\'s own limit');
});

test('memory: more flows than half the free memory holds are refused', () => {
  assert.equal(capacityRefusal(64, 100, { cpus: 2, memAvailable: 2e9 }, 64),
    '-P 64: 64 receiver processes need about 3.1 GB, more than half of the 2.0 GB this host has free: use -P 20 or fewer');
});

test('serve checks a run request against the host, after its policy; the policy line says the limit', () => {
  const req = { type: 'run', family: 4, test: 'udp', senderTest: 'udp', port: 9000, flows: 64, size: 1000, secs: 2, client: 'a',
    source: { address: '192.168.1.1', port: 40000 }, seed: 'ab'.repeat(16) };
  const limits = { family: 4 as const, controlPort: 8999, maxPayload: 65435, policy: { ...DEFAULT_POLICY }, host: two };
  const r = checkRunRequest(req, limits);
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /^-P 64: this host \(2 CPUs\) needs about 11\.2 s to start 64 receiver flows/);
  assert.equal(checkRunRequest({ ...req, flows: 2 }, limits).ok, true);
  assert.equal(checkRunRequest(req, { ...limits, host: undefined }).ok, true, 'without the host figures: the policy alone');
  assert.equal(policyLine(DEFAULT_POLICY, two), 'policy: data ports 1024-65535, receiver runs up to 60 s, raw receivers refused ' +
    '(serve --allow-raw), flows (-P) up to 6 with -t 1 on 2 CPUs (0.35 s of CPU to start each; more with a longer -t, up to 64)');
  assert.equal(capacityText({ cpus: 4, memAvailable: null }, 64),
    'flows (-P) up to 13 with -t 1 on 4 CPUs (0.35 s of CPU to start each; more with a longer -t, up to 64)');
});
