#!/usr/bin/env node
// Runs the compiled CLI from dist/ (built by `tsc` in the prepare script, so `npm ci` in a clone and
// `npm pack` both build it; no tsx and no npx at run time). NODE_ENV=production before graphql is
// loaded skips graphql-js's development-only checks on every resolved field.
process.env.NODE_ENV ??= 'production';
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // Scripts call this often; it needs nothing but the version.
  try {
    const { VERSION } = await import('../dist/src/cli/version.js');
    console.log(VERSION);
    process.exit(0);
  } catch {
    // dist/ missing: the import below says so.
  }
}
// `serve`: V8's young generation keeps its start size (issue 10.6, src/shared/heap.ts). Set before the
// CLI's modules load: loading them grows it to its 32 MB maximum, and V8 does not shrink it while busy.
if (args.includes('serve')) {
  try {
    (await import('../dist/src/shared/heap.js')).limitYoungGeneration();
  } catch {
    // dist/ missing: the import below says so.
  }
}
let cli;
try {
  cli = await import('../dist/src/cli/main.js');
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/src/cli/main.js')) {
    console.error('ribjournal: dist/ is missing: run "npm ci" (or "npm run build") in the checkout first');
    process.exit(1);
  }
  throw err;
}

cli.main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
