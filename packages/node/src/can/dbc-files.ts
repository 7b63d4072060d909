/** coxswain's shipped DBC files: their names, their generators, and reading them back. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { cmuDbcText, hostDbcText, pylonDbcText } from "@coxswain/core";

export const SHIPPED_DBC_FILES: Record<string, () => string> = {
  "coxswain-cmu.dbc": cmuDbcText,
  "coxswain-host.dbc": hostDbcText,
  "pylon-compatible.dbc": pylonDbcText,
};

export const dbcFilePath = (name: string): string =>
  fileURLToPath(new URL(`../../../core/dbc/${name}`, import.meta.url));

export function readShippedDbc(name: string): string {
  return readFileSync(dbcFilePath(name), "utf8");
}
