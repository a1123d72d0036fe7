// Shared assertions for the config tests: a rejected config must name each problem's path and line.
import assert from 'node:assert/strict';
import {
  parseConfig,
  type ConfigProblem,
  type ConfigWarning,
  type LoadedConfig,
} from '../../../src/config/index.js';
import { isRibjournalError } from '../../../src/shared/errors.js';

/** Joins lines so that test configs read like files, with line numbers easy to count. */
export function toml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

/** Parses text that must be invalid and returns the error's problems and message. */
export function problemsOf(text: string): {
  problems: readonly ConfigProblem[];
  message: string;
  warnings: readonly ConfigWarning[];
} {
  try {
    parseConfig(text, 'test.toml');
  } catch (err) {
    assert.ok(isRibjournalError(err, 'CONFIG_INVALID'), `expected CONFIG_INVALID, got ${String(err)}`);
    const details = err.details as { problems: ConfigProblem[]; warnings: ConfigWarning[] };
    return { problems: details.problems, message: err.message, warnings: details.warnings };
  }
  assert.fail('config was accepted');
}

/** Asserts that exactly one problem has this path, on this line, with a message matching `pattern`. */
export function assertProblem(
  problems: readonly ConfigProblem[],
  path: string,
  line: number | undefined,
  pattern: RegExp,
): void {
  const found = problems.filter((p) => p.path === path);
  assert.equal(found.length, 1, `expected one problem at ${path}, got: ${JSON.stringify(problems, null, 1)}`);
  assert.equal(found[0]!.line, line, `line of ${path}`);
  assert.match(found[0]!.message, pattern);
}

/** The config must be rejected with exactly one problem, at this path and line. */
export function rejectsWith(text: string, path: string, line: number | undefined, pattern: RegExp): string {
  const { problems, message } = problemsOf(text);
  assert.equal(problems.length, 1, `expected one problem, got: ${message}`);
  assertProblem(problems, path, line, pattern);
  return message;
}

export function accepts(text: string): LoadedConfig {
  return parseConfig(text, 'test.toml');
}

/** Asserts one warning at path/line matching `pattern`. */
export function assertWarning(
  warnings: readonly ConfigWarning[],
  path: string,
  line: number | undefined,
  pattern: RegExp,
): void {
  const found = warnings.filter((w) => w.path === path && pattern.test(w.message));
  assert.equal(
    found.length,
    1,
    `expected one warning at ${path} matching ${pattern}, got: ${JSON.stringify(warnings, null, 1)}`,
  );
  assert.equal(found[0]!.line, line, `line of warning at ${path}`);
}
