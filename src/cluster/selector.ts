// Label selectors for BGP peer objects: the subset of Calico's selector syntax that peer
// objects need. A selector is one or more terms joined by `&&`:
//
//   all()              every node
//   has(key)           the label is present (any value)
//   !has(key)          the label is absent
//   key == 'value'     the label is present with this value
//   key != 'value'     the label is absent or has another value (Calico's meaning)
//
// Values are quoted with ' or " (no escapes). `||`, parentheses, `in` and the string
// operators of Calico's full grammar are not supported and are rejected with the position.

export type SelectorTerm =
  | { readonly kind: 'all' }
  | { readonly kind: 'has'; readonly key: string }
  | { readonly kind: 'not-has'; readonly key: string }
  | { readonly kind: 'eq'; readonly key: string; readonly value: string }
  | { readonly kind: 'ne'; readonly key: string; readonly value: string };

export interface Selector {
  /** The selector as written (trimmed). */
  readonly text: string;
  /** All must hold. */
  readonly terms: readonly SelectorTerm[];
}

export class InvalidSelectorError extends Error {
  override readonly name = 'InvalidSelectorError';
  readonly code = 'invalid-selector';
  constructor(
    readonly input: string,
    /** 0-based character offset where parsing failed. */
    readonly position: number,
    readonly why: string,
  ) {
    super(`invalid selector "${input}" at character ${position + 1}: ${why}`);
  }
}

/** Label keys: Kubernetes' shape (optional DNS prefix and "/"), loosely. */
const KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?/;

export function parseSelector(input: string): Selector {
  const text = input.trim();
  const terms: SelectorTerm[] = [];
  let pos = 0;
  const fail = (why: string): never => {
    throw new InvalidSelectorError(text, pos, why);
  };
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const eat = (token: string): boolean => {
    if (text.startsWith(token, pos)) {
      pos += token.length;
      return true;
    }
    return false;
  };
  const key = (): string => {
    const m = KEY.exec(text.slice(pos));
    if (m === null) return fail('expected a label key');
    pos += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    const q = text[pos];
    if (q !== "'" && q !== '"') return fail(`expected a quoted value ('value')`);
    const end = text.indexOf(q, pos + 1);
    if (end < 0) return fail('unterminated quoted value');
    const value = text.slice(pos + 1, end);
    pos = end + 1;
    return value;
  };
  const call = (name: string): string => {
    skipSpace();
    if (!eat('(')) fail(`expected "(" after ${name}`);
    skipSpace();
    const k = key();
    skipSpace();
    if (!eat(')')) fail(`expected ")" to close ${name}(`);
    return k;
  };

  if (text === '') fail('empty selector (use all() to select every node)');
  for (;;) {
    skipSpace();
    const rest = text.slice(pos);
    if (/^all\s*\(\s*\)/.test(rest)) {
      pos += /^all\s*\(\s*\)/.exec(rest)![0].length;
      terms.push({ kind: 'all' });
    } else if (/^!\s*has\s*\(/.test(rest)) {
      pos += /^!\s*has/.exec(rest)![0].length;
      terms.push({ kind: 'not-has', key: call('!has') });
    } else if (/^has\s*\(/.test(rest)) {
      pos += 3;
      terms.push({ kind: 'has', key: call('has') });
    } else {
      const k = key();
      skipSpace();
      if (eat('==')) {
        skipSpace();
        terms.push({ kind: 'eq', key: k, value: quoted() });
      } else if (eat('!=')) {
        skipSpace();
        terms.push({ kind: 'ne', key: k, value: quoted() });
      } else {
        fail(`expected == or != after label key "${k}"`);
      }
    }
    skipSpace();
    if (pos === text.length) break;
    if (eat('&&')) continue;
    if (text.startsWith('||', pos)) fail('"||" is not supported (only && joins terms)');
    fail('expected && or the end of the selector');
  }
  return { text, terms };
}

export type Labels = Readonly<Record<string, string>>;

export function selectorMatches(sel: Selector, labels: Labels): boolean {
  return sel.terms.every((t) => termMatches(t, labels));
}

function termMatches(t: SelectorTerm, labels: Labels): boolean {
  switch (t.kind) {
    case 'all':
      return true;
    case 'has':
      return Object.hasOwn(labels, t.key);
    case 'not-has':
      return !Object.hasOwn(labels, t.key);
    case 'eq':
      return Object.hasOwn(labels, t.key) && labels[t.key] === t.value;
    case 'ne':
      return !Object.hasOwn(labels, t.key) || labels[t.key] !== t.value;
  }
}

/** The selector in canonical spelling (what is stored). */
export function formatSelector(sel: Selector): string {
  return sel.terms
    .map((t) => {
      switch (t.kind) {
        case 'all':
          return 'all()';
        case 'has':
          return `has(${t.key})`;
        case 'not-has':
          return `!has(${t.key})`;
        case 'eq':
          return `${t.key} == ${quote(t.value)}`;
        case 'ne':
          return `${t.key} != ${quote(t.value)}`;
      }
    })
    .join(' && ');
}

function quote(v: string): string {
  return v.includes("'") ? `"${v}"` : `'${v}'`;
}
