import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const dir = mkdtempSync(join(tmpdir(), "coxswain-sigkill-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const writer = fileURLToPath(new URL("./history-writer.ts", import.meta.url));

/** Starts the writer, lets it commit `commits` times, waits `extraMs` more (mid-write), then SIGKILLs it. */
function killDuringWrites(
  path: string,
  commits: number,
  extraMs: number,
): Promise<{ telemetry: number; events: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", writer, path], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let seen = 0;
    let last = { telemetry: 0, events: 0 };
    let buffered = "";
    let killing = false;
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const m = /^committed (\d+) (\d+)$/.exec(line);
        if (!m) continue;
        last = { telemetry: Number(m[1]), events: Number(m[2]) };
        if (++seen === commits && !killing) {
          killing = true;
          setTimeout(() => child.kill("SIGKILL"), extraMs);
        }
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`writer exited with ${code ?? signal} before being killed`));
      else resolve(last);
    });
  });
}

for (const [commits, extraMs] of [
  [3, 0],
  [5, 37],
  [8, 160],
] as const) {
  test(`a SIGKILL during writes (after ${commits} commits + ${extraMs} ms) loses no committed record and leaves a sound file`, async () => {
    const path = join(dir, `kill-${commits}.sqlite`);
    const reported = await killDuringWrites(path, commits, extraMs);
    assert.ok(reported.telemetry > 0);
    const db = new Database(path);
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
    const t = db
      .prepare("SELECT COUNT(*) AS n, MIN(time_s) AS t0, MAX(time_s) AS t1, MAX(id) AS id FROM telemetry")
      .get() as {
      n: number;
      t0: number;
      t1: number;
      id: number;
    };
    // Every record reported committed is there, and what is there is a gap-free prefix of what was written.
    assert.ok(t.id >= reported.telemetry, `telemetry ${t.id} < committed ${reported.telemetry}`);
    assert.equal(t.t0, 0);
    assert.equal(t.n, t.t1 + 1);
    const groups = db
      .prepare("SELECT time_s, group_v FROM telemetry WHERE id = ?")
      .get(reported.telemetry) as {
      time_s: number;
      group_v: Buffer;
    };
    assert.equal(groups.group_v.readFloatLE(109 * 4), groups.time_s);
    const e = db.prepare("SELECT COUNT(*) AS n, MAX(id) AS id FROM events").get() as {
      n: number;
      id: number;
    };
    assert.ok(e.id >= reported.events);
    assert.equal(e.n, e.id);
    db.close();
  });
}
