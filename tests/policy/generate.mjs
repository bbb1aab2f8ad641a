// Random cases for the differential test: a policy set, an entity set and a request, over the
// whole Cedar subset that src/policy supports (docs: issue 3, "Language"). Deterministic: the
// same seed yields the same cases on every machine.
//
// A case is kept structured (policies as syntax trees) so that shrink.mjs can simplify it;
// render() turns it into the plain form both engines read: policy texts, ids, entity JSON.
//
// What is generated, on purpose:
//  - every scope form: ==, in, is, is..in, action == / in [..];
//  - every expression form of the subset, printed with the fewest parentheses Cedar's grammar
//    allows (plus a few redundant ones), so operator precedence is exercised too;
//  - types that are sometimes wrong, missing attributes and entities, and long arithmetic near
//    the 64-bit limits, so that policies error; guarded forms (has && ..., false && ...,
//    if ... then ... else ...) so that short-circuiting decides whether they do.
// What is not: extension functions, templates, `has` on paths, anything else outside the
// subset.

// --- Deterministic random numbers (mulberry32). ---------------------------------------------
export function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (n) => Math.floor(next() * n),  // 0 .. n-1
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    // Picks by weight from [[weight, value], ...].
    weighted: (pairs) => {
      let total = 0;
      for (const [w] of pairs) total += w;
      let r = next() * total;
      for (const [w, v] of pairs) {
        if ((r -= w) < 0) return v;
      }
      return pairs[pairs.length - 1][1];
    },
    subset: (xs, p) => xs.filter(() => next() < p),
  };
  return rng;
}

// --- The universe the cases draw from. Small pools, so that ==, in and has often hit. --------
const USERS = ['alice', 'bob', 'carol'];
const SERVICES = ['svc'];
const GROUPS = ['g1', 'g2', 'admins'];
const TEAMS = ['t1', 'root'];
const RECORDS = ['u1/email', 'u2/phone', 'r3'];
const FOLDERS = ['f1', 'top'];
const ACTIONS = ['read', 'write', 'delete', 'list'];
const ACTION_GROUPS = ['readOnly', 'all'];

// Level 0 entities are request principals and resources; parents come only from higher levels,
// so the hierarchy is acyclic and 2-3 levels deep.
const LEVELS = [
  [...USERS.map((id) => ['User', id]), ...SERVICES.map((id) => ['Service', id]),
   ...RECORDS.map((id) => ['Record', id]), ['Ns::Doc', 'd1']],
  [...GROUPS.map((id) => ['Group', id]), ['Team', 't1'], ['Folder', 'f1']],
  [['Team', 'root'], ['Folder', 'top']],
];
const ACTION_LEVELS = [ACTIONS.map((id) => ['Action', id]), [['Action', 'readOnly']],
                       [['Action', 'all']]];
const ENTITY_TYPES = ['User', 'Service', 'Group', 'Team', 'Record', 'Folder', 'Action', 'Ns::Doc'];
const ALL_ENTITIES = [...LEVELS.flat(), ...ACTION_LEVELS.flat(), ['User', 'ghost']];

// Attribute names with the type they usually hold; "x y" is reachable only as ["x y"].
const ATTRS = [
  ['name', 'string'], ['location', 'string'], ['level', 'long'], ['score', 'long'],
  ['active', 'bool'], ['tags', 'set'], ['roles', 'set'], ['owner', 'entity'],
  ['manager', 'entity'], ['info', 'record'], ['x y', 'long'],
];
const RECORD_KEYS = ['a', 'b', 'jurisdiction', 'n'];
const CONTEXT_KEYS = [
  ['purpose', 'string'], ['source_jurisdiction', 'string'], ['time', 'long'], ['n', 'long'],
  ['flags', 'set'], ['who', 'entity'], ['grant', 'record'], ['ok', 'bool'],
];
const STRINGS = ['', 'US', 'EU', 'audit', 'usds', 'parent', 'a', 'ab', 'abc', 'a*c', 'x y',
                 'é', 'line\nbreak', 'tab\there', 'quote"q', 'back\\slash', '*', 'US-TX', "it's",
                 'cr\r', '日本'];
const PATTERNS = ['*', 'a*', '*c', 'a*c', 'US*', '*S', 'U*S*', '', 'abc', '\\*', 'a\\*c',
                  '*\\**', 'x y', '**', 'é*', 'line*', '*\\\\*'];
const SMALL_LONGS = [0, 1, 2, 3, 5, 7, 10, 42, 100, 1000];
// Near the limits of a 64-bit long (as decimal strings: the text is exact, JSON is not).
const BIG_LONGS = ['9223372036854775807', '9223372036854775806', '4611686018427387904',
                   '3037000500', '3037000499', '2147483648', '4294967296'];
const NEGATIVE_LONGS = ['-1', '-42', '-9223372036854775808', '-9223372036854775807'];
// Longs that fit in an IEEE double exactly, for JSON data.
const JSON_LONGS = [0, 1, 2, 3, 5, 10, 42, 100, 1000, 3037000500, 4294967296,
                    9007199254740991, -1, -3037000500, -9007199254740991];

const RESERVED = new Set(['true', 'false', 'if', 'then', 'else', 'in', 'is', 'like', 'has',
                          'principal', 'action', 'resource', 'context']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

// --- Data: entities and context. ------------------------------------------------------------
function uid(type, id) { return { type, id }; }
function entityJson(type, id) { return { __entity: { type, id } }; }

function genJsonValue(rng, kind, depth) {
  if (rng.chance(0.12)) kind = rng.pick(['string', 'long', 'bool', 'set', 'entity', 'record']);
  switch (kind) {
    case 'string': return rng.pick(STRINGS);
    case 'long': return rng.chance(0.5) ? rng.pick(SMALL_LONGS) : rng.pick(JSON_LONGS);
    case 'bool': return rng.chance(0.5);
    case 'entity': {
      const [t, id] = rng.pick(ALL_ENTITIES);
      return entityJson(t, id);
    }
    case 'set': {
      const elemKind = rng.weighted([[5, 'string'], [2, 'long'], [2, 'entity'], [1, 'mixed']]);
      const n = rng.int(4);
      const out = [];
      for (let i = 0; i < n; i++) {
        out.push(genJsonValue(rng, elemKind === 'mixed' ? rng.pick(['string', 'long']) : elemKind,
                              depth + 1));
      }
      return out;
    }
    case 'record': {
      const out = {};
      if (depth > 2) return out;
      for (const k of rng.subset(RECORD_KEYS, 0.6)) {
        out[k] = genJsonValue(rng, rng.pick(['string', 'long', 'bool', 'entity', 'set']),
                              depth + 1);
      }
      return out;
    }
  }
  throw new Error(`unknown kind ${kind}`);
}

function genEntities(rng) {
  const entities = [];
  const addLevelled = (levels) => {
    levels.forEach((level, li) => {
      for (const [type, id] of level) {
        if (!rng.chance(0.85)) continue;  // sometimes missing from the store
        const higher = levels.slice(li + 1).flat();
        const parents = rng.subset(higher, 0.35).map(([t, i]) => uid(t, i));
        const attrs = {};
        if (type !== 'Action') {
          for (const [name, kind] of rng.subset(ATTRS, 0.45)) {
            attrs[name] = genJsonValue(rng, kind, 0);
          }
        }
        entities.push({ uid: uid(type, id), attrs, parents });
      }
    });
  };
  addLevelled(LEVELS);
  addLevelled(ACTION_LEVELS);
  return entities;
}

function genContext(rng) {
  const ctx = {};
  for (const [name, kind] of rng.subset(CONTEXT_KEYS, 0.5)) ctx[name] = genJsonValue(rng, kind, 0);
  return ctx;
}

// --- Expressions: syntax trees and their printer. --------------------------------------------
// Node shapes: {k:'lit', v: <bool|number|string(long decimal)>, t:'bool'|'long'|'string'}
//  {k:'var', name}  {k:'ent', type, id}  {k:'set', elems}  {k:'rec', fields:[[key, expr]]}
//  {k:'attr', e, name, bracket}  {k:'has', e, name}  {k:'call', e, m, arg}
//  {k:'bin', op, l, r}  {k:'not', e}  {k:'neg', e}  {k:'if', c, t, f}  {k:'like', e, pat}
//  {k:'is', e, type, in}  (in: optional expr)
const PREC = { if: 0, '||': 1, '&&': 2, rel: 3, '+': 4, '-': 4, '*': 5, not: 6, member: 7,
               primary: 8 };
const REL_OPS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in']);

function precOf(n) {
  switch (n.k) {
    case 'if': return PREC.if;
    case 'bin': return REL_OPS.has(n.op) ? PREC.rel : PREC[n.op];
    case 'has': case 'like': case 'is': return PREC.rel;
    case 'not': case 'neg': return PREC.not;
    case 'lit': return String(n.v).startsWith('-') ? PREC.not : PREC.primary;  // -5
    case 'attr': case 'call': return PREC.member;
    default: return PREC.primary;
  }
}

// A Cedar string literal for `s`. With `style` (an rng), non-ASCII characters are sometimes
// written as \u{...} escapes.
export function quote(s, style = null) {
  let out = '"';
  for (const ch of s) {
    if (style && ch.codePointAt(0) > 127 && style.chance(0.5)) out += `\\u{${ch.codePointAt(0).toString(16)}}`;
    else if (ch === '\r') out += '\\r';
    else if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out + '"';
}

// A like pattern: the pattern strings above are written in pattern syntax already ("\*" is a
// literal star); only quotes, newlines and tabs need escaping.
function quotePattern(p) {
  return '"' + p.replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t') + '"';
}

function printEntity(type, id) { return `${type}::${quote(id)}`; }

// Prints `n` in a position that needs precedence >= `min`. `extra` adds redundant parentheses.
export function printExpr(n, min = 0, extra = null) {
  let s = printBare(n, extra);
  if (precOf(n) < min || (extra && extra.chance(0.04))) s = `(${s})`;
  return s;
}

function printBare(n, extra) {
  const p = (child, min) => printExpr(child, min, extra);
  switch (n.k) {
    case 'lit':
      if (n.t === 'string') return quote(n.v, extra);
      return String(n.v);
    case 'var': return n.name;
    case 'ent': return printEntity(n.type, n.id);
    case 'set': return `[${n.elems.map((e) => p(e, 0)).join(', ')}]`;
    case 'rec':
      return `{${n.fields.map(([k, v]) => `${IDENT.test(k) && !RESERVED.has(k) ? k : quote(k)}: ${p(v, 0)}`).join(', ')}}`;
    case 'attr':
      return n.bracket || !IDENT.test(n.name) || RESERVED.has(n.name)
          ? `${p(n.e, PREC.member)}[${quote(n.name)}]`
          : `${p(n.e, PREC.member)}.${n.name}`;
    case 'has':
      return `${p(n.e, PREC['+'])} has ${IDENT.test(n.name) && !RESERVED.has(n.name) ? n.name : quote(n.name)}`;
    case 'call': return `${p(n.e, PREC.member)}.${n.m}(${p(n.arg, 0)})`;
    case 'not': return `!${p(n.e, n.e.k === 'not' ? PREC.not : PREC.member)}`;  // !!x is fine
    case 'neg': return `-${p(n.e, PREC.member)}`;
    case 'if': return `if ${p(n.c, 0)} then ${p(n.t, 0)} else ${p(n.f, 0)}`;
    case 'like': return `${p(n.e, PREC['+'])} like ${quotePattern(n.pat)}`;
    case 'is':
      return n.in ? `${p(n.e, PREC['+'])} is ${n.type} in ${p(n.in, PREC['+'])}`
                  : `${p(n.e, PREC['+'])} is ${n.type}`;
    case 'bin': {
      if (REL_OPS.has(n.op)) return `${p(n.l, PREC['+'])} ${n.op} ${p(n.r, PREC['+'])}`;
      const lvl = PREC[n.op];
      return `${p(n.l, lvl)} ${n.op} ${p(n.r, lvl + 1)}`;
    }
  }
  throw new Error(`cannot print ${JSON.stringify(n)}`);
}

// --- Expression generation. ------------------------------------------------------------------
const lit = (t, v) => ({ k: 'lit', t, v });
const v = (name) => ({ k: 'var', name });
const ent = (type, id) => ({ k: 'ent', type, id });
const bin = (op, l, r) => ({ k: 'bin', op, l, r });

function genEntityRef(rng) {
  const [type, id] = rng.pick(ALL_ENTITIES);
  return ent(type, id);
}

// An expression of (usually) type `t`; `d` is the remaining depth.
function genExpr(rng, t, d) {
  // Now and then, a value of another type, so that type errors happen.
  if (rng.chance(0.06)) t = rng.pick(['bool', 'long', 'string', 'entity', 'set', 'record']);
  if (d <= 0) return genLeaf(rng, t);
  switch (t) {
    case 'bool': return genBool(rng, d);
    case 'long': return genLong(rng, d);
    case 'string':
      return rng.weighted([
        [3, () => genLeaf(rng, 'string')],
        [4, () => genAccess(rng, 'string', d)],
        [1, () => genIf(rng, 'string', d)],
      ])();
    case 'entity':
      return rng.weighted([
        [4, () => v(rng.pick(['principal', 'resource', 'action']))],
        [3, () => genEntityRef(rng)],
        [3, () => genAccess(rng, 'entity', d)],
        [1, () => genIf(rng, 'entity', d)],
      ])();
    case 'set':
      return rng.weighted([
        [3, () => genSetLiteral(rng, d)],
        [4, () => genAccess(rng, 'set', d)],
        [1, () => genIf(rng, 'set', d)],
      ])();
    case 'record':
      return rng.weighted([
        [2, () => genRecordLiteral(rng, d)],
        [3, () => v('context')],
        [3, () => genAccess(rng, 'record', d)],
      ])();
  }
  throw new Error(`unknown type ${t}`);
}

function genLeaf(rng, t) {
  switch (t) {
    case 'bool': return lit('bool', rng.chance(0.5));
    case 'long':
      return rng.weighted([[8, () => lit('long', rng.pick(SMALL_LONGS))],
                           [2, () => lit('long', rng.pick(BIG_LONGS))],
                           [1, () => lit('long', rng.pick(NEGATIVE_LONGS))]])();
    case 'string': return lit('string', rng.pick(STRINGS));
    case 'entity':
      return rng.chance(0.5) ? v(rng.pick(['principal', 'resource', 'action'])) : genEntityRef(rng);
    case 'set': return { k: 'set', elems: [] };
    case 'record': return rng.chance(0.5) ? v('context') : { k: 'rec', fields: [] };
  }
  throw new Error(`unknown type ${t}`);
}

// An attribute access that usually yields type `t`: principal.level, resource["x y"],
// context.grant.jurisdiction, principal.owner.name, ...
function genAccess(rng, t, d) {
  const candidates = [];
  for (const [name, kind] of ATTRS) if (kind === t || rng.chance(0.05)) candidates.push(['e', name]);
  for (const [name, kind] of CONTEXT_KEYS) if (kind === t || rng.chance(0.05)) candidates.push(['c', name]);
  if (t !== 'record' && t !== 'entity') {
    for (const k of RECORD_KEYS) if (rng.chance(0.3)) candidates.push(['r', k]);
  }
  if (candidates.length === 0) candidates.push(['e', rng.pick(ATTRS)[0]]);
  const [where, name] = rng.pick(candidates);
  let base;
  if (where === 'e') {
    base = rng.weighted([
      [6, () => v(rng.pick(['principal', 'resource']))],
      [1, () => v('action')],
      [2, () => genEntityRef(rng)],
      [2, () => ({ k: 'attr', e: v(rng.pick(['principal', 'resource', 'context'])),
                   name: rng.pick(['owner', 'manager', 'who']), bracket: false })],
    ])();
  } else if (where === 'c') {
    base = v('context');
  } else {
    base = rng.chance(0.5)
        ? { k: 'attr', e: v(rng.pick(['principal', 'resource'])), name: 'info', bracket: false }
        : { k: 'attr', e: v('context'), name: 'grant', bracket: false };
    if (d > 2 && rng.chance(0.2)) base = genRecordLiteral(rng, d - 1);
  }
  return { k: 'attr', e: base, name, bracket: rng.chance(0.2) };
}

function genIf(rng, t, d) {
  return { k: 'if', c: genExpr(rng, 'bool', d - 1), t: genExpr(rng, t, d - 1),
           f: genExpr(rng, t, d - 1) };
}

function genSetLiteral(rng, d) {
  const elemType = rng.weighted([[3, 'long'], [3, 'string'], [3, 'entity'], [1, 'bool'],
                                 [1, 'set'], [1, 'record']]);
  const n = rng.int(4);
  const elems = [];
  for (let i = 0; i < n; i++) elems.push(genExpr(rng, elemType, Math.min(d - 1, 1)));
  return { k: 'set', elems };
}

function genRecordLiteral(rng, d) {
  const keys = rng.subset([...RECORD_KEYS, 'x y', 'level'], 0.4);
  return { k: 'rec',
           fields: keys.map((key) => [key, genExpr(rng, rng.pick(['long', 'string', 'bool',
                                                                   'entity']), Math.min(d - 1, 1))]) };
}

function genLong(rng, d) {
  return rng.weighted([
    [3, () => genLeaf(rng, 'long')],
    [4, () => genAccess(rng, 'long', d)],
    [3, () => bin(rng.pick(['+', '-', '*']), genExpr(rng, 'long', d - 1), genExpr(rng, 'long', d - 1))],
    // Overflow-prone on purpose.
    [1, () => bin(rng.pick(['+', '*', '-']), genAccess(rng, 'long', d), lit('long', rng.pick(BIG_LONGS)))],
    [1, () => bin('-', bin('-', lit('long', 0), lit('long', '9223372036854775807')),
                 genExpr(rng, 'long', d - 1))],
    [1, () => genIf(rng, 'long', d)],
    [1, () => ({ k: 'neg', e: genExpr(rng, 'long', d - 1) })],
    [1, () => bin('*', lit('long', '-9223372036854775808'), genExpr(rng, 'long', d - 1))],
  ])();
}

// Something that has attribute-like structure: an entity or a record.
function genHasTarget(rng, d) {
  return rng.weighted([
    [5, () => v(rng.pick(['principal', 'resource']))],
    [2, () => v('context')],
    [1, () => v('action')],
    [1, () => genEntityRef(rng)],
    [2, () => genAccess(rng, rng.pick(['entity', 'record']), d)],
  ])();
}

function genBool(rng, d) {
  return rng.weighted([
    [2, () => genLeaf(rng, 'bool')],
    [2, () => genAccess(rng, 'bool', d)],
    // Comparisons.
    [4, () => bin(rng.pick(['<', '<=', '>', '>=']), genExpr(rng, 'long', d - 1), genExpr(rng, 'long', d - 1))],
    [4, () => {
      const t = rng.pick(['long', 'string', 'entity', 'set', 'record', 'bool']);
      return bin(rng.pick(['==', '!=']), genExpr(rng, t, d - 1), genExpr(rng, t, d - 1));
    }],
    // Boolean connectives, sometimes with an erroring right side behind a deciding left side.
    [4, () => bin(rng.pick(['&&', '||']), genExpr(rng, 'bool', d - 1), genExpr(rng, 'bool', d - 1))],
    [2, () => {
      const target = genHasTarget(rng, d - 1);
      const [name, kind] = rng.pick([...ATTRS, ...CONTEXT_KEYS]);
      const use = genUse(rng, { k: 'attr', e: target, name, bracket: rng.chance(0.2) }, kind, d - 1);
      return rng.chance(0.7) ? bin('&&', { k: 'has', e: target, name }, use)
                             : bin('||', { k: 'not', e: { k: 'has', e: target, name } }, use);
    }],
    [1, () => bin(rng.pick(['&&', '||']), lit('bool', rng.chance(0.5)), genExpr(rng, 'bool', d - 1))],
    [2, () => ({ k: 'not', e: genExpr(rng, 'bool', d - 1) })],
    [2, () => ({ k: 'has', e: genHasTarget(rng, d - 1),
                 name: rng.pick([...ATTRS, ...CONTEXT_KEYS, ...RECORD_KEYS.map((k) => [k])])[0] })],
    // Hierarchy and sets.
    [4, () => bin('in', genExpr(rng, 'entity', d - 1),
                 rng.chance(0.7) ? genExpr(rng, 'entity', d - 1)
                                 : { k: 'set', elems: [genEntityRef(rng), genEntityRef(rng)].slice(0, 1 + rng.int(2)) })],
    [2, () => ({ k: 'like', e: genExpr(rng, 'string', d - 1), pat: rng.pick(PATTERNS) })],
    [3, () => ({ k: 'call', e: genExpr(rng, 'set', d - 1), m: 'contains',
                 arg: genExpr(rng, rng.pick(['long', 'string', 'entity']), d - 1) })],
    [2, () => ({ k: 'call', e: genExpr(rng, 'set', d - 1), m: rng.pick(['containsAll', 'containsAny']),
                 arg: genExpr(rng, 'set', d - 1) })],
    [2, () => genIf(rng, 'bool', d)],
    [2, () => ({ k: 'is', e: genExpr(rng, 'entity', d - 1), type: rng.pick(ENTITY_TYPES),
                 in: rng.chance(0.3) ? genExpr(rng, 'entity', d - 1) : undefined })],
  ])();
}

// A boolean use of a value `x` of type `kind` (right side of a has-guard).
function genUse(rng, x, kind, d) {
  switch (kind) {
    case 'long': return bin(rng.pick(['<', '<=', '>', '>=', '==']), x, genExpr(rng, 'long', d));
    case 'string':
      return rng.chance(0.5) ? bin('==', x, genExpr(rng, 'string', d)) : { k: 'like', e: x, pat: rng.pick(PATTERNS) };
    case 'bool': return rng.chance(0.5) ? x : bin('==', x, lit('bool', rng.chance(0.5)));
    case 'set':
      return { k: 'call', e: x, m: rng.pick(['contains', 'containsAny']),
               arg: rng.chance(0.5) ? genExpr(rng, 'string', d) : genSetLiteral(rng, d + 1) };
    case 'entity': return bin(rng.pick(['in', '==']), x, genExpr(rng, 'entity', d));
    case 'record': return { k: 'has', e: x, name: rng.pick(RECORD_KEYS) };
  }
  return bin('==', x, genExpr(rng, 'long', d));
}

// --- Policies. -------------------------------------------------------------------------------
// The ancestors of `u` in `entities` (by "Type::id" key), `u` included.
function ancestors(entities, u) {
  const byKey = new Map(entities.map((e) => [`${e.uid.type}::${e.uid.id}`, e]));
  const out = [];
  const seen = new Set();
  const walk = (x) => {
    const key = `${x.type}::${x.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(x);
    for (const p of byKey.get(key)?.parents ?? []) walk(p);
  };
  walk(u);
  return out;
}

// Scope entities lean towards the request's own entity and its ancestors, so that scopes match
// often enough for conditions to be evaluated.
function genScopeEntity(rng, role, near) {
  if (near && rng.chance(0.6)) return rng.pick(near);
  const pool = role === 'principal'
      ? [...LEVELS[0].filter(([t]) => t === 'User' || t === 'Service'), ...LEVELS[1], ...LEVELS[2],
         ['User', 'ghost']]
      : [...LEVELS[0].filter(([t]) => t === 'Record'), ...LEVELS[1], ...LEVELS[2]];
  const [type, id] = rng.pick(pool);
  return { type, id };
}

function genScope(rng, role, near) {
  const kind = rng.weighted([[5, 'any'], [2, '=='], [3, 'in'], [2, 'is'], [1, 'is in']]);
  switch (kind) {
    case 'any': return { kind };
    case '==': return { kind, entity: genScopeEntity(rng, role, near.slice(0, 1)) };
    case 'in': return { kind, entity: genScopeEntity(rng, role, near) };
    case 'is': case 'is in': {
      const types = role === 'principal' ? ['User', 'Service', 'Group'] : ['Record', 'Folder', 'User'];
      const type = rng.chance(0.5) ? near[0].type : rng.pick(types);
      return { kind, type, entity: kind === 'is in' ? genScopeEntity(rng, role, near) : undefined };
    }
  }
  throw new Error('unreachable');
}

function genActionScope(rng, near) {
  const kind = rng.weighted([[5, 'any'], [3, '=='], [3, 'in']]);
  const actions = [...ACTIONS, ...ACTION_GROUPS];
  if (kind === 'any') return { kind };
  if (kind === '==') return { kind, ids: [rng.chance(0.5) ? near[0].id : rng.pick(actions)] };
  const ids = [...new Set([...rng.subset(actions, 0.3), ...rng.subset(near.map((u) => u.id), 0.4)])];
  if (ids.length === 0) ids.push(rng.pick(actions));
  return { kind, ids };
}

function genPolicy(rng, index, usedIds, near) {
  const policy = {
    effect: rng.chance(0.7) ? 'permit' : 'forbid',
    principal: genScope(rng, 'principal', near.principal),
    action: genActionScope(rng, near.action),
    resource: genScope(rng, 'resource', near.resource),
    conditions: [],
  };
  if (rng.chance(0.3)) {
    let id;
    do {
      id = rng.pick(['p', 'allow reads', 'deny-abroad', 'x.y', 'admin', 'é']) + '-' + index;
    } while (usedIds.has(id));
    usedIds.add(id);
    policy.id = id;
  }
  const nConds = rng.weighted([[3, 0], [5, 1], [2, 2], [1, 3]]);
  for (let i = 0; i < nConds; i++) {
    policy.conditions.push({ kind: rng.chance(0.75) ? 'when' : 'unless',
                             expr: genExpr(rng, 'bool', 1 + rng.int(4)) });
  }
  return policy;
}

function printScope(role, s) {
  switch (s.kind) {
    case 'any': return role;
    case '==': return `${role} == ${printEntity(s.entity.type, s.entity.id)}`;
    case 'in': return `${role} in ${printEntity(s.entity.type, s.entity.id)}`;
    case 'is': return `${role} is ${s.type}`;
    case 'is in': return `${role} is ${s.type} in ${printEntity(s.entity.type, s.entity.id)}`;
  }
  throw new Error('unreachable');
}

function printActionScope(s) {
  switch (s.kind) {
    case 'any': return 'action';
    case '==': return `action == Action::${quote(s.ids[0])}`;
    case 'in': return `action in [${s.ids.map((id) => `Action::${quote(id)}`).join(', ')}]`;
  }
  throw new Error('unreachable');
}

// The text of one policy. `style` (an rng or null) varies layout: line breaks, comments,
// redundant parentheses.
export function printPolicy(p, style = null) {
  const nl = style && style.chance(0.3) ? '\n  ' : ' ';
  let s = '';
  if (p.id !== undefined) s += `@id(${quote(p.id)})${style && style.chance(0.5) ? '\n' : ' '}`;
  if (style && style.chance(0.05)) s += '// a comment\n';
  s += `${p.effect}(${printScope('principal', p.principal)},${nl}${printActionScope(p.action)},${nl}${printScope('resource', p.resource)})`;
  for (const c of p.conditions) s += `${nl}${c.kind} { ${printExpr(c.expr, 0, style)} }`;
  return s + ';';
}

// A whole random case, structured.
export function generateCase(rng) {
  const entities = genEntities(rng);
  const p = rng.pick([...USERS, ...SERVICES, 'ghost']);
  const principal = uid(p === 'svc' ? 'Service' : 'User', p);
  const action = uid('Action', rng.pick(ACTIONS));
  const resource = rng.chance(0.85) ? uid('Record', rng.pick(RECORDS)) : uid('Folder', rng.pick(FOLDERS));
  const near = { principal: ancestors(entities, principal), action: ancestors(entities, action),
                 resource: ancestors(entities, resource) };
  const n = rng.weighted([[1, 0], [4, 1], [5, 2], [4, 3], [3, 5], [1, 8]]);
  const usedIds = new Set();
  const policies = [];
  for (let i = 0; i < n; i++) policies.push(genPolicy(rng, i, usedIds, near));
  return {
    policies, entities, principal, action, resource,
    context: genContext(rng),
    styleSeed: rng.int(2 ** 31),
  };
}

// The plain form both engines read: policy texts with their ids (the @id annotation, else
// "policy<N>" by position, as Cedar and src/policy number them), entities, request.
export function render(c) {
  const style = c.styleSeed == null ? null : makeRng(c.styleSeed);
  const texts = c.policies.map((p) => printPolicy(p, style));
  return {
    policy_ids: c.policies.map((p, i) => p.id ?? `policy${i}`),
    policies: texts,
    entities: c.entities,
    principal: c.principal,
    action: c.action,
    resource: c.resource,
    context: c.context,
  };
}
