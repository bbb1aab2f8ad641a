// Decision time of the reference Cedar authorizer, @cedar-policy/cedar-wasm, on the workloads of
// bench/policy_bench.cc (as written by build/bench/policy_workload_dump): the same policies,
// entities and requests, decided round robin, one decision per iteration.
//
//   node bench/cedar_wasm_bench.mjs --cedar BUILD/tests/policy/cedar --workload DIR [--json]
//       [--repetitions 5] [--seconds 1] [--warmup 3] [--only example,thousand]
//
// --cedar is the directory tests/policy/setup.sh installed cedar-wasm into. For each workload the
// policy set is preparsed once (preparsePolicySet), the request objects are built once, every
// decision is checked against our engine's (the dump's "decisions"), V8 is warmed up (warmUp), then
// each repetition times a run of about --seconds with process.hrtime.bigint. Reported, in ns per
// decision:
//   stateful        statefulIsAuthorized (preparsed policies; the entities, as JSON, are still
//                   converted and parsed on every call: cedar-wasm has no preparsed entity store)
//   stateful_slice  the same with each request's entities cut down to its principal and resource
//                   and their ancestors in the store (what a caller can do; context only)
//   isAuthorized    the stateless call: policies parsed on every call (context only; at most 3
//                   repetitions, since a call with 1,000 policies takes tens of ms)
// "median" is the median over repetitions of the mean wall time per decision, as Google
// Benchmark's *_median aggregate is ("cpu_median": the same in process CPU time, all threads);
// "p50_call" is the median of individually timed calls (includes ~50 ns of reading the clock);
// the mean is well above it, as it includes garbage collection.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCedar } from '../tests/policy/cedar_reference.mjs';

const { values: opts } = parseArgs({
  options: {
    cedar: { type: 'string' },
    workload: { type: 'string' },
    repetitions: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string', default: 'example,thousand' },
    json: { type: 'boolean', default: false },
  },
});
if (!opts.cedar || !opts.workload) {
  console.error('usage: node bench/cedar_wasm_bench.mjs --cedar DIR --workload DIR [--json]');
  process.exit(2);
}
const repetitions = Number(opts.repetitions);
const seconds = Number(opts.seconds);
const warmup = Number(opts.warmup);
const cedar = loadCedar(opts.cedar);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Times `decide(i)` for requests i = 0, 1, ... (mod n): warm-up, then `reps` runs of at least n
// calls each.
function measure(n, decide, reps = repetitions) {
  // Warm up for half a repetition (and at least every request once) and calibrate.
  let calls = 0;
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round((seconds / 2) * 1e9));
  let t = process.hrtime.bigint();
  const warmStart = t;
  while (calls < Math.max(n, 10) || t < warmEnd) {
    decide(calls % n);
    ++calls;
    if (calls % 16 === 0) t = process.hrtime.bigint();
  }
  const perCall = Number(process.hrtime.bigint() - warmStart) / calls;
  const iterations = Math.max(n, Math.round((seconds * 1e9) / perCall));
  const means = [];
  const cpuMeans = [];
  for (let rep = 0; rep < reps; ++rep) {
    let i = 0;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    for (let k = 0; k < iterations; ++k) {
      decide(i);
      if (++i === n) i = 0;
    }
    means.push(Number(process.hrtime.bigint() - start) / iterations);
    const cpu = process.cpuUsage(cpuStart);
    cpuMeans.push(((cpu.user + cpu.system) * 1e3) / iterations);
  }
  // Individually timed calls, for the distribution (one repetition's worth, capped).
  const single = [];
  const singles = Math.min(iterations, 200000);
  for (let k = 0, i = 0; k < singles; ++k) {
    const s = process.hrtime.bigint();
    decide(i);
    single.push(Number(process.hrtime.bigint() - s));
    if (++i === n) i = 0;
  }
  return {
    median: median(means),
    cpu_median: median(cpuMeans),
    min: Math.min(...means),
    max: Math.max(...means),
    p50_call: median(single),
    iterations,
    repetitions: reps,
  };
}

function check(answer, expected, what) {
  if (answer.type !== 'success') {
    throw new Error(`${what}: ${answer.errors.map((e) => e.message).join('; ')}`);
  }
  if (answer.response.decision !== expected) {
    throw new Error(`${what}: cedar-wasm says ${answer.response.decision}, ours ${expected}`);
  }
}

// Each request's principal and resource entities and their ancestors that are in the store.
function slice(entities, r) {
  const byKey = new Map(entities.map((e) => [`${e.uid.type}::${e.uid.id}`, e]));
  const out = new Map();
  const visit = (uid) => {
    const key = `${uid.type}::${uid.id}`;
    const e = byKey.get(key);
    if (!e || out.has(key)) return;
    out.set(key, e);
    e.parents.forEach(visit);
  };
  [r.principal, r.action, r.resource].forEach(visit);
  return [...out.values()];
}

// V8 first runs the 4 MB module with its baseline compiler and recompiles hot functions with the
// optimizing one in the background; on this machine decisions get ~10x faster over the first 2-3
// seconds. So before any timing, decide the example workload's requests (all three calls) until
// the rate is stable: at least --warmup seconds, then until two consecutive 0.5 s windows agree
// within 5%, at most 30 s.
function warmUp(callsOf) {
  const t0 = process.hrtime.bigint();
  let previous = Infinity;
  for (;;) {
    const start = process.hrtime.bigint();
    let n = 0;
    while (process.hrtime.bigint() - start < 500000000n) callsOf(n++);
    const perCall = 5e8 / n;
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    if (elapsed >= 30 || (elapsed >= warmup && Math.abs(perCall - previous) <= 0.05 * previous)) {
      return elapsed;
    }
    previous = perCall;
  }
}

const results = {
  cedar_version: cedar.getCedarVersion(),
  sdk_version: cedar.getCedarSDKVersion(),
  node: process.version,
  workloads: {},
};
for (const name of opts.only.split(',')) {
  const w = JSON.parse(fs.readFileSync(path.join(opts.workload, `${name}.json`), 'utf8'));
  const policies = { staticPolicies: w.policies };
  const parsed = cedar.preparsePolicySet(name, policies);
  if (parsed.type !== 'success') {
    const why = parsed.errors.map((e) => e.message).join('; ');
    throw new Error(`${name}: preparsePolicySet: ${why}`);
  }
  const stateful = w.requests.map((r) => ({
    ...r,
    preparsedPolicySetId: name,
    entities: w.entities,
  }));
  const sliced = w.requests.map((r) => ({ ...stateful[0], ...r, entities: slice(w.entities, r) }));
  const plain = w.requests.map((r) => ({ ...r, policies, entities: w.entities }));
  w.requests.forEach((_, i) => {
    check(cedar.statefulIsAuthorized(stateful[i]), w.decisions[i], `${name} request ${i}`);
    check(cedar.statefulIsAuthorized(sliced[i]), w.decisions[i], `${name} request ${i} (sliced)`);
    check(cedar.isAuthorized(plain[i]), w.decisions[i], `${name} request ${i} (isAuthorized)`);
  });
  const n = w.requests.length;
  if (results.warmup_seconds === undefined) {
    results.warmup_seconds = warmUp((k) => {
      const i = k % n;
      if (k % 3 === 0) cedar.statefulIsAuthorized(stateful[i]);
      else if (k % 3 === 1) cedar.statefulIsAuthorized(sliced[i]);
      else cedar.isAuthorized(plain[i]);
    });
    if (!opts.json) console.log(`warmed up for ${results.warmup_seconds.toFixed(1)} s`);
  }
  const r = {
    policies: w.policy_count,
    entities: w.entities.length,
    requests: n,
    stateful: measure(n, (i) => cedar.statefulIsAuthorized(stateful[i])),
    stateful_slice: measure(n, (i) => cedar.statefulIsAuthorized(sliced[i])),
    isAuthorized: measure(n, (i) => cedar.isAuthorized(plain[i]), Math.min(repetitions, 3)),
  };
  results.workloads[name] = r;
  if (!opts.json) {
    console.log(`${name}: ${r.policies} policies, ${r.entities} entities, ${n} requests ` +
                '(decisions agree with ours)');
    for (const k of ['stateful', 'stateful_slice', 'isAuthorized']) {
      const m = r[k];
      console.log(`  ${k.padEnd(15)} median ${m.median.toFixed(0).padStart(9)} ns/decision ` +
                  `(CPU ${m.cpu_median.toFixed(0)}, reps ${m.min.toFixed(0)}-${m.max.toFixed(0)}, ` +
                  `p50 of single calls ` +
                  `${m.p50_call.toFixed(0)}, ${m.iterations} iterations x ${m.repetitions})`);
    }
  }
}
if (opts.json) console.log(JSON.stringify(results));
