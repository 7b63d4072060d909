/**
 * `npm run performance`: the twin experiments of issue 7 (state of power, drive cycles with predictive limits
 * and delay-aware cooling, plating-aware charging, balancing). Each section writes its results to
 * out/performance/<section>.json; the document docs/performance.md is then rebuilt from all sections' results.
 *
 *   npm run performance                   every section (tens of minutes: the drive cycles run at 10 ms)
 *   npm run performance -- --only drive   one section (others are taken from their last results)
 *   npm run performance -- --doc          rebuild the document from the last results
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeDocument } from "./performance-doc.ts";

const SECTIONS = ["sop", "drive", "charge", "balance"] as const;
type Section = (typeof SECTIONS)[number];

const args = process.argv.slice(2);
/** --doc: rebuild the document from the last results only. */
const docOnly = args.includes("--doc");
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? (args[onlyAt + 1] as Section) : null;
if (only && !SECTIONS.includes(only)) {
  console.error(`--only: got "${only}", expected one of ${SECTIONS.join(", ")}`);
  process.exit(2);
}

const outDir = new URL("../out/performance/", import.meta.url);
mkdirSync(outDir, { recursive: true });

async function run(section: Section): Promise<unknown> {
  switch (section) {
    case "sop":
      return (await import("./performance-sop.ts")).sopExperiment();
    case "drive":
      return (await import("./performance-drive.ts")).driveExperiment((line) => console.log(line));
    case "charge":
      return (await import("./performance-charge.ts")).chargeExperiment();
    case "balance":
      return (await import("./performance-balance.ts")).balanceExperiment();
  }
}

for (const s of SECTIONS) {
  if (docOnly || (only && s !== only)) continue;
  console.log(`performance: ${s}…`);
  const result = await run(s);
  writeFileSync(new URL(`${s}.json`, outDir), `${JSON.stringify(result, null, 2)}\n`);
}

const results: Record<string, unknown> = {};
for (const s of SECTIONS) {
  const f = new URL(`${s}.json`, outDir);
  if (existsSync(f)) results[s] = JSON.parse(readFileSync(f, "utf8"));
}
writeFileSync(new URL("../docs/performance.md", import.meta.url), writeDocument(results));
console.log("performance: wrote docs/performance.md");
