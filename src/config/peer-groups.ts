// `[[peer-groups]]` and `[neighbors.config] peer-group`, with GoBGP's inheritance
// (pkg/config/oc/util.go OverwriteNeighborConfigWithPeerGroup): every key a member neighbor does not
// write itself comes from its group, section by section (config, timers, transport, ebgp-multihop,
// apply-policy ...); lists of tables (afi-safis) come from the group only when the neighbor has none.
// Done on the parsed TOML before the neighbors are read, so an inherited value is validated exactly
// like a written one; its line is the group's.
import { isTable } from './reader.js';
import type { KeyPath } from './path.js';
import type { Report, TableReader } from './reader.js';
import type { KeyLines } from './toml-lines.js';

type Table = Record<string, unknown>;

function copyLines(lines: KeyLines, value: unknown, to: KeyPath, from: KeyPath): void {
  const line = lines.lineOf(from);
  if (line !== undefined) lines.set(to, line);
  if (isTable(value))
    for (const [k, v] of Object.entries(value)) copyLines(lines, v, [...to, k], [...from, k]);
  else if (Array.isArray(value)) value.forEach((v, i) => copyLines(lines, v, [...to, i], [...from, i]));
}

/** Copies into `target` every key of `source` it lacks; tables merge key by key, the target winning. */
function inherit(lines: KeyLines, target: Table, source: Table, to: KeyPath, from: KeyPath): void {
  for (const [key, value] of Object.entries(source)) {
    const mine = target[key];
    if (mine === undefined) {
      target[key] = structuredClone(value);
      copyLines(lines, value, [...to, key], [...from, key]);
    } else if (isTable(mine) && isTable(value)) {
      inherit(lines, mine, value, [...to, key], [...from, key]);
    }
  }
}

/**
 * Reads `[[peer-groups]]` and merges each group into the raw tables of its member `[[neighbors]]` (in
 * place, before they are read). A neighbor naming an unknown group is an error at its peer-group key.
 */
export function applyPeerGroups(root: TableReader, doc: Table, lines: KeyLines, report: Report): void {
  const groups = new Map<string, { raw: Table; path: KeyPath }>();
  const rawGroups = doc['peer-groups'];
  (root.tableArray('peer-groups') ?? []).forEach((pg, i) => {
    const raw = (rawGroups as Table[])[i]!;
    const c = pg.table('config');
    const name = c?.string('peer-group-name');
    if (name === undefined) {
      if (c === undefined || !c.has('peer-group-name'))
        report.error(c?.path ?? pg.path, 'peer-group-name is required');
      return;
    }
    if (groups.has(name)) {
      report.error(c!.at('peer-group-name'), `peer group "${name}" is defined twice`);
      return;
    }
    if (c?.has('neighbor-address'))
      report.error(c.at('neighbor-address'), 'a peer group has no neighbor-address; its members do');
    groups.set(name, { raw, path: pg.path });
  });
  const neighbors = doc.neighbors;
  if (!Array.isArray(neighbors)) return;
  neighbors.forEach((n: unknown, i) => {
    if (!isTable(n) || !isTable(n.config)) return;
    const name = n.config['peer-group'];
    if (typeof name !== 'string') return;
    const group = groups.get(name);
    const at: KeyPath = ['neighbors', i, 'config', 'peer-group'];
    if (group === undefined) {
      report.error(
        at,
        `unknown peer group "${name}" (defined: ${groups.size === 0 ? 'none' : [...groups.keys()].join(', ')})`,
      );
      return;
    }
    const source = structuredClone(group.raw);
    if (isTable(source.config)) delete source.config['peer-group-name'];
    inherit(lines, n, source, ['neighbors', i], group.path);
  });
}
