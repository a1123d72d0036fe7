// Key paths as problems name them: `vrfs[1].config.rd`, `neighbors[0].afi-safis[2].config.afi-safi-name`.
// Indexes are 0-based, like the arrays a program reads; the line number points a human at the place.

/** One step of a key path: a table key or an array index. */
export type PathSegment = string | number;
export type KeyPath = readonly PathSegment[];

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** The text form of a key path; keys that TOML would have to quote are quoted the same way. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = BARE_KEY.test(seg) ? seg : JSON.stringify(seg);
      out += out === '' ? key : `.${key}`;
    }
  }
  return out;
}
