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
  // Interface -> has a path now; `paths` counts the true ones. No Set.delete: on a small set it
  // reallocates the table, once per withdrawal of a 1000-event history.
  const up = new Map<string, boolean>();
  for (const i of present) up.set(i, true);
  let paths = up.size;
  let gone = false;
  let flaps = 0;
  for (const step of steps) {
    if (step.type === 'RouteDiscovered') {
      if (gone) flaps++;
      gone = false;
      if (up.get(step.interface) !== true) {
        up.set(step.interface, true);
        paths++;
      }
    } else if (up.get(step.interface) === true) {
      up.set(step.interface, false);
      if (--paths === 0) gone = true;
    }
  }
  return flaps;
}
