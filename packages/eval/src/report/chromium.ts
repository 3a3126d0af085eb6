import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's package; playwright's own browser download is never used (no internet here). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Quiet, offline flags: no GPU, no update checks, no sync, no first-run pages. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface LaunchChromiumOptions {
  /** Default /usr/bin/chromium. */
  executablePath?: string;
}

/**
 * Headless Chromium through playwright-core. Close it when done; pass it to renderPng to
 * reuse one browser for many plots (about 1 s saved per plot).
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}. Install Debian's package: sudo apt-get install -y chromium ` +
        '(playwright browser downloads are not used).',
    );
  }
  // Loaded on demand so importing @modalab/eval for retrieval never pulls in playwright.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}
