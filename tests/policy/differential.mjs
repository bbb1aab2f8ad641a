#!/usr/bin/env node
// The differential test of src/policy against Cedar itself (@cedar-policy/cedar-wasm).
//
//   tests/policy/setup.sh BUILD/tests/policy/cedar     # once: installs cedar-wasm there
//   node --no-opt tests/policy/differential.mjs --driver BUILD/tests/policy/policy_diff_driver \
//        --cedar BUILD/tests/policy/cedar [--cases N] [--seed S] [--regressions DIR]
//
// (--no-opt works around a V8 crash of Node 20 midway through long runs; see CMakeLists.txt.)
//
// First replays every saved reproduction in tests/policy/regressions/, then decides N random
// cases (generate.mjs; default $POLICY_DIFF_CASES, else 10000; seed default $POLICY_DIFF_SEED,
// else 1) with both engines and compares the decision, the determining policies and the set of
// policies that errored. A disagreement is shrunk to a minimal case, saved as
// regressions/<hash>.json with both answers, and printed; the run then exits 1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadCedar, cedarAnswer } from './cedar_reference.mjs';
import { DriverProcess } from './driver_process.mjs';
import { generateCase, makeRng, render } from './generate.mjs';
import { shrink } from './shrink.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = {
    driver: null,
    cedar: null,
    cases: Number(process.env.POLICY_DIFF_CASES ?? 10000),
    seed: Number(process.env.POLICY_DIFF_SEED ?? 1),
    regressions: path.join(here, 'regressions'),
    maxShrink: 5,  // distinct disagreements shrunk and saved per run; the rest are counted
  };
  for (let i = 2; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    switch (flag) {
      case '--driver': args.driver = value; break;
      case '--cedar': args.cedar = value; break;
      case '--cases': args.cases = Number(value); break;
      case '--seed': args.seed = Number(value); break;
      case '--regressions': args.regressions = value; break;
      case '--max-shrink': args.maxShrink = Number(value); break;
      default: throw new Error(`unknown argument ${flag}`);
    }
  }
  if (!args.driver) throw new Error('--driver PATH (policy_diff_driver) is required');
  if (!args.cedar) throw new Error('--cedar DIR (where tests/policy/setup.sh installed cedar-wasm) is required');
  if (!Number.isInteger(args.cases) || args.cases < 0) throw new Error('--cases must be a count');
  if (!Number.isInteger(args.seed)) throw new Error('--seed must be an integer');
  return args;
}

function driverInput(r) {
  return { policies: r.policies.join('\n'), entities: r.entities, principal: r.principal,
           action: r.action, resource: r.resource, context: r.context };
}

const kRefusals = ['parse_error', 'entities_error', 'context_error'];

// Null when the answers agree, else what differs. Cedar refusing the input (which the
// generator should never cause) agrees only with our engine refusing it too.
function difference(cedar, ours) {
  if (ours.crash) return `our driver crashed: ${ours.crash}`;
  if (ours.bad_case) return `our driver could not read the case: ${ours.bad_case}`;
  const refusal = kRefusals.find((k) => k in ours);
  if (cedar.failure !== undefined) {
    return refusal ? null : `Cedar refuses the input (${cedar.failure}) but we decide it`;
  }
  if (refusal) return `we refuse what Cedar accepts (${refusal}: ${ours[refusal]})`;
  const diffs = [];
  if (cedar.decision !== ours.decision) diffs.push(`decision ${cedar.decision} vs ours ${ours.decision}`);
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(cedar.reason, ours.reason)) {
    diffs.push(`determining ${JSON.stringify(cedar.reason)} vs ours ${JSON.stringify(ours.reason)}`);
  }
  if (!same(cedar.errors, ours.errors)) {
    diffs.push(`errored ${JSON.stringify(cedar.errors)} vs ours ${JSON.stringify(ours.errors)}`);
  }
  return diffs.length ? diffs.join('; ') : null;
}

// The kind of a difference, kept while shrinking so that a case does not drift to another bug.
function kindOf(diff) {
  if (diff.startsWith('our driver')) return 'crash';
  if (diff.startsWith('we refuse')) return 'refuse';
  if (diff.startsWith('Cedar refuses')) return 'accept';
  return 'answer';
}

function hashOf(x) {
  return crypto.createHash('sha256').update(JSON.stringify(x)).digest('hex').slice(0, 16);
}

function describe(r, cedar, ours, diff) {
  const lines = [`  differs: ${diff}`, '  policies:'];
  r.policies.forEach((text, i) => lines.push(`    [${r.policy_ids[i]}] ${text.replace(/\n/g, '\n      ')}`));
  lines.push(`  entities: ${JSON.stringify(r.entities)}`);
  lines.push(`  request: principal ${JSON.stringify(r.principal)}, action ${JSON.stringify(r.action)}, ` +
             `resource ${JSON.stringify(r.resource)}, context ${JSON.stringify(r.context)}`);
  lines.push(`  cedar: ${JSON.stringify(cedar)}`);
  lines.push(`  ours:  ${JSON.stringify(ours)}`);
  return lines.join('\n');
}

async function main() {
  const args = parseArgs(process.argv);
  const started = Date.now();
  const cedar = loadCedar(args.cedar);
  const driver = new DriverProcess(path.resolve(args.driver));
  let failed = 0;

  // 1. Saved reproductions.
  fs.mkdirSync(args.regressions, { recursive: true });
  const saved = fs.readdirSync(args.regressions).filter((f) => f.endsWith('.json')).sort();
  for (const file of saved) {
    const { case: r } = JSON.parse(fs.readFileSync(path.join(args.regressions, file), 'utf8'));
    const c = cedarAnswer(cedar, r);
    const o = await driver.ask(driverInput(r));
    const diff = difference(c, o);
    if (diff) {
      failed++;
      console.log(`DISAGREEMENT (saved reproduction ${file}):\n${describe(r, c, o, diff)}`);
    }
  }

  // 2. Random cases, decided in batches.
  const rng = makeRng(args.seed);
  const stats = { allow: 0, deny: 0, cedarRefused: 0, policies: 0, errored: 0, determining: 0 };
  const found = [];  // [{index, structured, diff}]
  let disagreements = 0;
  const kBatch = 500;
  for (let start = 0; start < args.cases; start += kBatch) {
    const structured = [];
    for (let i = start; i < Math.min(args.cases, start + kBatch); i++) structured.push(generateCase(rng));
    const rendered = structured.map(render);
    // Our driver (another process) works on the batch while Cedar decides it here.
    const oursPromise = driver.askAll(rendered.map(driverInput), rendered.length);
    const cedars = [];
    for (const r of rendered) {
      cedars.push(cedarAnswer(cedar, r));
      if (cedars.length % 25 === 0) await new Promise(setImmediate);  // lets the pipes flow
    }
    const ours = await oursPromise;
    rendered.forEach((r, j) => {
      const c = cedars[j];
      if (c.failure !== undefined) {
        stats.cedarRefused++;
      } else {
        stats[c.decision]++;
        stats.policies += r.policies.length;
        stats.errored += c.errors.length;
        stats.determining += c.reason.length;
      }
      const diff = difference(c, ours[j]);
      if (diff) {
        disagreements++;
        if (found.length < args.maxShrink * 4) found.push({ index: start + j, structured: structured[j], diff });
      }
    });
  }

  // 3. Shrink and save the disagreements (distinct minimal cases only).
  const savedNow = new Set();
  for (const f of found) {
    if (savedNow.size >= args.maxShrink) break;
    const kind = kindOf(f.diff);
    const stillFails = async (candidate) => {
      const r = render(candidate);
      const d = difference(cedarAnswer(cedar, r), await driver.ask(driverInput(r)));
      return d !== null && kindOf(d) === kind;
    };
    const minimal = render(await shrink(f.structured, stillFails));
    const hash = hashOf(minimal);
    if (savedNow.has(hash)) continue;
    savedNow.add(hash);
    const c = cedarAnswer(cedar, minimal);
    const o = await driver.ask(driverInput(minimal));
    const diff = difference(c, o) ?? f.diff;
    const file = path.join(args.regressions, `${hash}.json`);
    fs.writeFileSync(file, JSON.stringify({
      differs: diff,
      found_by: { seed: args.seed, case: f.index },
      case: minimal,
      cedar: c,
      ours: o,
    }, null, 2) + '\n');
    console.log(`DISAGREEMENT (seed ${args.seed}, case ${f.index}), minimal case saved as ${file}:\n` +
                describe(minimal, c, o, diff));
  }
  driver.stop();

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const decided = stats.allow + stats.deny;
  console.log(`policy_differential: seed ${args.seed}, ${args.cases} random cases ` +
              `(Cedar: ${stats.allow} allow, ${stats.deny} deny, ${stats.cedarRefused} refused; ` +
              `${stats.policies} policies, ${stats.errored} errored, ${stats.determining} determining; ` +
              `${decided ? (100 * stats.allow / decided).toFixed(0) : 0}% allow) ` +
              `and ${saved.length} saved reproductions in ${seconds} s`);
  const total = args.cases + saved.length;
  failed += disagreements;
  console.log(`${total - failed} passed, ${failed} failed`);
  if (stats.cedarRefused > 0) {
    console.log(`the generator produced ${stats.cedarRefused} cases that Cedar refuses: fix generate.mjs`);
    process.exitCode = 1;
  }
  if (failed > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`policy_differential: ${e.stack ?? e}`);
  process.exitCode = 2;
});
