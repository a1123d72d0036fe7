#!/usr/bin/env node
// Runs the compiled CLI (npm ci builds dist/ through the prepare script). NODE_ENV=production before
// graphql is loaded skips graphql-js's development-only checks on every resolved field.
process.env.NODE_ENV ??= 'production';
const { main } = await import('../dist/src/cli/main.js');

main(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
