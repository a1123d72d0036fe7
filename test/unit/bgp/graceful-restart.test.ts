// The graceful restart capability in our OPEN (RFC 4724): the neighbor's
// [neighbors.graceful-restart.config] decides; without it the speaker's default (120 s) is announced.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { BGP_MSG_OPEN, MessageReader, decodeOpen, type DecodedOpen } from '../../../src/bgp/codec/index.js';
import { DEFAULT_GRACEFUL_RESTART_TIME, PeerSession } from '../../../src/bgp/session.js';
import type { GlobalConfig, NeighborConfig } from '../../../src/config/index.js';
import type { AdjRibOut } from '../../../src/projections/bgp-outbound/index.js';

const GLOBAL: GlobalConfig = { as: 65001, routerId: '192.0.2.1', port: -1, localAddresses: [] };

/** An Adj-RIB-Out that never has work: the session never gets past OpenSent here. */
const idleOutbound = {
  hasWork: false,
  depth: 0,
  close: () => undefined,
  stop: () => undefined,
} as unknown as AdjRibOut;

/** Starts a session toward a loopback listener and returns the OPEN it sends. */
async function openSent(
  gracefulRestart: NeighborConfig['gracefulRestart'],
  gracefulRestartTime?: number,
): Promise<DecodedOpen> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const neighbor: NeighborConfig = {
    address: '127.0.0.1',
    peerAs: 65002,
    localAs: undefined,
    passive: false,
    localAddress: undefined,
    remotePort: port,
    holdTime: 90,
    keepaliveInterval: 30,
    connectRetry: 120,
    families: ['ipv4-unicast'],
    ...(gracefulRestart ? { gracefulRestart } : {}),
  };
  const open = new Promise<DecodedOpen>((resolve, reject) => {
    server.once('connection', (socket) => {
      const reader = new MessageReader();
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        try {
          const m = reader.push(chunk).find((x) => x.type === BGP_MSG_OPEN);
          if (m) resolve(decodeOpen(m.body));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  });
  const session = new PeerSession({
    neighbor,
    global: GLOBAL,
    log: pino({ level: 'silent' }),
    outbound: idleOutbound,
    ...(gracefulRestartTime !== undefined ? { gracefulRestartTime } : {}),
  });
  session.start();
  try {
    return await open;
  } finally {
    await session.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function restartTime(open: DecodedOpen): number | undefined {
  const gr = open.capabilities.find((c) => c.kind === 'graceful-restart');
  return gr?.kind === 'graceful-restart' ? gr.restartTime : undefined;
}

void describe('graceful restart capability in the OPEN', () => {
  void it('is announced with the default restart time when the neighbor does not configure it', async () => {
    assert.equal(restartTime(await openSent(undefined)), DEFAULT_GRACEFUL_RESTART_TIME);
    assert.equal(DEFAULT_GRACEFUL_RESTART_TIME, 120);
  });

  void it('carries the configured restart time when enabled', async () => {
    assert.equal(restartTime(await openSent({ enabled: true, restartTime: 300 })), 300);
  });

  void it('is left out when enabled = false', async () => {
    const open = await openSent({ enabled: false, restartTime: 90 });
    assert.equal(
      open.capabilities.some((c) => c.kind === 'graceful-restart'),
      false,
    );
  });

  void it('the neighbor config wins over the speaker default; without it a 0 default announces none', async () => {
    assert.equal(restartTime(await openSent({ enabled: true, restartTime: 60 }, 0)), 60);
    assert.equal(restartTime(await openSent(undefined, 0)), undefined);
  });
});
