// Greedy shrinking of a disagreeing case (a structured case from generate.mjs): try simpler
// variants one at a time, keep the first that still disagrees, repeat until none does.

const clone = (x) => structuredClone(x);

// Every child expression of `n`, for replacing `n` by one of them.
function children(n) {
  switch (n.k) {
    case 'set': return n.elems;
    case 'rec': return n.fields.map(([, v]) => v);
    case 'attr': case 'has': case 'not': case 'neg': case 'like': return [n.e];
    case 'call': return [n.e, n.arg];
    case 'bin': return [n.l, n.r];
    case 'if': return [n.c, n.t, n.f];
    case 'is': return n.in ? [n.e, n.in] : [n.e];
    default: return [];
  }
}

// Variants of expression `n`, simplest first: literals, its children, then each child simplified.
function* exprVariants(n) {
  const isLit = n.k === 'lit';
  if (!(isLit && n.t === 'bool')) {
    yield { k: 'lit', t: 'bool', v: true };
    yield { k: 'lit', t: 'bool', v: false };
  }
  if (!isLit) {
    yield { k: 'lit', t: 'long', v: 0 };
    yield { k: 'lit', t: 'string', v: '' };
  }
  for (const c of children(n)) yield c;
  if (n.k === 'is' && n.in) yield { ...n, in: undefined };
  if (n.k === 'set') {
    for (let i = 0; i < n.elems.length; i++) yield { ...n, elems: n.elems.filter((_, j) => j !== i) };
  }
  if (n.k === 'rec') {
    for (let i = 0; i < n.fields.length; i++) yield { ...n, fields: n.fields.filter((_, j) => j !== i) };
  }
  if (n.k === 'lit' && n.t === 'long' && n.v !== 0 && n.v !== 1) yield { ...n, v: 1 };
  if (n.k === 'lit' && n.t === 'string' && n.v !== '') yield { ...n, v: 'a' };
  // Simplify inside: each child slot replaced by a variant of the child.
  const slots = [];
  switch (n.k) {
    case 'set': n.elems.forEach((_, i) => slots.push([(m) => m.elems, i])); break;
    case 'rec': n.fields.forEach((_, i) => slots.push([(m) => m.fields[i], 1])); break;
    case 'attr': case 'has': case 'not': case 'neg': case 'like': slots.push([(m) => m, 'e']); break;
    case 'call': slots.push([(m) => m, 'e'], [(m) => m, 'arg']); break;
    case 'bin': slots.push([(m) => m, 'l'], [(m) => m, 'r']); break;
    case 'if': slots.push([(m) => m, 'c'], [(m) => m, 't'], [(m) => m, 'f']); break;
    case 'is': slots.push([(m) => m, 'e']); if (n.in) slots.push([(m) => m, 'in']); break;
  }
  for (const [holder, key] of slots) {
    for (const variant of exprVariants(holder(n)[key])) {
      const m = clone(n);
      holder(m)[key] = variant;
      yield m;
    }
  }
}

// Simpler variants of a whole case, roughly from the biggest cut to the smallest.
function* caseVariants(c) {
  const withCase = (f) => { const d = clone(c); f(d); return d; };
  for (let i = 0; i < c.policies.length; i++) yield withCase((d) => d.policies.splice(i, 1));
  for (let i = 0; i < c.entities.length; i++) yield withCase((d) => d.entities.splice(i, 1));
  for (const key of Object.keys(c.context)) yield withCase((d) => delete d.context[key]);
  if (c.styleSeed !== null) yield withCase((d) => { d.styleSeed = null; });
  // One canonical request, so that the same bug found twice shrinks to the same case.
  for (const [role, canonical] of [['principal', { type: 'User', id: 'alice' }],
                                   ['action', { type: 'Action', id: 'read' }],
                                   ['resource', { type: 'Record', id: 'r3' }]]) {
    if (JSON.stringify(c[role]) !== JSON.stringify(canonical)) {
      yield withCase((d) => { d[role] = canonical; });
    }
  }
  for (let i = 0; i < c.policies.length; i++) {
    const p = c.policies[i];
    for (let j = 0; j < p.conditions.length; j++) {
      yield withCase((d) => d.policies[i].conditions.splice(j, 1));
    }
    for (const role of ['principal', 'action', 'resource']) {
      if (p[role].kind !== 'any') yield withCase((d) => { d.policies[i][role] = { kind: 'any' }; });
      if (p[role].kind === 'is in') {
        yield withCase((d) => { d.policies[i][role] = { kind: 'is', type: p[role].type }; });
        yield withCase((d) => { d.policies[i][role] = { kind: 'in', entity: p[role].entity }; });
      }
    }
    if (p.action.kind === 'in') {
      for (let j = 0; j < p.action.ids.length && p.action.ids.length > 1; j++) {
        yield withCase((d) => d.policies[i].action.ids.splice(j, 1));
      }
    }
    if (p.id !== undefined) yield withCase((d) => { delete d.policies[i].id; });
  }
  for (let i = 0; i < c.entities.length; i++) {
    const e = c.entities[i];
    for (let j = 0; j < e.parents.length; j++) yield withCase((d) => d.entities[i].parents.splice(j, 1));
    for (const key of Object.keys(e.attrs)) yield withCase((d) => delete d.entities[i].attrs[key]);
    for (const key of Object.keys(e.attrs)) {
      for (const simpler of valueVariants(e.attrs[key])) {
        yield withCase((d) => { d.entities[i].attrs[key] = simpler; });
      }
    }
  }
  for (const key of Object.keys(c.context)) {
    for (const simpler of valueVariants(c.context[key])) yield withCase((d) => { d.context[key] = simpler; });
  }
  for (let i = 0; i < c.policies.length; i++) {
    for (let j = 0; j < c.policies[i].conditions.length; j++) {
      for (const variant of exprVariants(c.policies[i].conditions[j].expr)) {
        yield withCase((d) => { d.policies[i].conditions[j].expr = variant; });
      }
    }
  }
}

// Simpler JSON data values: sets and records lose an element.
function* valueVariants(x) {
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) yield x.filter((_, j) => j !== i);
  } else if (x && typeof x === 'object' && !('__entity' in x)) {
    for (const k of Object.keys(x)) {
      const y = { ...x };
      delete y[k];
      yield y;
    }
  }
}

// Shrinks case `c`, for which `stillFails(c)` resolves true, to a local minimum. Gives up
// simplifying after `budget` attempts.
export async function shrink(c, stillFails, budget = 4000) {
  let attempts = 0;
  let progress = true;
  while (progress && attempts < budget) {
    progress = false;
    for (const variant of caseVariants(c)) {
      if (++attempts > budget) break;
      if (await stillFails(variant)) {
        c = variant;
        progress = true;
        break;
      }
    }
  }
  return c;
}
