// The key-line scan that gives problems their line numbers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanKeyLines } from '../../../src/config/toml-lines.js';
import { toml } from './helpers.js';

void describe('scanKeyLines', () => {
  const text = toml(
    '# comment = not a key', //                      1
    'top = 1', //                                    2
    '[[vrfs]]', //                                   3
    '  [vrfs.config]', //                            4
    '    name = "a" # trailing', //                  5
    '[[vrfs]]', //                                   6
    '  [ vrfs . config ]', //                        7
    '    rd = "1:1"', //                             8
    '    import-rt-list = [', //                     9
    '      "1:1", # a comment', //                   10
    '      "1:2",', //                               11
    '    ]', //                                      12
    '[[neighbors]]', //                              13
    '[[neighbors.afi-safis]]', //                    14
    '[[neighbors.afi-safis]]', //                    15
    '[neighbors.afi-safis.config]', //               16
    'afi-safi-name = "ipv6-unicast"', //             17
    'note = """', //                                 18
    '[zebra]', //                                    19
    'fake = 1"""', //                                20
    'a.b."c.d" = 2', //                              21
    'inline = { x = 1, y = [1, {z = 2}] }', //       22
    '[global.config]', //                            23
    "'literal key' = 3", //                          24
  );
  const lines = scanKeyLines(text);

  void it('finds keys, headers and array-of-tables elements', () => {
    assert.equal(lines.lineOf(['top']), 2);
    assert.equal(lines.lineOf(['vrfs', 0]), 3);
    assert.equal(lines.lineOf(['vrfs', 0, 'config', 'name']), 5);
    assert.equal(lines.lineOf(['vrfs', 1, 'config']), 7);
    assert.equal(lines.lineOf(['vrfs', 1, 'config', 'rd']), 8);
    assert.equal(lines.lineOf(['neighbors', 0, 'afi-safis', 1, 'config', 'afi-safi-name']), 17);
    assert.equal(lines.lineOf(['neighbors', 0, 'afi-safis', 0]), 14);
  });

  void it('finds elements of multi-line arrays and keys of inline tables', () => {
    assert.equal(lines.lineOf(['vrfs', 1, 'config', 'import-rt-list', 1]), 11);
    assert.equal(lines.lineOf(['neighbors', 0, 'afi-safis', 1, 'config', 'inline', 'y', 1, 'z']), 22);
  });

  void it('skips strings and comments, decodes dotted and quoted keys', () => {
    assert.equal(lines.lineOf(['zebra']), undefined);
    assert.equal(lines.lineOf(['comment ']), undefined);
    assert.equal(lines.lineOf(['neighbors', 0, 'afi-safis', 1, 'config', 'a', 'b', 'c.d']), 21);
    assert.equal(lines.lineOf(['global', 'config', 'literal key']), 24);
    assert.equal(lines.lineOf(['global']), 23);
  });

  void it('falls back to the nearest ancestor it knows', () => {
    assert.equal(lines.lineOf(['vrfs', 0, 'config', 'missing']), 4);
    assert.equal(lines.lineOf(['nowhere']), undefined);
  });
});

void describe('scanKeyLines with CRLF line ends and tabs', () => {
  void it('counts lines the same way', () => {
    const lines = scanKeyLines(
      '[netlink]\r\n\tscan-interval = 1\r\n[netlink.import]\r\n  interface-list = [\r\n    "a",\r\n    "b",\r\n  ]\r\n',
    );
    assert.equal(lines.lineOf(['netlink', 'scan-interval']), 2);
    assert.equal(lines.lineOf(['netlink', 'import', 'interface-list', 1]), 6);
  });
});
