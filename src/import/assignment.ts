// Interface -> VRF assignment from the config (DESIGN.md "VRF assignment" and Decisions on globs):
// an interface named exactly in some sections goes to exactly those; otherwise to every section whose
// glob matches it. The global table is VRF "". In linux-vrf mode it also knows which configured VRF
// takes the members of each Linux VRF device; ImportState decides when that applies (it knows links).
import { interfaceMatcher, isGlob } from '../config/index.js';
import type { Config } from '../config/index.js';

interface Section {
  readonly vrf: string;
  readonly exact: ReadonlySet<string>;
  readonly globs: readonly ((name: string) => boolean)[];
}

/** Maps interface names to the VRFs their routes go to. Memoised per name. */
export class VrfAssignment {
  private readonly sections: readonly Section[];
  private readonly cache = new Map<string, readonly string[]>();
  /** `[netlink] linux-vrf`: members of a Linux VRF device go to the VRF mapped from the device. */
  readonly linuxVrf: boolean;
  /** Linux VRF device name -> configured VRF name (linux-vrf-device, else the VRF's own name). */
  private readonly byDevice: ReadonlyMap<string, string>;
  private readonly vrfNames: ReadonlySet<string>;

  constructor(config: Config) {
    this.linuxVrf = config.netlink.linuxVrf;
    const byDevice = new Map<string, string>();
    // The config rejects two VRFs taking one device; keeping the first is only a guard.
    for (const v of config.vrfs) {
      const device = v.linuxVrfDevice ?? v.name;
      if (!byDevice.has(device)) byDevice.set(device, v.name);
    }
    this.byDevice = byDevice;
    this.vrfNames = new Set(config.vrfs.map((v) => v.name));
    const sections: Section[] = [];
    const add = (vrf: string, patterns: readonly string[]): void => {
      sections.push({
        vrf,
        exact: new Set(patterns.filter((p) => !isGlob(p))),
        globs: patterns.filter(isGlob).map(interfaceMatcher),
      });
    };
    const g = config.netlink.import;
    if (g.enabled) add(g.vrf, g.interfaces);
    for (const v of config.vrfs) if (v.netlinkImport.enabled) add(v.name, v.netlinkImport.interfaces);
    this.sections = sections;
  }

  /** In linux-vrf mode, the VRF that takes the members of the Linux VRF device `device`, if any. */
  vrfOfDevice(device: string): string | undefined {
    return this.linuxVrf ? this.byDevice.get(device) : undefined;
  }

  /** Whether `vrf` is a configured [[vrfs]] entry (the global table "" is not one). */
  hasVrf(vrf: string): boolean {
    return this.vrfNames.has(vrf);
  }

  /** Whether some interface list names `name` exactly (not only through a glob). */
  namedExactly(name: string): boolean {
    return this.sections.some((s) => s.exact.has(name));
  }

  /** VRFs (deduplicated, config order) that routes of interface `name` are imported into, by name. */
  vrfsOf(name: string): readonly string[] {
    let hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    const exact = this.sections.filter((s) => s.exact.has(name)).map((s) => s.vrf);
    const chosen =
      exact.length > 0 ? exact : this.sections.filter((s) => s.globs.some((m) => m(name))).map((s) => s.vrf);
    hit = [...new Set(chosen)];
    this.cache.set(name, hit);
    return hit;
  }
}
