// Loads the hex fixtures of test/fixtures/bgp (format described in its README.md).
import { readFileSync, readdirSync } from 'node:fs';

const DIR = new URL('../../../fixtures/bgp/', import.meta.url);

/** Bytes of hex text with `#` comments and whitespace removed. */
export function hex(text: string): Buffer {
  const clean = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not hex: ${clean}`);
  return Buffer.from(clean, 'hex');
}

export function fixture(name: string): Buffer {
  return hex(readFileSync(new URL(`${name}.hex`, DIR), 'utf8'));
}

export interface FixtureMeta {
  readonly expect?: string;
  readonly data?: string;
  readonly session?: string;
  readonly peerAs?: number;
}

/** The `# key: value` lines of a fixture that the tests read. */
export function fixtureMeta(name: string): FixtureMeta {
  const text = readFileSync(new URL(`${name}.hex`, DIR), 'utf8');
  const meta: Record<string, string> = {};
  for (const m of text.matchAll(/^#\s*(expect|data|session|peer-as):\s*(.+)$/gm)) meta[m[1]!] = m[2]!.trim();
  return {
    ...(meta.expect !== undefined ? { expect: meta.expect } : {}),
    ...(meta.data !== undefined ? { data: meta.data.replace(/\s+/g, '') } : {}),
    ...(meta.session !== undefined ? { session: meta.session } : {}),
    ...(meta['peer-as'] !== undefined ? { peerAs: Number(meta['peer-as']) } : {}),
  };
}

/** Names (without .hex) of the fixtures in a subfolder. */
export function fixtureNames(folder: string): string[] {
  return readdirSync(new URL(`${folder}/`, DIR))
    .filter((f) => f.endsWith('.hex'))
    .map((f) => `${folder}/${f.slice(0, -4)}`)
    .sort();
}
