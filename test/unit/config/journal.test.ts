// `[journal]`: retention, max-size and archive-dir, with errors that name key path and line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/index.js';
import { assertProblem, problemsOf, toml } from './helpers.js';

void describe('[journal]', () => {
  void it('is absent unless written', () => {
    assert.equal(parseConfig(toml('[api]', 'listen = "127.0.0.1:1"')).config.journal, undefined);
  });

  void it('reads durations, sizes and the archive directory', () => {
    const { config } = parseConfig(
      toml('[journal]', 'retention = "90d"', 'max-size = "2GiB"', 'archive-dir = "/var/lib/rj/archive"'),
    );
    assert.deepEqual(config.journal, {
      retentionSeconds: 90 * 86400,
      maxSizeBytes: 2 * 2 ** 30,
      archiveDir: '/var/lib/rj/archive',
    });
    const hours = parseConfig(toml('[journal]', 'retention = "12h"', 'max-size = "500MiB"')).config.journal;
    assert.equal(hours?.retentionSeconds, 12 * 3600);
    assert.equal(hours?.maxSizeBytes, 500 * 2 ** 20);
    assert.equal(hours?.archiveDir, undefined);
  });

  void it('rejects bad values naming key path and line', () => {
    const { problems } = problemsOf(
      toml('[journal]', 'retention = "3 months"', 'max-size = "2 gigs"', 'archive-dir = ""'),
    );
    assertProblem(problems, 'journal.retention', 2, /not a duration/);
    assertProblem(problems, 'journal.max-size', 3, /not a size/);
    assertProblem(problems, 'journal.archive-dir', 4, /cannot be empty/);
  });

  void it('rejects a zero retention and a tiny max-size', () => {
    const { problems } = problemsOf(toml('[journal]', 'retention = "0d"', 'max-size = "10KiB"'));
    assertProblem(problems, 'journal.retention', 2, /longer than 0/);
    assertProblem(problems, 'journal.max-size', 3, /at least 1MiB/);
  });
});
