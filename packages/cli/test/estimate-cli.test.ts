/** `coxswain estimate` run as a user runs it, on model data whose true SOC is known. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { compileCellParams, formatCsv, parseCsv } from "@coxswain/core";
import { syntheticRun } from "../../core/test/estimate-synthetic.ts";
import { testCellFile } from "../../core/test/fixtures.ts";

const BIN = fileURLToPath(new URL("../../../node_modules/.bin/coxswain", import.meta.url));

function coxswain(...args: string[]) {
  const r = spawnSync(BIN, args, { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "coxswain-estimate-"));
const paramsPath = join(dir, "cell.json");
const file = testCellFile();
writeFileSync(paramsPath, JSON.stringify(file));
// One hour of model data in the file conventions (°C, charge-positive), plus a discharge-positive copy in mA.
const run = syntheticRun(compileCellParams(file), {
  seed: 9,
  seconds: 3600,
  initialSoc: 0.8,
  voltageNoiseV: 0.002,
});
const dataPath = join(dir, "run.csv");
writeFileSync(
  dataPath,
  formatCsv({
    time_s: run.timeS,
    current_A: run.currentA,
    voltage_V: run.voltageV,
    temp_cell_C: run.tempK.map((k) => k - 273.15),
  }),
);
const otherPath = join(dir, "other.csv");
writeFileSync(
  otherPath,
  formatCsv({ t: run.timeS, i_mA: run.currentA.map((i) => -1000 * i), u: run.voltageV }),
);

for (const filter of ["ekf", "spkf", "cc"])
  test(`estimate --filter ${filter}: writes time_s,soc,soc_sigma that track the true SOC`, () => {
    const out = join(dir, `est-${filter}.csv`);
    const r = coxswain(
      "estimate",
      "--params",
      paramsPath,
      "--data",
      dataPath,
      "--filter",
      filter,
      "--initial-soc",
      "0.8",
      "--out",
      out,
    );
    assert.equal(r.code, 0, r.err);
    const t = parseCsv(readFileSync(out, "utf8"));
    assert.deepEqual(t.columns.slice(0, 3), ["time_s", "soc", "soc_sigma"]);
    assert.equal(t.rows, run.timeS.length);
    let worst = 0;
    for (let k = 0; k < t.rows; k++) worst = Math.max(worst, Math.abs(t.data[1][k] - run.trueSoc[k]));
    assert.ok(worst < 0.02, `largest SOC error ${worst}`);
  });

test("estimate: column mapping (other names, mA, discharge-positive, no temperature) and a 20-point wrong start", () => {
  const out = join(dir, "est-mapped.csv");
  const r = coxswain(
    "estimate",
    "--params",
    paramsPath,
    "--data",
    otherPath,
    "--time-col",
    "t",
    "--current-col",
    "i_mA",
    "--voltage-col",
    "u",
    "--current-scale",
    "0.001",
    "--current-sign",
    "discharge-positive",
    "--temp-c",
    "25",
    "--initial-soc",
    "0.6",
    "--out",
    out,
  );
  assert.equal(r.code, 0, r.err);
  const t = parseCsv(readFileSync(out, "utf8"));
  // Within 2 points after 10 minutes and thereafter.
  for (let k = 600; k < t.rows; k++) assert.ok(Math.abs(t.data[1][k] - run.trueSoc[k]) < 0.02, `row ${k}`);
});

test("estimate: bad input is named", () => {
  const r = coxswain("estimate", "--params", paramsPath, "--data", dataPath, "--initial-soc", "80");
  assert.notEqual(r.code, 0);
  assert.match(r.err, /--initial-soc must be a number in \[0, 1\], got "80"/);
  const t = join(dir, "tuning.json");
  writeFileSync(t, JSON.stringify({ voltageNoiseV: -1 }));
  const r2 = coxswain("estimate", "--params", paramsPath, "--data", dataPath, "--tuning", t);
  assert.notEqual(r2.code, 0);
  assert.match(r2.err, /voltageNoiseV: got -1/);
});

test("estimate: a start 20 points low under load — the hypothesis bank corrects it, --no-hypothesis-bank keeps the plain filter", () => {
  // The same model data, cut to start at the first loaded row after ten minutes of driving.
  let k0 = 600;
  while (Math.abs(run.currentA[k0]) < 0.1 * file.capacityAh) k0++;
  const loadedPath = join(dir, "loaded.csv");
  writeFileSync(
    loadedPath,
    formatCsv({
      time_s: run.timeS.subarray(k0).map((s) => s - k0),
      current_A: run.currentA.subarray(k0),
      voltage_V: run.voltageV.subarray(k0),
      temp_cell_C: run.tempK.subarray(k0).map((k) => k - 273.15),
    }),
  );
  const start = (run.trueSoc[k0] - 0.2).toFixed(4);
  const rmse = (...flags: string[]) => {
    const out = join(dir, `est-loaded${flags.join("")}.csv`);
    const r = coxswain(
      "estimate",
      "--params",
      paramsPath,
      "--data",
      loadedPath,
      "--initial-soc",
      start,
      ...flags,
      "--out",
      out,
    );
    assert.equal(r.code, 0, r.err);
    const t = parseCsv(readFileSync(out, "utf8"));
    let se = 0;
    for (let k = 0; k < t.rows; k++) se += (t.data[1][k] - run.trueSoc[k0 + k]) ** 2;
    return Math.sqrt(se / t.rows);
  };
  const withBank = rmse();
  const plain = rmse("--no-hypothesis-bank");
  assert.ok(withBank < 0.5 * plain, `RMSE with the bank ${withBank}, without ${plain}`);
});
