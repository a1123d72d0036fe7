// A scripted BGP peer for tests: a TCP client (or a server) speaking raw bytes, so it can send what no
// real implementation would (malformed headers, OPENs and UPDATEs) and read back, message by message,
// what the daemon answers.
import net from 'node:net';
import {
  BGP_MSG_KEEPALIVE,
  BGP_MSG_NOTIFICATION,
  BGP_MSG_OPEN,
  BGP_MSG_UPDATE,
  MessageReader,
  decodeNotification,
  decodeOpen,
  decodeUpdate,
  encodeKeepalive,
  encodeOpen,
  standardCapabilities,
  type BgpFamily,
  type DecodedOpen,
  type DecodedUpdate,
  type Notification,
} from '../../../src/bgp/codec/index.js';
import { waitFor } from './harness.js';

/** One message as received, its body copied. */
export interface Received {
  readonly type: number;
  readonly body: Buffer;
}

export class ScriptedPeer {
  readonly socket: net.Socket;
  readonly received: Received[] = [];
  private readonly reader = new MessageReader();
  closed = false;
  /** Bytes after a framing error of the daemon's stream (must never happen). */
  framingError: Error | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const m of this.reader.push(chunk))
          this.received.push({ type: m.type, body: Buffer.from(m.body) });
      } catch (err) {
        this.framingError = err as Error;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  /** Connects from `localAddress` (which the daemon maps to a neighbor) to the daemon's listener. */
  static async connect(localAddress: string, host: string, port: number): Promise<ScriptedPeer> {
    const socket = net.connect({ host, port, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new ScriptedPeer(socket);
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  /** Waits for the next message of `type` after index `from`; returns its index and the message. */
  async next(
    type: number,
    what: string,
    from = 0,
    ms = 10_000,
  ): Promise<{ index: number; message: Received }> {
    return waitFor(
      () => {
        const index = this.received.findIndex((m, i) => i >= from && m.type === type);
        if (index >= 0) return { index, message: this.received[index]! };
        if (this.closed) throw new Error(`connection closed before ${what}`);
        return undefined;
      },
      what,
      ms,
      5,
    );
  }

  async open(what = 'the daemon’s OPEN'): Promise<DecodedOpen> {
    return decodeOpen((await this.next(BGP_MSG_OPEN, what)).message.body);
  }

  /** Waits for a NOTIFICATION and for the daemon to close the connection after it. */
  async notification(what: string): Promise<Notification> {
    const n = await waitFor(
      () => {
        const m = this.received.find((x) => x.type === BGP_MSG_NOTIFICATION);
        if (m) return decodeNotification(m.body);
        if (this.closed) throw new Error(`closed without a NOTIFICATION (${what})`);
        return undefined;
      },
      `NOTIFICATION: ${what}`,
      10_000,
      5,
    );
    await waitFor(() => this.closed, `connection closed after the NOTIFICATION (${what})`, 5000, 5);
    return n;
  }

  /** UPDATEs received from index `from` on, decoded. */
  updates(from = 0, as4 = true): DecodedUpdate[] {
    const out: DecodedUpdate[] = [];
    for (const m of this.received.slice(from)) {
      if (m.type !== BGP_MSG_UPDATE) continue;
      const r = decodeUpdate(m.body, { as4, ibgp: false });
      if (r.action === 'session-reset') throw new Error('the daemon sent a malformed UPDATE');
      out.push(r.update);
    }
    return out;
  }

  /**
   * OPEN exchange to Established: sends our OPEN (after the daemon's) and a KEEPALIVE, waits for the
   * daemon's KEEPALIVE.
   */
  async establish(o: {
    as: number;
    bgpId: string;
    families: readonly BgpFamily[];
    as4?: boolean;
  }): Promise<DecodedOpen> {
    const theirs = await this.open();
    const caps = standardCapabilities({ as: o.as, families: o.families }).filter(
      (c) => o.as4 !== false || c.kind !== 'four-octet-as',
    );
    this.send(encodeOpen({ as: o.as, holdTime: 90, bgpId: o.bgpId, capabilities: caps }));
    this.send(encodeKeepalive());
    await this.next(BGP_MSG_KEEPALIVE, 'the daemon’s KEEPALIVE');
    return theirs;
  }
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for a test). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}
