import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interfaceMatcher, interfacePatternProblem, isGlob } from '../../../src/config/index.js';
import { rejectsWith, toml } from './helpers.js';

function matches(pattern: string, names: string[]): string[] {
  const m = interfaceMatcher(pattern);
  return names.filter((n) => m(n));
}

const NAMES = [
  'eth',
  'eth0',
  'eth1',
  'eth2',
  'eth10',
  'eth1.100',
  'kubelb-prod',
  'kubelb0',
  'kubelb-',
  'e',
  'lo',
  'x',
  'ab',
];

void describe('interfaceMatcher (fnmatch)', () => {
  void it('eth* matches every name starting with eth, including eth itself', () => {
    assert.deepEqual(matches('eth*', NAMES), ['eth', 'eth0', 'eth1', 'eth2', 'eth10', 'eth1.100']);
  });

  void it('kubelb-* matches kubelb- names only', () => {
    assert.deepEqual(matches('kubelb-*', NAMES), ['kubelb-prod', 'kubelb-']);
  });

  void it('eth[12] matches one character of the set', () => {
    assert.deepEqual(matches('eth[12]', NAMES), ['eth1', 'eth2']);
  });

  void it('? matches exactly one character', () => {
    assert.deepEqual(matches('?', NAMES), ['e', 'x']);
    assert.deepEqual(matches('eth?', NAMES), ['eth0', 'eth1', 'eth2']);
  });

  void it('ranges and negated sets', () => {
    assert.deepEqual(matches('eth[0-1]*', NAMES), ['eth0', 'eth1', 'eth10', 'eth1.100']);
    assert.deepEqual(matches('eth[!0-1]', NAMES), ['eth2']);
    assert.deepEqual(matches('eth[^0-1]', NAMES), ['eth2']);
  });

  void it('stars in the middle backtrack', () => {
    assert.equal(interfaceMatcher('e*1*0')('eth1.100'), true);
    assert.equal(interfaceMatcher('e*1*0')('eth1.101'), false);
    assert.equal(interfaceMatcher('*')(''), true);
    assert.equal(interfaceMatcher('a**b')('ab'), true);
  });

  void it('[*] and [?] match the literal character; an unclosed [ is literal', () => {
    assert.equal(interfaceMatcher('a[*]')('a*'), true);
    assert.equal(interfaceMatcher('a[*]')('ab'), false);
    assert.equal(interfaceMatcher('a[')('a['), true);
    assert.equal(interfaceMatcher('[]x]')(']'), true);
  });

  void it('exact names match only themselves', () => {
    assert.deepEqual(matches('eth1', NAMES), ['eth1']);
    assert.deepEqual(matches('eth1.100', NAMES), ['eth1.100']);
    assert.equal(interfaceMatcher('eth1')('eth10'), false);
  });
});

void describe('isGlob', () => {
  void it('tells patterns from exact names', () => {
    for (const p of ['eth*', 'kubelb-*', 'eth[12]', '?', 'a[!b]']) assert.equal(isGlob(p), true, p);
    for (const p of ['eth0', 'eth1.100', 'kubelb-prod', 'a[']) assert.equal(isGlob(p), false, p);
  });
});

void describe('interfacePatternProblem', () => {
  void it('accepts valid names and patterns', () => {
    for (const p of [
      'eth0',
      'eth1.100',
      'tenant-a-net0',
      'kubelb-staging',
      '123456789012345',
      'kubelb-staging*',
    ])
      assert.equal(interfacePatternProblem(p), undefined, p);
  });

  void it('rejects what the kernel refuses', () => {
    assert.match(interfacePatternProblem('') ?? '', /empty/);
    assert.match(interfacePatternProblem('a/b') ?? '', /'\/'/);
    assert.match(interfacePatternProblem('eth 0') ?? '', /whitespace/);
    assert.match(interfacePatternProblem('eth0:1') ?? '', /':'/);
    assert.match(interfacePatternProblem('1234567890123456') ?? '', /16 bytes long.*15 \(IFNAMSIZ\)/);
    assert.match(interfacePatternProblem('1234567890123456*') ?? '', /can never match/);
  });

  void it('rejects a set that is never closed, and accepts the literal-bracket spelling', () => {
    assert.match(
      interfacePatternProblem('[[[[') ?? '',
      /'\[' at position 1 opens a set that is never closed/,
    );
    assert.match(interfacePatternProblem('eth[0-9') ?? '', /position 4/);
    assert.equal(interfacePatternProblem('eth[[]0'), undefined);
    assert.equal(interfacePatternProblem('eth[0-9]'), undefined);
  });

  void it('makes a config with an unclosed set fail at load, naming key path and line', () => {
    rejectsWith(
      toml('[netlink]', '  [netlink.import]', '    enabled = true', '    interface-list = ["eth0", "[[[["]'),
      'netlink.import.interface-list[1]',
      4,
      /never closed/,
    );
  });
});
