// `[fleet]`: defaults, units, and errors that name key path and line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/index.js';
import { defaultNodeName } from '../../../src/config/fleet.js';
import { assertProblem, problemsOf, toml } from './helpers.js';

void describe('[fleet]', () => {
  void it('is absent unless written', () => {
    assert.equal(parseConfig(toml('[api]', 'listen = "127.0.0.1:1"')).config.fleet, undefined);
  });

  void it('fills in defaults and reads units', () => {
    const { config } = parseConfig(
      toml(
        '[fleet]',
        'servers = ["nats://10.0.0.1:4222", "tls://nats.example:4222"]',
        'node = "edge-1"',
        'max-age = "7d"',
        'max-bytes = "10GiB"',
        'replicas = 3',
        'creds-file = "/etc/ribjournal/nats.creds"',
      ),
    );
    assert.deepEqual(config.fleet, {
      servers: ['nats://10.0.0.1:4222', 'tls://nats.example:4222'],
      node: 'edge-1',
      stream: 'RIBJOURNAL',
      tokenFile: undefined,
      credsFile: '/etc/ribjournal/nats.creds',
      caFile: undefined,
      replicas: 3,
      maxAgeSeconds: 7 * 86400,
      maxBytes: 10 * 2 ** 30,
    });
    const plain = parseConfig(toml('[fleet]', 'servers = ["nats://h:1"]')).config.fleet;
    assert.equal(plain?.node, defaultNodeName());
    assert.equal(plain?.maxAgeSeconds, 0);
    assert.equal(plain?.maxBytes, -1);
  });

  void it('the default node name is the short hostname, sanitized', () => {
    assert.equal(defaultNodeName('worker-3.cluster.local'), 'worker-3');
    assert.equal(defaultNodeName('a b'), 'a-b');
  });

  void it('rejects bad values naming key path and line', () => {
    const { problems } = problemsOf(
      toml(
        '[fleet]',
        'servers = ["http://x:1"]',
        'node = "a.b"',
        'max-age = "7 weeks"',
        'replicas = 9',
        'token-file = "t"',
        'creds-file = "c"',
      ),
    );
    assertProblem(problems, 'fleet.servers[0]', 2, /not a NATS URL/);
    assertProblem(problems, 'fleet.node', 3, /not a node name/);
    assertProblem(problems, 'fleet.max-age', 4, /not a duration/);
    assertProblem(problems, 'fleet.replicas', 5, /out of range/);
    assertProblem(problems, 'fleet.creds-file', 7, /not both/);
  });

  void it('requires servers', () => {
    const { problems } = problemsOf(toml('[fleet]', 'node = "n"'));
    assertProblem(problems, 'fleet.servers', 1, /required/);
  });
});
