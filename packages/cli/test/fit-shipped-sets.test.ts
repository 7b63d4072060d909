/**
 * The shipped lg-m50 and nissan-leaf-33ah sets are what the commands in docs/fit.md make from the committed tests:
 * run as a user runs them, they write the same files byte for byte and print the documented validation figures.
 * (panasonic-18650pf: packages/core/test/fit-shipped.test.ts.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(root, "node_modules/.bin/coxswain");

/** Runs `coxswain fit <args> --out <tmp>` from the repository root; returns what it printed and wrote. */
function fit(args: string[]): { stdout: string; written: string } {
  const out = join(mkdtempSync(join(tmpdir(), "coxswain-fit-")), "set.json");
  const r = spawnSync(BIN, ["fit", ...args, "--out", out], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return { stdout: r.stdout, written: readFileSync(out, "utf8") };
}

const shipped = (name: string) => readFileSync(join(root, `packages/core/params/${name}.json`), "utf8");

test("docs/fit.md's lg-m50 command gives the shipped set", () => {
  const D = "data/lg-m50-wmg";
  // The shell's order of the globs in the documented command.
  const files = (dir: string) =>
    readdirSync(join(root, D, dir))
      .sort()
      .map((f) => `${D}/${dir}/${f}`);
  const r = fit([
    ...[
      "--name",
      "lg-m50",
      "--base",
      `${D}/fit-base.json`,
      "--ocv-table",
      `${D}/ocv/25C_pseudo_ocv_table.csv.gz`,
    ],
    ...["--pulses", ...files("pulse"), "--record-cols", "soc_setpoint_pct", "--soc-col", "soc_setpoint_pct"],
    ...["--ah-col", "none", "--capacity-ah", "5", "--validate", ...files("rate_tests")],
    ...["--validate-temp-col", "temp_mid_C", "--no-whole-test"],
  ]);
  for (const row of ["| 0C_0p1C_discharge_charge.csv |", "| 156.8 | 767 | 86.6 |", "| 42.6 | 459 | -9.4 |"])
    assert.ok(r.stdout.includes(row), `${row} in\n${r.stdout}`);
  assert.equal(r.written, shipped("lg-m50"));
});

test("docs/fit.md's nissan-leaf-33ah command gives the shipped set", () => {
  const D = "data/nissan-leaf-cell-ornl";
  const hppc = (name: string, tempC: number) =>
    `${D}/NissanLeaf-cell-Low-Current-HPPC-${name}.csv.gz@${tempC}`;
  const r = fit([
    ...["--name", "nissan-leaf-33ah", "--base", `${D}/fit-base.json`],
    ...["--pulses", hppc("10C", 10), hppc("25C-2", 25), hppc("40C-1", 40)],
    ...[
      "--time-col",
      "Time(s)",
      "--current-col",
      "Current(A)",
      "--voltage-col",
      "Voltage(V)",
      "--ah-col",
      "none",
    ],
    ...["--capacity-test", `${D}/NissanLeaf-cell-Low-Current-HPPC-25C-2.csv.gz`],
    ...["--validate", `${D}/1C-Discharge-Bitrode-data.csv.gz@0`, `${D}/2C-Discharge-Bitrode-data.csv.gz@1`],
    `${D}/3C-Discharge-Bitrode-data.csv.gz@1`,
  ]);
  // The validation figures of docs/fit.md, as the command prints them.
  for (const row of ["| 75.8 | 236 | -14.8 |", "| 70.1 | 215 | 3.6 |", "| 34.3 | 234 | 4.8 |"])
    assert.ok(r.stdout.includes(row), `${row} in\n${r.stdout}`);
  assert.equal(r.written, shipped("nissan-leaf-33ah"));
});
