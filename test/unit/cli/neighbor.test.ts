// `ribjournal neighbor`: gobgp's table (cmd/gobgp/neighbor.go's widths, sort order and state names).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatTimedelta,
  renderNeighbor,
  renderNeighbors,
  type ApiNeighbor,
} from '../../../src/cli/neighbor.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const counts = { open: 1, update: 4, notification: 0, keepalive: 3, routeRefresh: 0 };

function neighbor(over: Partial<ApiNeighbor>): ApiNeighbor {
  return {
    address: '192.0.2.2',
    peerAs: 65002,
    localAs: 65001,
    passive: false,
    state: 'ESTABLISHED',
    established: true,
    since: '2026-11-24T11:59:57.000000Z',
    routerId: '192.0.2.2',
    localAddress: '192.0.2.1',
    holdTime: 90,
    keepaliveTime: 30,
    families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'],
    prefixesSent: [
      { family: 'ipv4-unicast', count: 1 },
      { family: 'l3vpn-ipv4-unicast', count: 3 },
    ],
    prefixesReceived: 0,
    queueDepth: 0,
    queuedBytes: 0,
    initialTableSent: true,
    flaps: 0,
    lastError: null,
    messages: { sent: counts, received: counts },
    ...over,
  };
}

test('gobgp time deltas: HH:MM:SS, days in front', () => {
  assert.equal(formatTimedelta(3), '00:00:03');
  assert.equal(formatTimedelta(3 * 3600 + 62), '03:01:02');
  assert.equal(formatTimedelta(2 * 86400 + 5), '2d 00:00:05');
});

test('the table has gobgp neighbor columns, widths and state names, IPv4 first', () => {
  const out = renderNeighbors(
    [
      neighbor({ address: 'fd6a:9::2', peerAs: 4200000000, prefixesReceived: 12 }),
      neighbor({ address: '10.0.0.2', state: 'ACTIVE', established: false, since: null }),
      neighbor({
        address: '192.0.2.2',
        state: 'IDLE',
        established: false,
        since: '2026-11-22T11:00:00.000000Z',
      }),
    ],
    NOW,
  );
  assert.equal(
    out,
    [
      'Peer              AS     Up/Down State       |#Received  Accepted',
      '10.0.0.2       65002       never Active      |        0         0',
      '192.0.2.2      65002 2d 01:00:00 Idle        |        0         0',
      'fd6a:9::2 4200000000    00:00:03 Establ      |       12        12',
      '',
    ].join('\n'),
  );
});

test('one neighbor in detail: state, queue, prefixes sent per family, message statistics', () => {
  const out = renderNeighbor(neighbor({ queueDepth: 7, lastError: 'peer sent Cease (6/2)' }), NOW);
  assert.match(out, /^BGP neighbor is 192\.0\.2\.2, remote AS 65002\n/);
  assert.match(out, /BGP state = ESTABLISHED, up for 00:00:03/);
  assert.match(out, /BGP OutQ = 7 routes/);
  assert.match(out, /Last error: peer sent Cease \(6\/2\)/);
  assert.ok(
    out.includes(
      [
        '    Advertised:             4',
        '      ipv4-unicast:         1',
        '      l3vpn-ipv4-unicast:   3',
      ].join('\n'),
    ),
    out,
  );
  assert.match(out, /Updates: {16}4 {10}4\n/);
});
