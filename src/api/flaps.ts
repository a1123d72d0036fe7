// What a flap is (issue 13, item 9): a prefix that became unreachable (its last path vanished) and was
// then discovered again. A prefix that vanished and never came back in the window has not flapped.

/** One route event of a prefix, as far as flaps are concerned. */
export interface FlapStep {
  readonly type: 'RouteDiscovered' | 'RouteVanished';
  readonly interface: string;
}

/**
 * Flaps of one prefix in a window: `present` holds the interfaces whose path was there at the window's
 * start; `steps` are the prefix's events in the window, in seq order.
 */
export function countFlaps(present: ReadonlySet<string>, steps: Iterable<FlapStep>): number {
  const up = new Set(present);
  let gone = false;
  let flaps = 0;
  for (const step of steps) {
    if (step.type === 'RouteDiscovered') {
      if (gone) flaps++;
      gone = false;
      up.add(step.interface);
    } else if (up.delete(step.interface) && up.size === 0) gone = true;
  }
  return flaps;
}
