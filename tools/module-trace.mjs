// Loaded with `node --import`: appends the URL of every module the process resolves to the file named by
// MODULE_TRACE (the hooks run on their own thread in Node 20, so they write to a file, not to stderr).
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data.file; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(file, r.url + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url, {
  data: { file: process.env.MODULE_TRACE },
});
