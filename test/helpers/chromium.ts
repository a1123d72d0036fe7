// Debian's Chromium for browser tests and benchmarks (playwright-core drives it; nothing is downloaded).

/** The browser binary (CHROMIUM overrides). */
export const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Flags for root on a machine without internet, for playwright's `launch({ args })` (it adds
 * --headless and a fresh profile itself). Autofill would ask Google about the page's forms.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=AutofillServerCommunication',
];
