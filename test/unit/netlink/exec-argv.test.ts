import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inheritedExecArgv } from '../../../src/netlink/observer.js';

test('the observer child inherits loaders and memory flags, never test-runner or debugger flags', () => {
  assert.deepEqual(
    inheritedExecArgv([
      '--import',
      'tsx',
      '--test',
      '--test-name-pattern',
      'restart',
      '--inspect=9229',
      '--max-old-space-size=512',
      '--expose-gc',
      '--test-reporter=spec',
    ]),
    ['--import', 'tsx', '--max-old-space-size=512', '--expose-gc'],
  );
});
