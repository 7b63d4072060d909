/** The installed `coxswain` command, run as a user runs it (a child process through the npm bin). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { testCellFile } from "../../core/test/fixtures.ts";

const BIN = fileURLToPath(new URL("../../../node_modules/.bin/coxswain", import.meta.url));

function coxswain(...args: string[]) {
  const r = spawnSync(BIN, args, { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "coxswain-cli-"));
const paramsPath = join(dir, "cell.json");
writeFileSync(paramsPath, JSON.stringify(testCellFile()));

test("coxswain --help lists the command groups", () => {
  const r = coxswain("--help");
  assert.equal(r.code, 0, r.err);
  for (const c of ["start", "cell", "params"]) assert.match(r.out, new RegExp(`\\b${c}\\b`));
});

test("cell simulate: discharge-positive headerless file, output columns and charge conservation", () => {
  const data = join(dir, "profile.csv");
  // A PyBaMM-style file: header in the last comment line, current positive = discharge.
  writeFileSync(data, "# time [s],current [A]\n0,0\n10,3\n20,3\n35,-1.5\n60,0\n");
  const out = join(dir, "sim.csv");
  const r = coxswain(
    "cell",
    "simulate",
    "--params",
    paramsPath,
    "--data",
    data,
    "--current-sign",
    "discharge-positive",
    "--initial-soc",
    "0.6",
    "--temp-c",
    "25",
    "--out",
    out,
  );
  assert.equal(r.code, 0, r.err);
  const lines = readFileSync(out, "utf8").trim().split("\n");
  assert.equal(lines[0], "time_s,current_A,voltage_V,soc,temp_K");
  assert.equal(lines.length, 6);
  const rows = lines.slice(1).map((l) => l.split(",").map(Number));
  assert.deepEqual(
    rows.map((r) => r[1]),
    [0, -3, -3, 1.5, 0],
  );
  // ∫I dt = −3·10 − 3·10 + 1.5·0.995·15 (charge with η) + 0 → ΔSOC·Q.
  const dq = -60 + 1.5 * 0.995 * 15;
  assert.ok(Math.abs((rows[4][3] - 0.6) * 3 * 3600 - dq) < 1e-3, `SOC end ${rows[4][3]}`);
  assert.ok(rows.every((r) => r[2] > 3 && r[2] < 4.3 && Math.abs(r[4] - 298.15) < 5));
});

test("cell simulate: an invalid parameter file is refused with the field named", () => {
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ ...testCellFile(), capacityAh: -1 }));
  const data = join(dir, "p.csv");
  writeFileSync(data, "time_s,current_A\n0,0\n1,1\n");
  const r = coxswain("cell", "simulate", "--params", bad, "--data", data);
  assert.equal(r.code, 1);
  assert.match(r.err, /capacityAh: got -1, expected a finite number > 0/);
});

test("cell simulate: a file without a current column is refused with the columns listed", () => {
  const data = join(dir, "nocurrent.csv");
  writeFileSync(data, "time_s,voltage_V\n0,3.7\n1,3.7\n");
  const r = coxswain("cell", "simulate", "--params", paramsPath, "--data", data);
  assert.equal(r.code, 1);
  assert.match(r.err, /no current column found.*time_s, voltage_V/);
});

test("an unknown parameter-set name lists the named sets", () => {
  const r = coxswain("params", "check", "no-such-cell");
  assert.equal(r.code, 1);
  assert.match(r.err, /no parameter set named "no-such-cell"/);
});

test("twin run --report writes a self-contained HTML report of the run with its controller", () => {
  const report = join(dir, "report.html");
  const r = coxswain("twin", "run", "fault-temperature-bias", "--report", report);
  assert.equal(r.code, 0, r.err);
  const html = readFileSync(report, "utf8");
  assert.match(html, /^<!doctype html>/i);
  assert.ok((html.match(/<svg/g) ?? []).length >= 4, "plots of voltages, temperatures, SOC, limits");
  assert.doesNotMatch(html, /<script|src="http/i, "no scripts and nothing fetched");
  assert.match(r.out, /coxswain-bms controller/);
});

test("twin run needs somewhere to write", () => {
  const r = coxswain("twin", "run", "fault-temperature-bias");
  assert.equal(r.code, 1);
  assert.match(r.err, /give --out <dir>, --report <file.html>, or both/);
});

test("fit refuses a refinement test that is also a validation file", () => {
  const cycle = join(dir, "cycle.csv");
  writeFileSync(cycle, "time_s,current_A,voltage_V,temp_cell_C\n0,0,4.1,25\n1,-1,4.0,25\n2,-1,3.99,25\n");
  const r = coxswain(
    "fit",
    "--name",
    "x",
    "--pulses",
    join(dir, "hppc.csv"),
    "--refine-tests",
    `${cycle}@0.9`,
    "--validate",
    join(dir, ".", "cycle.csv"),
  );
  assert.notEqual(r.code, 0);
  assert.match(r.err, /cycle\.csv is both a refinement test and a validation file/);
  assert.match(r.err, /a fit never uses the files it is scored on/);
});
