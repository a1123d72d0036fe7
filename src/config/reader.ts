// Typed reading of parsed TOML tables that records every problem instead of stopping at the first, and
// notices keys nobody read: those become warnings, never failures.
import { formatPath, type KeyPath } from './path.js';
import type { KeyLines } from './toml-lines.js';
import type { ConfigProblem, ConfigWarning } from './types.js';

type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** What a TOML value is, in the words of the TOML spec, for "expected X, got Y" messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `a string ${JSON.stringify(value)}`;
  if (typeof value === 'boolean') return `a boolean ${value}`;
  if (typeof value === 'number' || typeof value === 'bigint')
    return Number.isInteger(value) || typeof value === 'bigint' ? `an integer ${value}` : `a float ${value}`;
  if (value instanceof Date) return 'a date-time'; // smol-toml's TomlDate is a Date
  if (Array.isArray(value)) return 'a list';
  return 'a table';
}

/** Collects errors and warnings with the line each path is written on. */
export class Report {
  readonly errors: ConfigProblem[] = [];
  readonly warnings: ConfigWarning[] = [];
  private readonly warned = new Set<string>();

  constructor(private readonly lines: KeyLines) {}

  lineOf(path: KeyPath): number | undefined {
    return this.lines.lineOf(path);
  }

  error(path: KeyPath, message: string): void {
    this.errors.push({ path: formatPath(path), line: this.lines.lineOf(path), message });
  }

  /** Adds a warning; `once` is a key under which only the first of several warnings is kept. */
  warn(path: KeyPath, message: string, once?: string): void {
    if (once !== undefined) {
      if (this.warned.has(once)) return;
      this.warned.add(once);
    }
    this.warnings.push({ path: formatPath(path), line: this.lines.lineOf(path), message });
  }
}

/** An element of a list with the path it was read from, so later checks can point at it. */
export interface Located<T> {
  readonly value: T;
  readonly path: KeyPath;
}

/**
 * Reads one table. Each getter returns undefined when the key is absent or has the wrong type (the
 * latter reported); `finish` warns about every key that no getter and no `ignore` claimed.
 */
export class TableReader {
  private readonly claimed = new Set<string>();

  constructor(
    readonly report: Report,
    readonly path: KeyPath,
    private readonly raw: Table,
  ) {}

  has(key: string): boolean {
    return Object.hasOwn(this.raw, key);
  }

  /** The raw value, without claiming the key (for keys that take more than one shape). */
  peek(key: string): unknown {
    return this.has(key) ? this.raw[key] : undefined;
  }

  at(key: string): KeyPath {
    return [...this.path, key];
  }

  private get(key: string): unknown {
    this.claimed.add(key);
    return this.has(key) ? this.raw[key] : undefined;
  }

  private wrongType(key: string, expected: string, value: unknown, hint = ''): undefined {
    this.report.error(this.at(key), `expected ${expected}, got ${describe(value)}${hint}`);
    return undefined;
  }

  string(key: string): string | undefined {
    const value = this.get(key);
    if (value === undefined || typeof value === 'string') return value;
    return this.wrongType(key, 'a string', value);
  }

  boolean(key: string): boolean | undefined {
    const value = this.get(key);
    if (value === undefined || typeof value === 'boolean') return value;
    const hint = value === 'true' || value === 'false' ? ` (write ${value} without quotes)` : '';
    return this.wrongType(key, 'a boolean (true or false)', value, hint);
  }

  /** A number; integers only unless `fractional`. Range errors name the accepted range. */
  number(
    key: string,
    opts: { min: number; max: number; fractional?: boolean; range?: string },
  ): number | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    const expected = opts.fractional === true ? 'a number' : 'an integer';
    if (typeof value !== 'number') {
      const hint =
        typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))
          ? ` (write ${value} without quotes)`
          : '';
      return this.wrongType(key, expected, value, hint);
    }
    if (opts.fractional !== true && !Number.isInteger(value)) return this.wrongType(key, expected, value);
    if (!(value >= opts.min && value <= opts.max)) {
      this.report.error(
        this.at(key),
        `${value} is out of range: expected ${opts.range ?? `${opts.min}..${opts.max}`}`,
      );
      return undefined;
    }
    return value;
  }

  /** A list of strings; a lone string is reported with the list it should have been. */
  stringList(key: string): Located<string>[] | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      const hint = typeof value === 'string' ? ` (write [${JSON.stringify(value)}])` : '';
      return this.wrongType(key, 'a list of strings', value, hint);
    }
    const out: Located<string>[] = [];
    value.forEach((item: unknown, i) => {
      const path = [...this.at(key), i];
      if (typeof item === 'string') out.push({ value: item, path });
      else this.report.error(path, `expected a string, got ${describe(item)}`);
    });
    return out;
  }

  table(key: string): TableReader | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (!isTable(value)) return this.wrongType(key, `a table [${formatPath(this.at(key))}]`, value);
    return new TableReader(this.report, this.at(key), value);
  }

  /** An array of tables (`[[key]]`); a single `[key]` table is reported as such. */
  tableArray(key: string): TableReader[] | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    const header = formatPath(this.at(key).filter((seg) => typeof seg === 'string'));
    if (!Array.isArray(value)) return this.wrongType(key, `an array of tables [[${header}]]`, value);
    const out: TableReader[] = [];
    value.forEach((item: unknown, i) => {
      const path = [...this.at(key), i];
      if (isTable(item)) out.push(new TableReader(this.report, path, item));
      else this.report.error(path, `expected a table (an entry of [[${header}]]), got ${describe(item)}`);
    });
    return out;
  }

  /** Keys GoBGP knows that ribjournal does not use: a warning each when present, worded "ignored". */
  ignore(keys: readonly string[], why = 'a GoBGP setting that ribjournal does not support'): void {
    for (const key of keys) {
      if (!this.has(key)) continue;
      this.claimed.add(key);
      this.report.warn(this.at(key), `ignored: ${why}`);
    }
  }

  /** Warns about every key of this table that nothing claimed, suggesting a known key close to it. */
  finish(): void {
    for (const key of Object.keys(this.raw)) {
      if (this.claimed.has(key)) continue;
      const near = closest(key, [...this.claimed]);
      this.report.warn(
        this.at(key),
        `unknown key, ignored${near === undefined ? '' : ` (did you mean "${near}"?)`}`,
      );
    }
  }
}

/** The known key within edit distance 2 of a typo (interfaces-list, interface_list), if any. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase().replaceAll('_', '-'), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
