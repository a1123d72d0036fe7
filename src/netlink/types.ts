// Kernel shapes of links and addresses as the observer reports them, and the observer's contract.
import type { Logger } from 'pino';

/** A network interface as the kernel describes it (RTM_NEWLINK); nothing of VRFs or events. */
export interface Link {
  readonly index: number;
  readonly name: string;
  /** Administratively up (IFF_UP) and operationally up (IFF_RUNNING / carrier). */
  readonly up: boolean;
  readonly adminUp: boolean;
  /** ifindex of the master device (bridge, Linux VRF), if enslaved. */
  readonly master: number | undefined;
  /** IFLA_INFO_KIND: 'veth', 'bridge', 'vrf', ... */
  readonly kind: string | undefined;
  /** For kind 'vrf': the VRF's routing table id (IFLA_VRF_TABLE). */
  readonly vrfTable: number | undefined;
}

/** An interface address as the kernel describes it (RTM_NEWADDR), reported faithfully, unfiltered. */
export interface Address {
  /** ifindex */
  readonly index: number;
  readonly family: 'ipv4' | 'ipv6';
  /** Canonical text (ipaddr.js toString; IPv6 compressed per RFC 5952). */
  readonly address: string;
  readonly prefixLength: number;
  /** RT_SCOPE_*: 0 universe, 253 link, 254 host. */
  readonly scope: number;
  /** IFA_F_TENTATIVE (from the IFA_FLAGS attribute when present, else ifa_flags). */
  readonly tentative: boolean;
  /** IFA_F_DADFAILED */
  readonly dadFailed: boolean;
}

/** One observation: a full picture (snapshot) or one kernel notification. */
export type KernelChange =
  | {
      readonly kind: 'snapshot';
      readonly reason: 'start' | 'scan' | 'resync';
      readonly links: readonly Link[];
      readonly addresses: readonly Address[];
      /**
       * Present on a periodic scan sent as its difference from the observer's previous dump: `links` and
       * `addresses` then hold only what is new or changed, and these what is gone. Keys a notification
       * touched after the dump began are in none of them (the notifications, forwarded as they came,
       * decide those). Absent: a whole snapshot, what is not in it is gone.
       */
      readonly gone?: { readonly links: readonly number[]; readonly addresses: readonly Address[] };
    }
  | { readonly kind: 'link'; readonly op: 'new' | 'del'; readonly link: Link }
  | {
      readonly kind: 'address';
      readonly op: 'new' | 'del';
      readonly address: Address;
      /**
       * The kernel's octets of `address.address` (4 or 16, one latin1 char per octet), when the observer
       * read them from the notification: the import state builds the route's prefix from them, not from
       * the text. A string crosses the IPC channel (structured clone) for a fraction of a typed array's
       * cost and allocates nothing more on either side.
       */
      readonly octets?: string;
    };

/** Changes that arrived together, in kernel order. A snapshot, when present, comes first. */
export interface ObserverBatch {
  readonly changes: readonly KernelChange[];
  /** epoch µs when the first message was received from the kernel */
  readonly receivedAt: number;
}

/** Watches the kernel's links and addresses from a supervised child process. */
export interface KernelObserver {
  /** Starts the observer; resolves after the first snapshot batch was delivered to listeners. */
  start(): Promise<void>;
  /** Registers a listener; returns a function that removes it. */
  onBatch(listener: (batch: ObserverBatch) => void): () => void;
  /** Ask for a full dump now (delivered as a snapshot with reason 'scan'). */
  requestScan(): void;
  /** Times the observer process had to be restarted (crash, overflow). */
  readonly restarts: number;
  /** Process id of the current observer child, if one is running (for diagnostics and tests). */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** How to run the observer. */
export interface ObserverOptions {
  /** pass log.child({ topic: 'netlink' }) */
  log: Logger;
  /** Periodic full dump (reconcile), e.g. 5000. */
  scanIntervalMs: number;
  /** Run the observer inside this named network namespace (ip netns exec). */
  netns?: string;
}
