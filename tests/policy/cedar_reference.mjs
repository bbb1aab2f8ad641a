// The reference side of the differential test: Cedar's own authorizer, @cedar-policy/cedar-wasm,
// loaded from the directory where tests/policy/setup.sh installed it.
import { createRequire } from 'node:module';
import path from 'node:path';

// Loads cedar-wasm from `installDir` (the --prefix given to npm ci).
export function loadCedar(installDir) {
  const require = createRequire(path.join(path.resolve(installDir), 'package.json'));
  return require('@cedar-policy/cedar-wasm/nodejs');
}

// Decides a rendered case (generate.mjs render()) with Cedar. Returns the same shape as our
// driver: {decision, reason, errors} with sorted policy ids, or {failure: message} when Cedar
// refuses the input (policies, entities or context).
export function cedarAnswer(cedar, r) {
  const staticPolicies = {};
  r.policies.forEach((text, i) => { staticPolicies[r.policy_ids[i]] = text; });
  const answer = cedar.isAuthorized({
    principal: r.principal,
    action: r.action,
    resource: r.resource,
    context: r.context,
    policies: { staticPolicies },
    entities: r.entities,
  });
  if (answer.type !== 'success') {
    return { failure: answer.errors.map((e) => e.message).join('; ') };
  }
  const d = answer.response.diagnostics;
  return {
    decision: answer.response.decision,
    reason: [...d.reason].sort(),
    errors: [...new Set(d.errors.map((e) => e.policyId))].sort(),
    messages: Object.fromEntries(d.errors.map((e) => [e.policyId, e.error.message])),
  };
}
