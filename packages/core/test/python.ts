/** Runs a Python reference script (independent implementation) with JSON in and JSON out. */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export function runPython(script: string, input: unknown): unknown {
  const path = fileURLToPath(new URL(`./py/${script}`, import.meta.url));
  const r = spawnSync("python3", [path], {
    input: JSON.stringify(input),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`cannot run python3: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(
      `${script} failed (exit ${r.status}); the reference tools are installed by .ci/run:\n${r.stderr}`,
    );
  return JSON.parse(r.stdout);
}
