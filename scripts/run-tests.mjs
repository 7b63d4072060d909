// Runs every packages/*/test/**/*.test.ts file through node:test with tsx.
// Node 20's --test does not expand globs itself, so the files are listed here.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
const files = [];
for (const pkg of readdirSync("packages")) {
  try {
    collect(join("packages", pkg, "test"), files);
  } catch {
    // a package without tests
  }
}
const chosen = filter.length ? files.filter((f) => filter.some((s) => f.includes(s))) : files;
chosen.sort();
const reporter = process.env.TEST_REPORTER ?? "spec";
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", `--test-reporter=${reporter}`, ...chosen],
  { stdio: "inherit" },
);
process.exit(r.status ?? 1);
