// The kernel side of the 100k-address benches (issue 9.3): in a namespace, veth lat0 (the one the
// bench changes) and 100 veths b0..b99 with 1000 IPv4 /28 addresses each (100k connected prefixes).
import type { Netns } from '../../test/helpers/netns.js';

export async function addHundredThousandAddresses(ns: Netns): Promise<void> {
  const setup = ['link add name lat0 type veth peer name lat0p', 'link set lat0 up', 'link set lat0p up'];
  for (let n = 0; n < 100; n++)
    setup.push(`link add name b${n} type veth peer name p${n}`, `link set b${n} up`, `link set p${n} up`);
  await ns.batch(setup);
  for (let n = 0; n < 100; n++)
    await ns.batch(
      Array.from(
        { length: 1000 },
        (_, k) =>
          `addr add 10.${100 + (n >> 2)}.${(n & 3) * 64 + (k >> 4)}.${(k & 15) * 16 + 1}/28 dev b${n}`,
      ),
    );
}
