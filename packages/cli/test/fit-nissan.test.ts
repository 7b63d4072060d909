/**
 * The shipped nissan-leaf-33ah set is what the command in docs/fit.md makes from the committed HPPC tests (and
 * scores on the committed 1–3 C discharge tests): run as a user runs it, it writes the same file byte for byte.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(root, "node_modules/.bin/coxswain");

test("docs/fit.md's nissan-leaf-33ah command gives the shipped set", () => {
  const out = join(mkdtempSync(join(tmpdir(), "coxswain-nissan-")), "nissan.json");
  const D = "data/nissan-leaf-cell-ornl";
  const hppc = (name: string, tempC: number) =>
    `${D}/NissanLeaf-cell-Low-Current-HPPC-${name}.csv.gz@${tempC}`;
  const r = spawnSync(
    BIN,
    [
      "fit",
      "--name",
      "nissan-leaf-33ah",
      "--base",
      `${D}/fit-base.json`,
      "--pulses",
      hppc("10C", 10),
      hppc("25C-2", 25),
      hppc("40C-1", 40),
      "--time-col",
      "Time(s)",
      "--current-col",
      "Current(A)",
      "--voltage-col",
      "Voltage(V)",
      "--ah-col",
      "none",
      "--capacity-test",
      `${D}/NissanLeaf-cell-Low-Current-HPPC-25C-2.csv.gz`,
      "--validate",
      `${D}/1C-Discharge-Bitrode-data.csv.gz@0`,
      `${D}/2C-Discharge-Bitrode-data.csv.gz@1`,
      `${D}/3C-Discharge-Bitrode-data.csv.gz@1`,
      "--out",
      out,
    ],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  // The validation figures of docs/fit.md, as the command prints them.
  for (const row of ["| 75.8 | 236 | -14.8 |", "| 70.1 | 215 | 3.6 |", "| 34.3 | 234 | 4.8 |"])
    assert.ok(r.stdout.includes(row), `${row} in\n${r.stdout}`);
  const shipped = readFileSync(join(root, "packages/core/params/nissan-leaf-33ah.json"), "utf8");
  assert.equal(readFileSync(out, "utf8"), shipped);
});
