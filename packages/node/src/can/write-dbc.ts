/**
 * Writes coxswain's DBC files (packages/core/dbc/) from their generators in @coxswain/core:
 *   node --import tsx packages/node/src/can/write-dbc.ts
 * A test checks that the committed files match.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SHIPPED_DBC_FILES } from "./dbc-files.ts";

for (const [name, text] of Object.entries(SHIPPED_DBC_FILES)) {
  const path = fileURLToPath(new URL(`../../../core/dbc/${name}`, import.meta.url));
  writeFileSync(path, text());
  console.log(`wrote ${path}`);
}
