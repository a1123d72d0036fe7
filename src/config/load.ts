// Reading the config file: the only part of this folder that touches the file system.
import { readFile } from 'node:fs/promises';
import { RibjournalError } from '../shared/index.js';
import { parseConfig } from './parse.js';
import type { LoadedConfig } from './types.js';

/** Reads and parses a config file; CONFIG_NOT_FOUND when it cannot be read, CONFIG_INVALID when it is wrong. */
export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (code ?? String(err));
    throw new RibjournalError('CONFIG_NOT_FOUND', `cannot read config file ${path}: ${reason}`, {
      cause: err,
      details: { file: path, errno: code },
    });
  }
  return parseConfig(text, path);
}
