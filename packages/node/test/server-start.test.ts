import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

const dir = mkdtempSync(join(tmpdir(), "coxswain-start-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const bin = fileURLToPath(new URL("../../cli/bin/coxswain.mjs", import.meta.url));

test("coxswain start serves the live BMS on the default twin, prints the address, and stops cleanly on SIGINT", async () => {
  const stateDir = join(dir, "state");
  const child = spawn(
    process.execPath,
    [bin, "start", "--port", "0", "--speed", "60", "--state-dir", stateDir],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 50);
      exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`start exited (${code}) before serving:\n${out}`));
      });
    });
    assert.match(out, /coxswain-bms controller on the "default" twin \(110s36p\)/);
    // The token file exists, owner-only.
    assert.equal(statSync(join(stateDir, "token")).mode & 0o777, 0o600);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app"|<main id="app"/);
    // Live: session time advances between two reads.
    const read = async () =>
      (await (await fetch(`${url}api/telemetry`)).json()) as {
        timeS: number;
        groups: { voltageV: number[] };
      };
    const a = await read();
    await new Promise((r) => setTimeout(r, 1500));
    const b = await read();
    assert.ok(b.timeS > a.timeS, `time ${a.timeS} → ${b.timeS}`);
    assert.equal(b.groups.voltageV.length, 110);
    const refused = await fetch(`${url}api/pause`, {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    assert.equal(refused.status, 401);
  } catch (e) {
    // Never leave a server running behind a failed assertion.
    child.kill("SIGKILL");
    throw e;
  }
  child.kill("SIGINT");
  const stopped = setTimeout(() => child.kill("SIGKILL"), 20_000);
  assert.equal(await exited, 0, "exits by itself, cleanly, on SIGINT");
  clearTimeout(stopped);
  assert.match(out, /stopped\./);
  const db = new Database(join(stateDir, "history.sqlite"), { readonly: true });
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  const n = (db.prepare("SELECT COUNT(*) AS n FROM telemetry").get() as { n: number }).n;
  db.close();
  assert.ok(n >= 2, `history holds ${n} telemetry rows`);
});

test("coxswain start refuses bad options by name, with the value typed and what is allowed", () => {
  const r = spawnSync(
    process.execPath,
    [bin, "start", "--port", "abc", "--speed", "5000", "--state-dir", join(dir, "s2")],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--port: got "abc", expected an integer >= 0 and <= 65535/);
  assert.match(r.stderr, /--speed: got 5000, expected a finite number >= 0\.1 and <= 1000/);
});

test("a running coxswain start killed hard (SIGKILL) leaves a sound history holding what it had committed", async () => {
  const stateDir = join(dir, "killed");
  const child = spawn(
    process.execPath,
    [bin, "start", "--port", "0", "--speed", "20", "--state-dir", stateDir],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  let committedUpToS = Number.NaN;
  let timeAtKillS = Number.NaN;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) {
          clearInterval(timer);
          resolve(m[1]);
        }
      }, 50);
      exited.then(() => reject(new Error(`start exited before serving:\n${out}`)));
    });
    await new Promise((r) => setTimeout(r, 2000));
    // A history query commits what is pending, so everything up to its last sample is on disk now.
    const series = (await (await fetch(`${url}api/history/telemetry?maxPoints=100000`)).json()) as {
      timeS: number[];
    };
    committedUpToS = series.timeS[series.timeS.length - 1];
    await new Promise((r) => setTimeout(r, 1200));
    timeAtKillS = ((await (await fetch(`${url}api/telemetry`)).json()) as { timeS: number }).timeS;
  } finally {
    child.kill("SIGKILL");
  }
  assert.equal(await exited, "SIGKILL");
  assert.ok(committedUpToS > 0, `committed up to ${committedUpToS} s`);
  const db = new Database(join(stateDir, "history.sqlite"));
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  const last = (db.prepare("SELECT MAX(time_s) AS t FROM telemetry").get() as { t: number }).t;
  db.close();
  assert.ok(last >= committedUpToS, `history ends at ${last} s, had committed up to ${committedUpToS} s`);
  // At most the last wall second is lost: at 20× that is 20 s of session time (plus one telemetry period).
  assert.ok(last >= timeAtKillS - 21, `history ends at ${last} s, the session was at ${timeAtKillS} s`);
});
