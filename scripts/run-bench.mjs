// Runs every packages/*/bench/*.bench.ts in its own process (no JIT or heap state shared between
// variants) and passes their JSON lines {"name","value","unit"} through to stdout.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const filter = process.argv.slice(2);
const files = [];
for (const pkg of readdirSync("packages")) {
  const dir = join("packages", pkg, "bench");
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir)) if (f.endsWith(".bench.ts")) files.push(join(dir, f));
}
files.sort();
let failed = 0;
for (const f of files) {
  if (filter.length && !filter.some((s) => f.includes(s))) continue;
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", f], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) {
    failed++;
    console.error(`bench failed: ${f}`);
  }
}
process.exit(failed ? 1 : 0);
