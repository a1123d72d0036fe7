// Interface -> VRF assignment from the config (DESIGN.md "VRF assignment" and Decisions on globs):
// an interface named exactly in some sections goes to exactly those; otherwise to every section whose
// glob matches it. The global table is VRF "".
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

  constructor(config: Config) {
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

  /** VRFs (deduplicated, config order) that routes of interface `name` are imported into. */
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
