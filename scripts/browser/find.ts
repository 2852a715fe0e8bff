/**
 * Where the browser for the status-page test lives. One lookup, used by the provisioning step
 * of `npm test` and by the test itself, so both agree on which browser runs.
 */
import { accessSync, constants } from "node:fs";
import { chromium } from "playwright-core";

/** Environment variable that names a Chromium (or Chrome) executable explicitly. */
export const BROWSER_ENV = "PYRITE_CHROMIUM";

/** Debian's and other distributions' usual paths. */
const SYSTEM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The candidates in the order they are tried: explicit, system, Playwright's download cache. */
export function browserCandidates(): string[] {
  const explicit = process.env[BROWSER_ENV];
  return [...(explicit ? [explicit] : []), ...SYSTEM_PATHS, chromium.executablePath()];
}

/** The first executable candidate, or undefined when this machine has no usable browser. */
export function findBrowser(): string | undefined {
  const explicit = process.env[BROWSER_ENV];
  // An explicit path that doesn't exist is a mistake to report, not a reason to pick another.
  if (explicit) return executable(explicit) ? explicit : undefined;
  return browserCandidates().find(executable);
}

/** The one line that says how to get a browser when none could be found or installed. */
export const NO_BROWSER_HINT =
  `no Chromium found: install Debian's \`chromium\` package (apt-get install chromium), ` +
  `run \`npx playwright-core install chromium\`, or set ${BROWSER_ENV} to a Chromium executable`;
