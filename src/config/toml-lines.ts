// Where each key of a TOML document is written. smol-toml returns plain values without positions, and a
// problem that says "vrfs[1].config.rd" is found faster when it also says "line 14". This is a light
// structural scan, run only on text smol-toml has already accepted: it follows table headers ([a.b] and
// [[a.b]], counting array-of-tables elements the way TOML does), `key = value` lines (dotted and quoted
// keys too), arrays and inline tables, and skips over strings so that their contents are never taken
// for keys.
import { formatPath, type KeyPath, type PathSegment } from './path.js';

/** Line numbers (1-based) of the keys, headers and array elements of one document. */
export class KeyLines {
  private readonly lines = new Map<string, number>();

  /** Records the first place a path is written; TOML defines each key once, tables may reopen. */
  set(path: KeyPath, line: number): void {
    const key = formatPath(path);
    if (!this.lines.has(key)) this.lines.set(key, line);
  }

  /** The line of `path`, else of its nearest written ancestor (a key inside an inline value, say). */
  lineOf(path: KeyPath): number | undefined {
    for (let n = path.length; n > 0; n--) {
      const line = this.lines.get(formatPath(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return undefined;
  }
}

/** Scans a document that smol-toml has parsed without error. Never throws on odd input: it gives up. */
export function scanKeyLines(text: string): KeyLines {
  const out = new KeyLines();
  try {
    new Scanner(text, out).document();
  } catch (err) {
    // A scan that loses its way costs line numbers, not the config: keep what was found.
    if (!(err instanceof ScanLost)) throw err;
  }
  return out;
}

class ScanLost extends Error {}

const BARE_CHAR = /[A-Za-z0-9_-]/;

class Scanner {
  private pos = 0;
  private line = 1;
  /** Elements seen so far of each array of tables, by its resolved path ("neighbors[0].afi-safis"). */
  private readonly arrayCounts = new Map<string, number>();

  constructor(
    private readonly s: string,
    private readonly out: KeyLines,
  ) {}

  document(): void {
    let table: PathSegment[] = [];
    for (;;) {
      this.skipSpace(true);
      if (this.pos >= this.s.length) return;
      if (this.s[this.pos] === '[') table = this.header();
      else {
        const keyLine = this.line;
        const keys = this.key();
        this.expect('=');
        const path = [...table, ...keys];
        this.recordDotted(table, keys, keyLine);
        this.value(path);
      }
      this.skipToLineEnd();
    }
  }

  /** Parses `[a.b]` or `[[a.b]]` and returns the resolved path of the table it opens. */
  private header(): PathSegment[] {
    const line = this.line;
    this.pos++;
    const isArray = this.s[this.pos] === '[';
    if (isArray) this.pos++;
    const keys = this.key();
    this.expect(']');
    if (isArray) this.expect(']');
    const resolved: PathSegment[] = [];
    keys.forEach((key, i) => {
      resolved.push(key);
      const arrayKey = formatPath(resolved);
      if (isArray && i === keys.length - 1) {
        const count = (this.arrayCounts.get(arrayKey) ?? 0) + 1;
        this.arrayCounts.set(arrayKey, count);
        this.out.set(resolved, line);
        resolved.push(count - 1);
      } else {
        // [vrfs.config] after [[vrfs]] means the last vrfs element, as in TOML itself.
        const count = this.arrayCounts.get(arrayKey);
        if (count !== undefined) resolved.push(count - 1);
      }
    });
    // [global.config] alone also opens `global`: give ancestors written nowhere else this line.
    for (let n = 1; n <= resolved.length; n++) this.out.set(resolved.slice(0, n), line);
    return resolved;
  }

  /** `a.b.c = 1` defines a and a.b too: give them this line when they have none yet. */
  private recordDotted(table: readonly PathSegment[], keys: readonly string[], line: number): void {
    for (let n = 1; n <= keys.length; n++) this.out.set([...table, ...keys.slice(0, n)], line);
  }

  /** A dotted key: bare, "basic" or 'literal' parts separated by dots. */
  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpace(false);
      const c = this.s[this.pos];
      if (c === '"') parts.push(decodeBasic(this.basicString()));
      else if (c === "'") parts.push(this.literalString());
      else {
        const start = this.pos;
        while (this.pos < this.s.length && BARE_CHAR.test(this.s[this.pos]!)) this.pos++;
        if (this.pos === start) throw new ScanLost();
        parts.push(this.s.slice(start, this.pos));
      }
      this.skipSpace(false);
      if (this.s[this.pos] !== '.') return parts;
      this.pos++;
    }
  }

  private value(path: PathSegment[]): void {
    this.skipSpace(false);
    const c = this.s[this.pos];
    if (this.s.startsWith('"""', this.pos)) this.multiline('"""');
    else if (this.s.startsWith("'''", this.pos)) this.multiline("'''");
    else if (c === '"') this.basicString();
    else if (c === "'") this.literalString();
    else if (c === '[') this.array(path);
    else if (c === '{') this.inlineTable(path);
    else {
      // Numbers, booleans, dates (which may hold a space): up to the next delimiter.
      const start = this.pos;
      while (this.pos < this.s.length && !',]}\n#'.includes(this.s[this.pos]!)) this.pos++;
      if (this.pos === start) throw new ScanLost();
    }
  }

  private array(path: PathSegment[]): void {
    this.pos++;
    for (let index = 0; ; index++) {
      this.skipSpace(true);
      if (this.s[this.pos] === ']') break;
      this.out.set([...path, index], this.line);
      this.value([...path, index]);
      this.skipSpace(true);
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== ']') throw new ScanLost();
    }
    this.pos++;
  }

  private inlineTable(path: PathSegment[]): void {
    this.pos++;
    for (;;) {
      this.skipSpace(true);
      if (this.s[this.pos] === '}') break;
      const line = this.line;
      const keys = this.key();
      this.expect('=');
      this.recordDotted(path, keys, line);
      this.value([...path, ...keys]);
      this.skipSpace(true);
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== '}') throw new ScanLost();
    }
    this.pos++;
  }

  /** Returns the raw text between the quotes (escapes not yet decoded). */
  private basicString(): string {
    const start = ++this.pos;
    while (this.pos < this.s.length && this.s[this.pos] !== '"') {
      if (this.s[this.pos] === '\n') throw new ScanLost();
      this.pos += this.s[this.pos] === '\\' ? 2 : 1;
    }
    if (this.pos >= this.s.length) throw new ScanLost();
    return this.s.slice(start, this.pos++);
  }

  private literalString(): string {
    const start = ++this.pos;
    const end = this.s.indexOf("'", start);
    if (end < 0 || this.s.slice(start, end).includes('\n')) throw new ScanLost();
    this.pos = end + 1;
    return this.s.slice(start, end);
  }

  private multiline(quote: '"""' | "'''"): void {
    this.pos += 3;
    for (;;) {
      if (this.pos >= this.s.length) throw new ScanLost();
      const c = this.s[this.pos];
      if (quote === '"""' && c === '\\') this.advance(2);
      else if (this.s.startsWith(quote, this.pos)) {
        // Up to two quotes may end the content right before the closing delimiter ("""a""""").
        this.pos += 3;
        while (this.s[this.pos] === quote[0]) this.pos++;
        return;
      } else this.advance(1);
    }
  }

  private advance(n: number): void {
    for (let i = 0; i < n && this.pos < this.s.length; i++) {
      if (this.s[this.pos] === '\n') this.line++;
      this.pos++;
    }
  }

  private expect(c: string): void {
    this.skipSpace(false);
    if (this.s[this.pos] !== c) throw new ScanLost();
    this.pos++;
  }

  /** Skips blanks and comments; with `newlines` also line breaks (inside arrays, between statements). */
  private skipSpace(newlines: boolean): void {
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === ' ' || c === '\t' || c === '\r') this.pos++;
      else if (c === '#') {
        while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
      } else if (c === '\n' && newlines) {
        this.line++;
        this.pos++;
      } else return;
    }
  }

  private skipToLineEnd(): void {
    this.skipSpace(false);
    if (this.pos < this.s.length && this.s[this.pos] !== '\n') throw new ScanLost();
  }
}

/** Decodes the escapes of a basic-string key, so that `"a\u002eb"` is found as the key `a.b`. */
function decodeBasic(raw: string): string {
  return raw.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, esc: string) => {
    if (esc.length > 1) return String.fromCodePoint(parseInt(esc.slice(1), 16));
    const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b' };
    return simple[esc] ?? esc;
  });
}
