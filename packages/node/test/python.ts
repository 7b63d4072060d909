/** Runs a Python reference client without blocking this process's event loop (the servers under test live here). */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export function runPythonAsync(script: string, args: string[], timeout_s = 60): Promise<string> {
  const path = fileURLToPath(new URL(`./py/${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const py = spawn("python3", [path, ...args]);
    let out = "";
    let err = "";
    py.stdout.on("data", (d) => {
      out += d;
    });
    py.stderr.on("data", (d) => {
      err += d;
    });
    const timer = setTimeout(() => py.kill(), timeout_s * 1000);
    py.on("error", (e) => reject(new Error(`cannot run python3: ${e.message}`)));
    py.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new Error(`${script} failed (exit ${code}); the reference tools are installed by .ci/run:\n${err}`),
        );
    });
  });
}
