// One scale factor for every deadline in the tests: a loaded machine (or CI) sets RIBJOURNAL_TEST_SCALE
// (default 1; CI uses 3) and every wait grows with it, so slowness makes tests slower, not red.

/** The factor every test deadline is multiplied by (RIBJOURNAL_TEST_SCALE, at least 1). */
export const TEST_SCALE = Math.max(1, Number(process.env['RIBJOURNAL_TEST_SCALE'] ?? '1') || 1);

/** `ms` scaled by TEST_SCALE: use for every timeout and deadline in a test. */
export function scaled(ms: number): number {
  return Math.round(ms * TEST_SCALE);
}

/**
 * Polls `check` until it returns something other than undefined/false (no fixed sleeps); fails with
 * `what` and the last error once the scaled deadline `ms` has passed.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms = 15_000,
  everyMs = 25,
): Promise<T> {
  const limit = scaled(ms);
  const deadline = Date.now() + limit;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${limit} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
