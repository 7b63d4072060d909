import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { dataPath, readTextFile } from "@coxswain/node/data";
import { ocvAt } from "../src/cell/model.ts";
import { loadCellModel, parseCellParams } from "../src/cell/params.ts";
import { simulateCell } from "../src/cell/simulate.ts";
import { fitArrhenius, importPybammEcm, type PybammEcmTables } from "../src/import/pybamm-ecm.ts";
import { celsiusToKelvin } from "../src/units.ts";

const read = (name: string) => readTextFile(dataPath(`pybamm-ecm-example/${name}`));
const example = (): PybammEcmTables => ({
  ocv: read("ecm_example_ocv.csv"),
  dUdT: read("ecm_example_dudt.csv"),
  r0: read("ecm_example_r0.csv"),
  rc: [{ r: read("ecm_example_r1.csv"), c: read("ecm_example_c1.csv") }],
});
const options = { name: "ecm", capacityAh: 100, voltageMinV: 3.2, voltageMaxV: 4.2 };

/** The CSV's rows as numbers, read independently of the importer: `T,I,SOC,value`. */
function rows(text: string): number[][] {
  return text
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => l.split(",").map(Number));
}

test("PyBaMM ECM example: R0, R1, C1 at 1 C equal the CSV rows at PyBaMM's ±100 A, at every (T, SOC)", () => {
  const set = importPybammEcm(example(), options);
  const r0 = set.r0Ohm as { soc: number[]; tempC: number[]; values: number[][] };
  const r1 = set.rc![0].rOhm as typeof r0;
  const c1 = set.rc![0].cF as typeof r0;
  // The example's tables are symmetric in current, so one table serves both directions.
  assert.ok(!("charge" in (set.r0Ohm as object)), "symmetric tables collapse to one");
  const check = (csv: string, table: typeof r0) => {
    let n = 0;
    for (const [t, i, soc, v] of rows(csv)) {
      if (Math.abs(i) !== 100) continue;
      const ti = table.tempC.indexOf(t);
      const si = table.soc.findIndex((s) => Math.abs(s - soc) < 1e-9);
      assert.ok(ti >= 0 && si >= 0, `grid point T=${t} SOC=${soc} kept`);
      const got = table.values[ti][si];
      assert.ok(Math.abs(got - v) <= 1e-5 * v, `T=${t} I=${i} SOC=${soc}: ${got} vs CSV ${v}`);
      n++;
    }
    assert.equal(n, 2 * 8 * 21);
  };
  check(read("ecm_example_r0.csv"), r0);
  check(read("ecm_example_r1.csv"), r1);
  check(read("ecm_example_c1.csv"), c1);
});

test("PyBaMM ECM example: fitted activation energy equals PyBaMM's documented Ea = 20 kJ/mol", () => {
  const set = importPybammEcm(example(), options);
  assert.ok(Math.abs(set.arrheniusEaJperMol! - 20000) < 200, `${set.arrheniusEaJperMol}`);
  // And the fit itself recovers a known Ea from an exact Arrhenius table.
  const temps = [-10, 10, 30];
  const ea = 35000;
  const exact = temps.map((t) => [1, 2].map((k) => k * Math.exp(ea / 8.314462618 / celsiusToKelvin(t))));
  assert.equal(fitArrhenius(temps, exact), ea);
});

test("PyBaMM ECM example: dU/dT over SOC is the (OCV, T) table read at 25 °C through the OCV curve", () => {
  const set = importPybammEcm(example(), options);
  const d = set.dUdT_VperK as { soc: number[]; values: number[] };
  const table = rows(read("ecm_example_dudt.csv")); // OCV, T, dUdT
  const volts = [...new Set(table.map((r) => r[0]))].sort((a, b) => a - b);
  const at = (u: number, t: number) => table.find((r) => r[0] === u && r[1] === t)![2];
  for (const z of [0.1, 0.3, 0.5, 0.7, 0.9]) {
    const k = d.soc.findIndex((s) => Math.abs(s - z) < 1e-9);
    const u = set.ocv.voltageV[k] as number;
    const i = volts.findIndex((v, j) => v <= u && u <= volts[j + 1]);
    const w = (u - volts[i]) / (volts[i + 1] - volts[i]);
    // 25 °C lies a quarter of the way from the 20 °C to the 40 °C column.
    const at25 = (v: number) => 0.75 * at(v, 20) + 0.25 * at(v, 40);
    const expected = (1 - w) * at25(volts[i]) + w * at25(volts[i + 1]);
    assert.ok(Math.abs(d.values[k] - expected) < 1e-9, `SOC ${z}: ${d.values[k]} vs ${expected}`);
  }
});

/** A 2 × 3 × 2 (T, I, SOC) table whose value depends on the current's sign only. */
function signTable(name: string, discharge: number, charge: number): string {
  const lines = [`Temperature [degC],Current [A],SoC,${name}`];
  for (const t of [0, 40])
    for (const i of [-50, 0, 50])
      for (const z of [0, 1])
        lines.push(`${t},${i},${z},${i < 0 ? charge : i > 0 ? discharge : (charge + discharge) / 2}`);
  return lines.join("\n");
}

test("PyBaMM's negative current is coxswain's charge: a table with charge ≠ discharge lands on the right branch", () => {
  const set = importPybammEcm(
    {
      ocv: "SoC,OCV [V]\n0,3.0\n1,4.0",
      r0: signTable("R0 [Ohm]", 0.001, 0.003),
      rc: [{ r: signTable("R1 [Ohm]", 0.002, 0.002), c: signTable("C1 [F]", 1000, 1000) }],
    },
    { name: "signs", capacityAh: 50, voltageMinV: 3, voltageMaxV: 4 },
  );
  const r0 = set.r0Ohm as { charge: { values: number[][] }; discharge: { values: number[][] } };
  assert.equal(r0.charge.values[0][0], 0.003);
  assert.equal(r0.discharge.values[0][0], 0.001);
  assert.equal(set.limits.chargeCurrentMaxA, 50);
  // In the model: an instantaneous 10 A charge step raises the voltage by 3 mΩ × 10 A, a discharge lowers it by 1 mΩ × 10 A.
  const m = loadCellModel(set);
  const step = (i: number) =>
    simulateCell(
      m,
      { timeS: [0, 1e-9], currentA: [0, i] },
      { initialSoc: 0.5, initialTempK: celsiusToKelvin(25) },
    );
  const ocv = ocvAt(m, 0.5, celsiusToKelvin(25));
  assert.ok(Math.abs(step(10).voltageV[1] - ocv - 0.03) < 1e-6);
  assert.ok(Math.abs(step(-10).voltageV[1] - ocv + 0.01) < 1e-6);
});

test("a table that is not a full grid is refused with a message naming the file", () => {
  const bad = signTable("R0 [Ohm]", 0.001, 0.002).split("\n").slice(0, -1).join("\n");
  assert.throws(
    () => importPybammEcm({ ocv: "SoC,OCV [V]\n0,3\n1,4", r0: bad, rc: [] }, options),
    /R0 table: 11 rows, but the axes \(2 × 3 × 2\) make a grid of 12 points/,
  );
});

test("the committed pybamm-ecm-example set is what the importer produces today", () => {
  const committed = JSON.parse(
    readFileSync(new URL("../params/pybamm-ecm-example.json", import.meta.url), "utf8"),
  );
  const fresh = importPybammEcm(example(), { ...options, name: "pybamm-ecm-example" });
  assert.deepEqual(parseCellParams(committed).r0Ohm, fresh.r0Ohm);
  assert.deepEqual(parseCellParams(committed).rc, fresh.rc);
  assert.deepEqual(parseCellParams(committed).ocv, fresh.ocv);
  assert.deepEqual(parseCellParams(committed).dUdT_VperK, fresh.dUdT_VperK);
});

test("the directory reader finds the PyBaMM example's files by name, gzipped or not", async () => {
  const { readPybammEcmDir } = await import("@coxswain/node/import");
  const dir = dataPath("pybamm-ecm-example/ecm_example_ocv.csv").replace(/ecm_example_ocv\.csv$/, "");
  const tables = readPybammEcmDir(dir);
  assert.equal(tables.rc.length, 1);
  assert.deepEqual(importPybammEcm(tables, options), importPybammEcm(example(), options));
  assert.throws(() => readPybammEcmDir(`${dir}does-not-exist`), /cannot read directory/);
});
