// Interface patterns in shell (fnmatch) syntax, as DESIGN.md decides: `*` any run of characters, `?` one
// character, `[abc]`, `[a-z]`, `[!a-z]` (also `[^a-z]`) one character of a set. As in Python's fnmatch
// there is no backslash escape (`[*]` matches a literal star), and a `[` without its `]` is a literal
// to the matcher; the config refuses such a pattern (interfacePatternProblem), a typo far more often than not.
// Linux interface names cannot hold '/', so there is no path-separator rule.

type Token =
  | { readonly kind: 'char'; readonly char: string }
  | { readonly kind: 'any' }
  | { readonly kind: 'star' }
  | {
      readonly kind: 'set';
      readonly negate: boolean;
      readonly ranges: readonly (readonly [number, number])[];
    };

function compile(pattern: string): Token[] {
  const chars = Array.from(pattern);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '[') {
      const set = compileSet(chars, i);
      if (set === undefined) tokens.push({ kind: 'char', char: c });
      else {
        tokens.push(set.token);
        i = set.end;
      }
    } else tokens.push({ kind: 'char', char: c });
  }
  return tokens;
}

/** The set starting at chars[open] === '[', or undefined when it has no closing ']'. */
function compileSet(chars: readonly string[], open: number): { token: Token; end: number } | undefined {
  let j = open + 1;
  const negate = chars[j] === '!' || chars[j] === '^';
  if (negate) j++;
  const first = j;
  if (chars[j] === ']') j++; // a ']' first in the set is a member, not the end
  while (j < chars.length && chars[j] !== ']') j++;
  if (j >= chars.length) return undefined;
  const members = chars.slice(first, j);
  const ranges: [number, number][] = [];
  for (let k = 0; k < members.length; k++) {
    const lo = members[k]!.codePointAt(0)!;
    if (members[k + 1] === '-' && k + 2 < members.length) {
      // A reversed range such as z-a matches nothing, as in fnmatch.
      ranges.push([lo, members[k + 2]!.codePointAt(0)!]);
      k += 2;
    } else ranges.push([lo, lo]);
  }
  return { token: { kind: 'set', negate, ranges }, end: j };
}

function matchesOne(token: Token, char: string): boolean {
  switch (token.kind) {
    case 'char':
      return token.char === char;
    case 'any':
      return true;
    case 'set': {
      const cp = char.codePointAt(0)!;
      return token.ranges.some(([lo, hi]) => cp >= lo && cp <= hi) !== token.negate;
    }
    case 'star':
      return false;
  }
}

/** Greedy match with backtracking to the last star: linear in practice, never exponential. */
function matchTokens(tokens: readonly Token[], name: string): boolean {
  const chars = Array.from(name);
  let t = 0;
  let c = 0;
  let starT = -1;
  let starC = 0;
  while (c < chars.length) {
    const token = tokens[t];
    if (token !== undefined && token.kind === 'star') {
      starT = t++;
      starC = c;
    } else if (token !== undefined && matchesOne(token, chars[c]!)) {
      t++;
      c++;
    } else if (starT >= 0) {
      t = starT + 1;
      c = ++starC;
    } else return false;
  }
  while (tokens[t]?.kind === 'star') t++;
  return t === tokens.length;
}

/** Whether a pattern holds a wildcard (`*`, `?` or a complete `[...]` set); otherwise it is an exact name. */
export function isGlob(pattern: string): boolean {
  return compile(pattern).some((token) => token.kind !== 'char');
}

/** Fnmatch-style matcher for interface names (*, ?, [abc], [!a-z]); exact names match only themselves. */
export function interfaceMatcher(pattern: string): (name: string) => boolean {
  const tokens = compile(pattern);
  if (tokens.every((token) => token.kind === 'char')) return (name) => name === pattern;
  return (name) => matchTokens(tokens, name);
}

/**
 * Index of the first '[' that opens no complete set, or undefined. fnmatch would match it literally, but
 * in a config it is almost always a typo of a set: a pattern like "[[[[" is rejected at load.
 */
function unclosedSet(pattern: string): number | undefined {
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] !== '[') continue;
    const set = compileSet(chars, i);
    if (set === undefined) return i;
    i = set.end;
  }
  return undefined;
}

/** Longest interface name Linux accepts: IFNAMSIZ (16) less the terminating NUL. */
export const MAX_INTERFACE_NAME_BYTES = 15;

/**
 * Why a pattern can never name a Linux interface (the kernel's dev_valid_name rules), or undefined when it
 * can. Exact names are held to the length limit; a glob only when even its shortest match is too long.
 */
export function interfacePatternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'an interface name cannot be empty';
  if (pattern.includes('/')) return `"${pattern}": interface names cannot contain '/'`;
  if (/\s/u.test(pattern)) return `"${pattern}": interface names cannot contain whitespace`;
  if (pattern.includes(':'))
    return `"${pattern}": interface names cannot contain ':' (eth0:1-style labels name addresses, not interfaces)`;
  const open = unclosedSet(pattern);
  if (open !== undefined)
    return (
      `"${pattern}": the '[' at position ${open + 1} opens a set that is never closed with ']' ` +
      `(to match a literal '[', write "[[]")`
    );
  const tokens = compile(pattern);
  if (tokens.every((token) => token.kind === 'char')) {
    if (pattern === '.' || pattern === '..') return `"${pattern}" is not a valid interface name`;
    const bytes = Buffer.byteLength(pattern, 'utf8');
    if (bytes > MAX_INTERFACE_NAME_BYTES)
      return `"${pattern}" is ${bytes} bytes long; Linux interface names have at most ${MAX_INTERFACE_NAME_BYTES} (IFNAMSIZ)`;
    return undefined;
  }
  const shortest = tokens.filter((token) => token.kind !== 'star').length;
  if (shortest > MAX_INTERFACE_NAME_BYTES)
    return `"${pattern}" can never match: it needs at least ${shortest} characters and Linux interface names have at most ${MAX_INTERFACE_NAME_BYTES}`;
  return undefined;
}
