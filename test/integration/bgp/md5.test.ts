// TCP-MD5 (RFC 2385) against gobgpd, both directions: the same password establishes; a wrong or missing
// one never does — the peer's kernel counts the segments it dropped (TcpExtTCPMD5Failure /
// TcpExtTCPMD5NotFound), which is what the tests wait for before saying "not established".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/index.js';
import { createNetns } from '../../helpers/netns.js';
import { runDaemon } from '../../helpers/daemon.js';
import { Gobgpd, createPeerLink, waitFor } from './harness.js';
import { kernelCounter } from './lab-tools.js';
import { labConfig } from './lab-config.js';
import { freePort } from './scripted-peer.js';

function toml(o: { neighbor: string; password?: string; passive?: boolean; port?: number }): string {
  return labConfig({
    ...(o.port !== undefined ? { port: o.port } : {}),
    importKubelb: false,
    neighbor: o.neighbor,
    ...(o.password !== undefined ? { neighborConfig: `    auth-password = "${o.password}"` } : {}),
    neighborExtra: `  [neighbors.transport.config]\n    passive-mode = ${o.passive ?? false}`,
  });
}

test('TCP-MD5, we connect: the right password establishes; a wrong or missing one is dropped by the peer', async (t) => {
  const link = await createPeerLink(t);
  const kernel = await createNetns(t);
  const gobgpd = await Gobgpd.start(link.ns, {
    as: 65002,
    routerId: link.peer4,
    neighbors: [{ address: link.local4, peerAs: 65001, families: ['ipv4-unicast'], authPassword: 's3cret' }],
  });
  const failures = await kernelCounter(link.ns, 'TcpExtTCPMD5Failure');
  const d = await runDaemon(t, kernel, toml({ neighbor: link.peer4, password: 'wrong' }));
  await waitFor(
    async () => (await kernelCounter(link.ns, 'TcpExtTCPMD5Failure')) > failures,
    'gobgpd dropping our wrongly signed SYN',
  );
  assert.notEqual(d.daemon.bgp!.neighbor(link.peer4)?.state, 'established');

  const notFound = await kernelCounter(link.ns, 'TcpExtTCPMD5NotFound');
  await d.daemon.reload(parseConfig(toml({ neighbor: link.peer4 })).config);
  await waitFor(
    async () => (await kernelCounter(link.ns, 'TcpExtTCPMD5NotFound')) > notFound,
    'gobgpd dropping our unsigned SYN',
  );
  assert.notEqual(d.daemon.bgp!.neighbor(link.peer4)?.state, 'established');

  await d.daemon.reload(parseConfig(toml({ neighbor: link.peer4, password: 's3cret' })).config);
  await waitFor(async () => (await gobgpd.sessionState(link.local4)) === 6, 'established with the password');
  assert.equal(d.daemon.bgp!.neighbor(link.peer4)?.state, 'established');
});

test('TCP-MD5, the peer connects: the key on our listener; a wrong password is dropped by our kernel', async (t) => {
  const link = await createPeerLink(t);
  const kernel = await createNetns(t);
  const port = await freePort();
  const start = (password: string): Promise<Gobgpd> =>
    Gobgpd.start(link.ns, {
      as: 65002,
      routerId: link.peer4,
      neighbors: [
        {
          address: link.local4,
          peerAs: 65001,
          families: ['ipv4-unicast'],
          passive: false,
          remotePort: port,
          authPassword: password,
        },
      ],
    });
  const d = await runDaemon(
    t,
    kernel,
    toml({ neighbor: link.peer4, password: 's3cret', passive: true, port }),
  );
  const failures = await kernelCounter(undefined, 'TcpExtTCPMD5Failure');
  const wrong = await start('wrong');
  await waitFor(
    async () => (await kernelCounter(undefined, 'TcpExtTCPMD5Failure')) > failures,
    "our kernel dropping gobgpd's wrongly signed SYN",
  );
  assert.notEqual(await wrong.sessionState(link.local4), 6);
  await wrong.stop('SIGKILL');

  const right = await start('s3cret');
  await waitFor(async () => (await right.sessionState(link.local4)) === 6, 'established with the password');
  await waitFor(() => d.daemon.bgp!.neighbor(link.peer4)?.state === 'established', 'established on our side');
});
