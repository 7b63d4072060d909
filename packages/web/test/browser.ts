// Shared by the browser tests: Debian's chromium driven by playwright-core (never a downloaded browser), and a
// throwaway build of the web pages.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";

export const CHROMIUM = process.env["COXSWAIN_CHROMIUM"] ?? "/usr/bin/chromium";
const WEB = fileURLToPath(new URL("..", import.meta.url));
/** Screenshots go to the repo's out/ folder (ignored by git). */
export const SCREENSHOTS = fileURLToPath(new URL("../../../out/screenshots/", import.meta.url));

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no chromium at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set COXSWAIN_CHROMIUM`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Builds one of the pages ("dashboard" or "browser") into `outDir`. */
export async function buildPage(which: "dashboard" | "browser", outDir: string): Promise<void> {
  await build({
    configFile: join(WEB, "vite.config.ts"),
    mode: which === "browser" ? "browser" : "production",
    logLevel: "warn",
    build: { outDir, emptyOutDir: true },
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}
