// A flap is a vanish followed by a rediscovery (issue 13, item 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countFlaps } from '../../../src/api/flaps.js';
import type { FlapStep } from '../../../src/api/flaps.js';

const up = (i = 'eth1'): FlapStep => ({ type: 'RouteDiscovered', interface: i });
const down = (i = 'eth1'): FlapStep => ({ type: 'RouteVanished', interface: i });

test('a prefix that vanished and never came back has not flapped', () => {
  assert.equal(countFlaps(new Set(['eth1']), [down()]), 0);
  assert.equal(countFlaps(new Set(), [up(), down()]), 0);
});

test('each vanish followed by a rediscovery is one flap', () => {
  assert.equal(countFlaps(new Set(['eth1']), [down(), up()]), 1);
  assert.equal(countFlaps(new Set(['eth1']), [down(), up(), down(), up(), down()]), 2);
  // The first discovery of a prefix absent at the window's start is not a flap.
  assert.equal(countFlaps(new Set(), [up()]), 0);
});

test('losing one of two paths is not a flap: the prefix stayed reachable', () => {
  assert.equal(countFlaps(new Set(['eth1', 'eth2']), [down('eth1'), up('eth1')]), 0);
  assert.equal(countFlaps(new Set(['eth1', 'eth2']), [down('eth1'), down('eth2'), up('eth2')]), 1);
});
