// BMP against pmacct's collector (pmbmpd): Initiation, Peer Up of the gobgpd session with its
// Adj-RIB-Out post-policy (the policy's community in the routes), and the Loc-RIB (RFC 9069) per table
// with the VRF's RD; a collector restarted later gets everything again after our reconnect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetns, type AfterHook } from '../../helpers/netns.js';
import { runDaemon } from '../../helpers/daemon.js';
import { Gobgpd, createPeerLink, waitFor } from './harness.js';
import { freePort } from './scripted-peer.js';
import { labConfig } from './lab-config.js';

interface BmpLog {
  readonly dir: string;
  read(): Promise<Record<string, unknown>[]>;
  /** Kills the collector, empties its log and starts it again on the same port. */
  restart(): Promise<void>;
}

/** pmbmpd on 127.0.0.1:port, logging every message as JSON lines. */
async function pmbmpd(t: AfterHook, port: number): Promise<BmpLog> {
  const dir = await mkdtemp(join(tmpdir(), 'rjt-pmbmpd-'));
  const log = join(dir, 'bmp.log');
  await writeFile(
    join(dir, 'pmbmpd.conf'),
    [
      'bmp_daemon_ip: 127.0.0.1',
      `bmp_daemon_port: ${port}`,
      `bmp_daemon_msglog_file: ${log}`,
      'bmp_daemon_msglog_output: json',
      '',
    ].join('\n'),
  );
  let child = spawn('pmbmpd', ['-f', join(dir, 'pmbmpd.conf')], { stdio: 'ignore' });
  let exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  t.after(async () => {
    await stop();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async restart() {
      await stop();
      await rm(log, { force: true });
      child = spawn('pmbmpd', ['-f', join(dir, 'pmbmpd.conf')], { stdio: 'ignore' });
      exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    },
    async read() {
      const text = await readFile(log, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

test('BMP to pmbmpd: Peer Up, Adj-RIB-Out post-policy with the policy community, Loc-RIB per VRF with its RD', async (t) => {
  const link = await createPeerLink(t);
  const kernel = await createNetns(t);
  for (const d of ['kubelb0', 'eth1']) await kernel.addVeth(d, `${d}p`);
  for (const d of ['kubelb0', 'eth1']) await kernel.waitOperUp(d);
  await kernel.addAddress('kubelb0', '192.0.2.10/32');
  await kernel.addAddress('eth1', '10.1.0.1/24');
  await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: 65001, families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'] }],
  });
  const port = await freePort();
  const collector = await pmbmpd(t, port);
  const toml = labConfig({
    globalExtra: '[global.apply-policy.config]\n  export-policy-list = ["tag"]',
    vrfA: { both: '64551:100' },
    neighbor: link.peer4,
    families: ['ipv4-unicast', 'l3vpn-ipv4-unicast'],
    extra: `[[bmp-servers]]
  [bmp-servers.config]
    address = "127.0.0.1"
    port = ${port}
    route-monitoring-policy = "all"
[[policy-definitions]]
  name = "tag"
  [[policy-definitions.statements]]
    [policy-definitions.statements.actions.bgp-actions.set-community]
      options = "add"
      [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]
        communities-list = ["65001:7"]`,
  });
  await runDaemon(t, kernel, toml);

  const has = (rows: Record<string, unknown>[], pred: (r: Record<string, unknown>) => boolean) =>
    rows.some(pred);
  const rows = await waitFor(async () => {
    const r = await collector.read();
    const ok =
      has(r, (x) => x.bmp_msg_type === 'peer_up' && x.peer_ip === link.peer4) &&
      has(r, (x) => x.ip_prefix === '192.0.2.10/32' && x.peer_ip === link.peer4) &&
      has(r, (x) => x.ip_prefix === '10.1.0.0/24' && x.peer_ip === link.peer4) &&
      has(r, (x) => x.ip_prefix === '10.1.0.0/24' && x.peer_ip !== link.peer4) &&
      has(r, (x) => x.ip_prefix === '192.0.2.10/32' && x.peer_ip !== link.peer4);
    return ok ? r : undefined;
  }, 'pmbmpd logging Peer Up, the Adj-RIB-Out and the Loc-RIB routes');
  assert.ok(
    has(rows, (x) => x.bmp_msg_type === 'init'),
    'Initiation',
  );
  const adjOut = rows.find((x) => x.ip_prefix === '192.0.2.10/32' && x.peer_ip === link.peer4)!;
  assert.equal(adjOut.comms, '65001:7', 'post-policy: the community the policy added');
  assert.equal(adjOut.as_path, '65001');
  const vpnOut = rows.find((x) => x.ip_prefix === '10.1.0.0/24' && x.peer_ip === link.peer4)!;
  assert.equal(vpnOut.rd, '0:64551:100');
  const locRib = rows.find((x) => x.ip_prefix === '10.1.0.0/24' && x.peer_ip !== link.peer4)!;
  assert.equal(locRib.rd, '0:64551:100', "the Loc-RIB route carries its VRF's RD");
  assert.equal(locRib.comms, undefined, 'the Loc-RIB is pre-export-policy');

  // The collector restarts: we reconnect and send Peer Up and both RIBs again.
  await collector.restart();
  await waitFor(async () => {
    const r = await collector.read();
    return (
      has(r, (x) => x.bmp_msg_type === 'peer_up' && x.peer_ip === link.peer4) &&
      has(r, (x) => x.ip_prefix === '192.0.2.10/32' && x.peer_ip === link.peer4) &&
      has(r, (x) => x.ip_prefix === '10.1.0.0/24' && x.peer_ip !== link.peer4)
    );
  }, 'everything again at the restarted collector');
});
