// docker/fleet/ and the lab's fleet parts: the files parse, the NATS cluster has three JetStream
// servers, and the collector's and nodes' [fleet] sections are valid and point at those servers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../src/config/index.js';

const root = resolve(new URL('../../../', import.meta.url).pathname);
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const yaml = createRequire(import.meta.url)('js-yaml') as {
  load(t: string): unknown;
  loadAll(t: string): unknown[];
};
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

void describe('docker/fleet', () => {
  const nats = yaml.loadAll(read('docker/fleet/nats.yaml')) as Json[];
  const collector = yaml.loadAll(read('docker/fleet/collector.yaml')) as Json[];
  const ds = yaml.loadAll(read('docker/daemonset.yaml')) as Json[];
  const kind = (docs: Json[], k: string): Json => docs.find((d) => d['kind'] === k)!;

  void it('NATS is a StatefulSet of three JetStream servers routed to each other', () => {
    const sts = kind(nats, 'StatefulSet');
    assert.equal(sts['spec']['replicas'], 3);
    const conf = String(kind(nats, 'ConfigMap')['data']['nats.conf']);
    assert.match(conf, /jetstream/);
    for (const i of [0, 1, 2]) assert.ok(conf.includes(`nats-${i}.nats.ribjournal.svc.cluster.local:6222`));
  });

  void it('the nodes and the collector publish to and read from those servers, stream replicas 3', () => {
    const node = parseConfig(
      String(kind(ds, 'ConfigMap')['data']['ribjournal.toml']).replaceAll('@NODE_IP@', '192.0.2.1'),
    ).config;
    const col = parseConfig(String(kind(collector, 'ConfigMap')['data']['collector.toml'])).config;
    for (const f of [node.fleet, col.fleet]) {
      assert.ok(f);
      assert.equal(f.replicas, 3);
      assert.deepEqual(
        f.servers,
        [0, 1, 2].map((i) => `nats://nats-${i}.nats.ribjournal.svc.cluster.local:4222`),
      );
    }
    assert.equal(node.fleet?.stream, col.fleet?.stream);
    const args = kind(collector, 'Deployment')['spec']['template']['spec']['containers'][0][
      'args'
    ] as string[];
    assert.deepEqual(args.slice(0, 3), ['collect', '-f', '/etc/ribjournal/collector.toml']);
  });

  void it('the compose lab runs three nats-servers, two nodes and a collector, and its configs agree', () => {
    const compose = yaml.load(read('docker/compose.yaml')) as Json;
    for (const s of ['nats1', 'nats2', 'nats3', 'collector']) assert.ok(compose['services'][s], s);
    const lab = parseConfig(read('docker/lab/ribjournal.toml')).config.fleet;
    const col = parseConfig(read('docker/lab/collector.toml')).config.fleet;
    assert.deepEqual(lab?.servers, col?.servers);
    // Two nodes, each in a namespace of its own, publishing under their own names to the same stream.
    const b = compose['services']['ribjournal-b'];
    assert.ok(b, 'a second node');
    assert.equal(b['network_mode'], undefined, 'the second node has a network namespace of its own');
    assert.equal(compose['services']['interfaces-b']['network_mode'], 'service:ribjournal-b');
    const labB = parseConfig(read('docker/lab/ribjournal-b.toml')).config.fleet;
    assert.deepEqual(labB?.servers, col?.servers);
    assert.equal(labB?.stream, lab?.stream);
    assert.notEqual(labB?.node, lab?.node);
    assert.deepEqual(
      (b['volumes'] as string[]).find((v) => v.includes('/etc/ribjournal/ribjournal.toml')),
      './lab/ribjournal-b.toml:/etc/ribjournal/ribjournal.toml:ro',
    );
    assert.deepEqual(compose['services']['collector']['command'], [
      'collect',
      '-f',
      '/etc/ribjournal/collector.toml',
    ]);
  });
});
