import fc from 'fast-check';

/**
 * fast-check arbitraries for hostile inputs. Three families:
 * - shapeless: any JSON value, objects with random keys, deep nesting, huge values;
 * - the input's own keys with values of the wrong type;
 * - values shaped like the zod schema (right keys, right types) but with nasty contents, so
 *   they get past validation and reach the procedure, its SQL and its stores.
 * Plus raw bodies JSON cannot express as values (NaN, 1e309, broken JSON, `__proto__` keys).
 */

/** encodeURIComponent throws on a lone surrogate, which no URL can carry anyway. */
export const uriSafe = (text: string) =>
  encodeURIComponent(
    text.replace(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    ),
  );

/** Ids and URLs worth trying besides random ones: the caller's own rows, a local fake vendor. */
export type Pools = { uuids: string[]; urls: string[] };

/** Strings that trip naive code: NUL, control characters, markup, SQL, paths, bidi, surrogates. */
const NASTY = [
  '\u0000',
  'a\u0000b',
  '\u0001\u0007\u001b[31mred',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'; drop table users; --",
  "' or '1'='1",
  '../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '\u202egnp.exe',
  '\ud800',
  '\udfff\ud800x',
  '🧨💥👩‍👩‍👧',
  'e\u0301\u0301\u0301',
  '\r\nX-Injected: 1',
  '%00%2e%2e%2f',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, literally
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '',
  ' ',
  '\t\n',
  '\ufeff',
  '\u0085\u2028\u2029',
  '=cmd|" /C calc"!A0',
  'x'.repeat(64),
];

const EDGE_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  1e308,
  -1e308,
  5e-324,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
];

/** A string of n copies of one character: up to ~100 KB (NUL at most 50 000: six bytes in JSON). */
export const hugeString = () =>
  fc
    .tuple(
      fc.constantFrom('a', 'é', '\u0000', '🧨', '<', ' '),
      fc.integer({ min: 1_000, max: 100_000 }),
    )
    .map(([c, n]) => c.repeat(c === '\u0000' || c === '🧨' ? Math.min(n, 50_000) : n));

export const nastyString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.string({ maxLength: 10 }),
          fc.constantFrom(...NASTY),
          fc.string({ maxLength: 10 }),
        )
        .map((parts) => parts.join('')),
    },
    // At the limit and one past it, with a NUL at the end.
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'm'.repeat(maxLength),
        'm'.repeat(maxLength + 1),
        `${'m'.repeat(Math.max(0, maxLength - 1))}\u0000`,
      ),
    },
    { weight: 1, arbitrary: hugeString() },
  );

/**
 * A string a validator would probably accept (non-empty, within the limit), often with
 * something nasty inside: these get past validation and into the procedure.
 */
export const plausibleString = (maxLength = 64): fc.Arbitrary<string> => {
  const max = Math.max(1, Math.min(maxLength, 40));
  const inside = NASTY.filter((n) => n.trim() && !n.includes('\u0000') && n.length <= max);
  return fc.oneof(
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: max }),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }),
    fc.constantFrom(...inside),
    fc
      .tuple(fc.constantFrom('a', 'Name '), fc.constantFrom(...inside))
      .map((parts) => parts.join('').slice(0, max)),
  );
};

/**
 * Values for fields whose name says what they hold (no zod type can): origins, colours,
 * language tags, file names. Valid ones and look-alikes an attacker would try.
 */
const HINTS: [RegExp, string[] | fc.Arbitrary<string>][] = [
  [
    /origin/i,
    [
      'https://shop.example.com',
      'http://localhost:3000',
      'https://*.example.com',
      '*',
      'null',
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'https://example.com/path?q=1',
      'https://user:pass@example.com',
      'https://exa mple.com',
      'https://例え.jp',
    ],
  ],
  [/colou?r/i, ['#1a2b3c', '#FFFFFF', 'red', '#fff', 'url(javascript:alert(1))', '#1a2b3c;x']],
  [/language|locale/i, ['en', 'pt-BR', 'zh-Hant', 'xx-invalid-tag-here', 'en-US-u-ca-buddhist']],
  [
    /fileName/i,
    [
      'notes.md',
      'a.txt',
      '../../etc/passwd',
      '..\\..\\boot.ini',
      '/etc/passwd',
      'CON',
      '.htaccess',
      'x.md.exe',
      'evil.html',
      '<img src=x onerror=alert(1)>.md',
    ],
  ],
  [
    /domain/i,
    [
      'example.com',
      'EXAMPLE.com',
      'localhost',
      '*.example.com',
      'xn--e1afmkfd.xn--p1ai',
      '..',
      'a'.repeat(300),
    ],
  ],
];
HINTS.push([/password/i, fc.string({ unit: 'grapheme-ascii', minLength: 16, maxLength: 40 })]);
/** Cursors forged in the shapes this API issues: `<time>|<id>`, as is or base64url, or JSON. */
const base64url = (text: string) => Buffer.from(text).toString('base64url');
const forgedTime = fc.constantFrom(
  '2024-01-01T00:00:00.000000Z',
  '0000-01-01T00:00:00.000000Z',
  '9999-12-31T23:59:59.999999Z',
  '2024-02-30T00:00:00.000000Z',
  'not a time',
);
const forgedId = fc.oneof(
  fc.uuid({ version: 4 }),
  fc.constantFrom('nope', "' or 1=1 --", '\u0000'),
);
HINTS.push([
  /cursor/i,
  fc.oneof(
    fc.tuple(forgedTime, forgedId).map(([at, id]) => `${at}|${id}`),
    fc.tuple(forgedTime, forgedId).map(([at, id]) => base64url(`${at}|${id}`)),
    fc
      .tuple(forgedTime, forgedId, fc.jsonValue({ maxDepth: 1 }))
      .map(([at, id, extra]) => base64url(JSON.stringify({ at, id, offset: extra }))),
    fc.jsonValue({ maxDepth: 2 }).map((v) => base64url(JSON.stringify(v) ?? '')),
  ),
]);
const hinted = (key: string | undefined): fc.Arbitrary<string> | undefined => {
  const hint = HINTS.find(([re]) => key && re.test(key))?.[1];
  return Array.isArray(hint) ? fc.constantFrom(...hint) : hint;
};

const edgeNumber = () =>
  fc.oneof(
    fc.constantFrom(...EDGE_NUMBERS),
    fc.integer(),
    // NaN and ±Infinity become null in JSON; the raw bodies below send them as they are.
    fc.double(),
  );

/** Nested `depth` levels of arrays or objects around a leaf. */
const nest = (depth: number, leaf: unknown, asObject: boolean): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asObject ? { a: value } : [value];
  return value;
};
export const deepValue = () =>
  fc
    .tuple(fc.integer({ min: 50, max: 3_000 }), fc.boolean())
    .map(([depth, asObject]) => nest(depth, 'deep', asObject));

type Def = {
  type: string;
  format?: string;
  checks?: { _zod: { def: { check: string; maximum?: number; value?: number } } }[];
  shape?: Record<string, unknown>;
  element?: unknown;
  innerType?: unknown;
  in?: unknown;
  options?: unknown[];
  entries?: Record<string, string>;
  values?: unknown[];
  keyType?: unknown;
  valueType?: unknown;
  getter?: () => unknown;
};
const defOf = (schema: unknown): Def | undefined =>
  (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;

const maxOf = (def: Def): number | undefined =>
  def.checks?.map((c) => c._zod.def).find((c) => c.check === 'max_length')?.maximum;
const boundsOf = (def: Def) => {
  const checks = def.checks?.map((c) => c._zod.def) ?? [];
  return {
    min: checks.find((c) => c.check === 'greater_than')?.value,
    max: checks.find((c) => c.check === 'less_than')?.value,
  };
};

const OPTIONAL = new Set(['optional', 'default', 'prefault']);
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);

/** The keys of an input object schema, through defaults, refinements and pipes. */
export function keysOf(schema: unknown): string[] {
  let def = defOf(schema);
  for (let i = 0; def && i < 10; i++) {
    if (def.type === 'object') return Object.keys(def.shape ?? {});
    def = defOf(def.innerType ?? def.in);
  }
  return [];
}

/** Dates around now (the fuzzer wants valid ones too; years past 9999 print as +010000). */
const someDate = () =>
  fc.date({ noInvalidDate: true, min: new Date('1970-01-01'), max: new Date('2100-01-01') });

function stringLike(def: Def, pools: Pools, key: string | undefined): fc.Arbitrary<string> {
  const nasty = nastyString(maxOf(def) ?? 64);
  const hints = hinted(key);
  switch (def.format) {
    case 'uuid':
    case 'guid':
      return fc.oneof(
        { weight: 3, arbitrary: fc.uuid({ version: [4, 7] }) },
        ...(pools.uuids.length ? [{ weight: 4, arbitrary: fc.constantFrom(...pools.uuids) }] : []),
        { weight: 1, arbitrary: nasty },
      );
    case 'email':
      return fc.oneof(
        {
          weight: 3,
          arbitrary: fc.stringMatching(/^[a-z0-9]{1,20}$/).map((s) => `fuzz-${s}@example.com`),
        },
        fc.emailAddress(),
        nasty.map((s) => `${s}@example.com`),
        nasty,
      );
    case 'url':
      return fc.oneof(
        ...(pools.urls.length ? [fc.constantFrom(...pools.urls)] : []),
        nasty.map((s) => `http://127.0.0.1:9/${uriSafe(s)}`),
        fc.constantFrom('javascript:alert(1)', 'file:///etc/passwd', 'http://', 'http://[::1'),
        nasty,
      );
    case 'date':
      return fc.oneof(
        someDate().map((d) => d.toISOString().slice(0, 10)),
        fc.constantFrom('2024-02-30', '0000-01-01', '9999-12-31', '2024-13-01', '1970-01-01'),
        nasty,
      );
    case 'datetime':
      return fc.oneof(
        someDate().map((d) => d.toISOString()),
        fc.constantFrom(
          '2024-02-30T00:00:00Z',
          '9999-12-31T23:59:59Z',
          '0000-01-01T00:00:00+14:00',
        ),
        nasty,
      );
    case 'base64':
      return fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
        fc
          .tuple(fc.constantFrom(...NASTY), fc.string({ maxLength: 20 }))
          .map((p) => Buffer.from(p.join('')).toString('base64')),
        fc.constantFrom('', '====', 'AA', Buffer.from('\u0000'.repeat(64)).toString('base64')),
        nasty,
      );
    default:
      return fc.oneof(
        { weight: 1, arbitrary: nasty },
        { weight: 4, arbitrary: plausibleString(maxOf(def)) },
        ...(hints ? [{ weight: 4, arbitrary: hints }] : []),
      );
  }
}

function numberLike(def: Def): fc.Arbitrary<number> {
  const { min, max } = boundsOf(def);
  const inRange =
    min !== undefined && max !== undefined && max - min < 1e15
      ? [fc.integer({ min: Math.ceil(min), max: Math.floor(max) })]
      : [];
  return fc.oneof(...inRange, edgeNumber(), ...inRange);
}

/**
 * Values shaped like a zod schema, with hostile contents; now and then (1 in 20) a leaf of
 * the wrong type, so validation errors deep inside the input are reached too.
 */
export function fromSchema(
  schema: unknown,
  pools: Pools,
  depth = 0,
  key?: string,
): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (!def || depth > 8) return fc.jsonValue({ maxDepth: 2 });
  const shaped = shapedFor(def, pools, depth, key);
  return fc.oneof(
    { weight: 19, arbitrary: shaped },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

function shapedFor(def: Def, pools: Pools, depth: number, key?: string): fc.Arbitrary<unknown> {
  const inner = (s: unknown, name = key) => fromSchema(s, pools, depth + 1, name);
  if (WRAPPERS.has(def.type)) {
    const arb = inner(def.innerType);
    return def.type === 'optional' ? fc.option(arb, { nil: undefined, freq: 4 }) : arb;
  }
  switch (def.type) {
    case 'string':
      return stringLike(def, pools, key);
    case 'number':
    case 'int':
      return numberLike(def);
    case 'boolean':
      return fc.boolean();
    case 'enum': {
      const values = Object.values(def.entries ?? {});
      return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values) }, nastyString());
    }
    case 'literal':
      return fc.constantFrom(...(def.values ?? [null]));
    case 'nullable':
      return fc.option(inner(def.innerType), { nil: null, freq: 4 });
    case 'pipe':
      return inner(def.in);
    case 'lazy':
      return inner(def.getter?.());
    case 'union':
      return fc.oneof(...(def.options ?? []).map((option) => inner(option)));
    case 'array': {
      const max = maxOf(def) ?? 5;
      return fc.oneof(
        { weight: 4, arbitrary: fc.array(inner(def.element), { maxLength: Math.min(max, 5) }) },
        {
          weight: 1,
          arbitrary: fc.array(inner(def.element), { minLength: max + 1, maxLength: max + 1 }),
        },
      );
    }
    case 'record':
      return fc.dictionary(plausibleString(20), inner(def.valueType), { maxKeys: 5 });
    case 'object': {
      const shape = def.shape ?? {};
      const record = Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, inner(s, k)]));
      const required = Object.entries(shape)
        .filter(([, s]) => !OPTIONAL.has(defOf(s)?.type ?? ''))
        .map(([k]) => k);
      return fc.oneof(
        { weight: 4, arbitrary: fc.record(record, { requiredKeys: required }) },
        { weight: 1, arbitrary: fc.record(record, { requiredKeys: [] }) },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/**
 * Inputs for one procedure: shapeless values, its real keys with wrong types, huge and deep
 * values under its keys, and schema-shaped values (the most, since they reach the code).
 */
export function inputFor(parser: unknown, pools: Pools): fc.Arbitrary<unknown> {
  const keys = keysOf(parser);
  const anyKey = keys.length ? fc.constantFrom(...keys) : fc.string({ maxLength: 10 });
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    {
      weight: 2,
      arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 6,
      }),
    },
    ...(keys.length
      ? [
          {
            weight: 2,
            arbitrary: fc.record(
              Object.fromEntries(keys.map((k) => [k, fc.jsonValue({ maxDepth: 3 })])),
              { requiredKeys: [] },
            ),
          },
        ]
      : []),
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          anyKey,
          fc.oneof(
            deepValue(),
            hugeString(),
            fc.array(fc.constant('x'), { minLength: 1_000, maxLength: 20_000 }),
          ),
        )
        .map(([k, v]) => ({ [k]: v })),
    },
    ...(parser ? [{ weight: 8, arbitrary: fromSchema(parser, pools) }] : []),
  );
}

/** Raw values JSON.stringify cannot produce (or produces differently). */
const RAW_TOKENS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '-0',
  '1e308',
  '5e-324',
  '01',
  '+1',
  '.5',
  '0x1F',
  'undefined',
  '"\\u0000"',
  '"\\ud800"',
  '"\\udfff\\ud800"',
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '[]',
  '{}',
  'null',
];

/** Raw request bodies (or `input` query values): broken JSON, raw tokens, polluting keys. */
export function rawFor(parser: unknown): fc.Arbitrary<string> {
  const keys = [...keysOf(parser), '__proto__', 'constructor', 'prototype'];
  const token = fc.constantFrom(...RAW_TOKENS);
  return fc.oneof(
    fc.constantFrom(
      ...RAW_TOKENS,
      '',
      ' ',
      '{',
      '{"a":',
      '[1,]',
      '{"a":1,}',
      "{'a':1}",
      '\ufeff{}',
      '{"a":1}{"b":2}',
      '{"a":1,"a":2}',
      '{"json":{"x":1},"meta":{"values":{"x":["Date"]}}}',
      '['.repeat(100_000),
      `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
    ),
    fc.tuple(fc.constantFrom(...keys), token).map(([k, t]) => `{"${k}":${t}}`),
    fc
      .tuple(fc.subarray(keys, { minLength: 1 }), token)
      .map(([ks, t]) => `{${ks.map((k) => `"${k}":${t}`).join(',')}}`),
  );
}

/** Invalid UTF-8 inside a JSON string: a body no text encoder would make. */
export const invalidUtf8 = (key: string) =>
  Buffer.concat([
    Buffer.from(`{"${key}":"`),
    Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
    Buffer.from('"}'),
  ]);
