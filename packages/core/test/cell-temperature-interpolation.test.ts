/**
 * "arrhenius" interpolation between temperature rows (ln value linear in 1/T) against closed forms, the
 * parameter-format field that selects it, and the pack twin's fast path against the exact model with it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { FastCells } from "../src/cell/fast.ts";
import { CellArray } from "../src/cell/model.ts";
import {
  celsiusToKelvin,
  GAS_CONSTANT,
  loadCellModel,
  parseCellParams,
  Table,
  ValidationError,
} from "../src/index.ts";
import { Rng } from "../src/random.ts";
import { testCellFile } from "./fixtures.ts";

const SOC = [0, 0.3, 1];
const TEMPS_K = [253.75, 263.55, 273.915, 284.15, 298.95];

/**
 * A resistance R(z_i, T) = R_i(T_0)·exp(Ea_ij/R_gas·(1/T − 1/T_0)) continued interval by interval, with its own
 * activation energy per SOC point i and temperature interval j: rows sampled from it, and the closed form.
 */
function piecewiseArrhenius(r0: number[], ea: number[][]) {
  const rows: number[][] = [r0];
  for (let j = 0; j + 1 < TEMPS_K.length; j++)
    rows.push(
      rows[j].map((r, i) => r * Math.exp((ea[i][j] / GAS_CONSTANT) * (1 / TEMPS_K[j + 1] - 1 / TEMPS_K[j]))),
    );
  const exact = (i: number, tK: number) => {
    let j = 0;
    while (j + 2 < TEMPS_K.length && tK >= TEMPS_K[j + 1]) j++;
    return rows[j][i] * Math.exp((ea[i][j] / GAS_CONSTANT) * (1 / tK - 1 / TEMPS_K[j]));
  };
  return { rows, exact, table: new Table(SOC, TEMPS_K, rows.flat(), 0, "arrhenius") };
}

const arbSet = fc.record({
  r0: fc.array(fc.double({ min: 1e-3, max: 0.5, noNaN: true }), { minLength: 3, maxLength: 3 }),
  ea: fc.array(fc.array(fc.double({ min: 0, max: 80000, noNaN: true }), { minLength: 4, maxLength: 4 }), {
    minLength: 3,
    maxLength: 3,
  }),
  t: fc.double({ min: TEMPS_K[0], max: TEMPS_K[4], noNaN: true }),
});

test("a table sampled from A·exp(Ea/RT) (one Ea per interval and SOC point) is reproduced exactly between rows", () => {
  fc.assert(
    fc.property(arbSet, ({ r0, ea, t }) => {
      const { exact, table } = piecewiseArrhenius(r0, ea);
      for (let i = 0; i < SOC.length; i++) {
        const want = exact(i, t);
        assert.ok(Math.abs(table.at(SOC[i], t) / want - 1) < 1e-12, `SOC ${SOC[i]}, ${t} K`);
        // ∂/∂T of A·exp(Ea/(R_gas·T)) = −value·Ea/(R_gas·T²).
        let j = 0;
        while (j + 2 < TEMPS_K.length && t >= TEMPS_K[j + 1]) j++;
        const slope = (-want * ea[i][j]) / (GAS_CONSTANT * t * t);
        assert.ok(Math.abs(table.dT(SOC[i], t) - slope) <= 1e-9 * Math.abs(want) + 1e-12 * Math.abs(slope));
      }
    }),
    { numRuns: 200 },
  );
});

test("at a row the value is the row's, bit for bit; the linear default is unchanged and never below it", () => {
  fc.assert(
    fc.property(arbSet, ({ r0, ea, t }) => {
      const { rows, table } = piecewiseArrhenius(r0, ea);
      const linear = new Table(SOC, TEMPS_K, rows.flat());
      for (let j = 0; j < TEMPS_K.length; j++)
        for (let i = 0; i < SOC.length; i++) assert.equal(table.at(SOC[i], TEMPS_K[j]), rows[j][i]);
      const z = 0.6;
      let j = 0;
      while (j + 2 < TEMPS_K.length && t >= TEMPS_K[j + 1]) j++;
      const row = (k: number) => rows[k][1] + ((z - 0.3) / 0.7) * (rows[k][2] - rows[k][1]);
      const w = (t - TEMPS_K[j]) / (TEMPS_K[j + 1] - TEMPS_K[j]);
      assert.equal(linear.at(z, t), (1 - w) * row(j) + w * row(j + 1));
      // exp(Ea/(R_gas·T)) is convex in T: the chord between two rows lies above it.
      for (const zz of SOC) assert.ok(linear.at(zz, t) >= table.at(zz, t) * (1 - 1e-12));
    }),
    { numRuns: 200 },
  );
});

test("between rows: the SOC slope and the SOC integral follow the interpolant", () => {
  // Rows proportional (R(z, T) = f(z)·g(T)): the value is f(z)·g(T) exactly, its integral ∫f·g(T).
  const f = [0.05, 0.02, 0.03];
  const g = [4, 2.5, 1.6, 1.2, 1];
  const prop = new Table(
    SOC,
    TEMPS_K,
    g.flatMap((gj) => f.map((fi) => fi * gj)),
    0,
    "arrhenius",
  );
  const t = 268;
  const gT = g[1] * (g[2] / g[1]) ** ((1 / t - 1 / TEMPS_K[1]) / (1 / TEMPS_K[2] - 1 / TEMPS_K[1]));
  // ∫_0.1^0.8 f: f linear on [0, 0.3] and [0.3, 1].
  const fAt = (z: number) => (z <= 0.3 ? 0.05 - 0.1 * z : 0.02 + ((z - 0.3) / 0.7) * 0.01);
  const intF = 0.5 * (fAt(0.1) + 0.02) * 0.2 + 0.5 * (0.02 + fAt(0.8)) * 0.5;
  assert.ok(Math.abs(prop.integrateSoc(0.1, 0.8, t) / (gT * intF) - 1) < 1e-13);
  assert.ok(Math.abs(prop.dSoc(0.5, t) - (gT * 0.01) / 0.7) < 1e-15);
  // Held outside the SOC axis: ∫ from −0.2 to 0 is 0.2·value at SOC 0.
  assert.ok(Math.abs(prop.integrateSoc(-0.2, 0, t) - 0.2 * prop.at(0, t)) < 1e-15);
  assert.ok(Math.abs(prop.integrateSoc(0.8, 0.1, t) + prop.integrateSoc(0.1, 0.8, t)) < 1e-16);

  // One row constant over SOC, the next linear (b = β + δz): ∫ a^(1−u)·b^u dz = a^(1−u)·b^(u+1)/((u+1)·δ).
  const lin = new Table([0, 1], [263.15, 283.15], [0.08, 0.08, 0.02, 0.04], 0, "arrhenius");
  const u = (1 / t - 1 / 263.15) / (1 / 283.15 - 1 / 263.15);
  const anti = (z: number) => (0.08 ** (1 - u) * (0.02 + 0.02 * z) ** (u + 1)) / ((u + 1) * 0.02);
  assert.ok(Math.abs(lin.integrateSoc(0.2, 0.9, t) / (anti(0.9) - anti(0.2)) - 1) < 1e-12);
  // The same with the second row rising twentyfold over the segment (b = 0.002 + 0.038·z).
  const steep = new Table([0, 1], [263.15, 283.15], [0.08, 0.08, 0.002, 0.04], 0, "arrhenius");
  const antiSteep = (z: number) => (0.08 ** (1 - u) * (0.002 + 0.038 * z) ** (u + 1)) / ((u + 1) * 0.038);
  assert.ok(Math.abs(steep.integrateSoc(0, 1, t) / (antiSteep(1) - antiSteep(0)) - 1) < 1e-12);
  // Its SOC slope: value·u·δ/b.
  const z = 0.4;
  assert.ok(Math.abs(lin.dSoc(z, t) - (lin.at(z, t) * u * 0.02) / (0.02 + 0.02 * z)) < 1e-15);
});

test("an Arrhenius blend of a value ≤ 0 is refused with an error naming the value", () => {
  assert.throws(
    () => new Table([0, 1], [263.15, 283.15], [0.02, 0, 0.01, 0.01], 0, "arrhenius"),
    /SOC 1, -10\.00 °C: got 0, expected a finite value > 0/,
  );
  // One temperature row takes no logarithm: zero is fine there, and with linear interpolation anywhere.
  assert.doesNotThrow(() => new Table([0, 1], [298.15], [0, 0], 0, "arrhenius"));
  assert.doesNotThrow(() => new Table([0, 1], [263.15, 283.15], [0.02, 0, 0.01, 0.01]));
});

test("temperatureInterpolation in a set: validated, default linear, applied to R0, R_k and C_k only", () => {
  const file = JSON.parse(JSON.stringify(testCellFile()));
  const issue = (json: unknown, path: string, ...fragments: string[]) =>
    assert.throws(
      () => parseCellParams(json),
      (e: unknown) => {
        assert.ok(e instanceof ValidationError, String(e));
        assert.ok(
          e.issues.some((i) => i.path === path),
          `no issue at ${path}: ${e.message}`,
        );
        for (const f of fragments) assert.ok(e.message.includes(f), `"${f}" missing: ${e.message}`);
        return true;
      },
    );
  issue({ ...file, temperatureInterpolation: "log" }, "temperatureInterpolation", '"log"', '"arrhenius"');
  const zeroR0 = structuredClone(file.r0Ohm);
  zeroR0.discharge.values[1][2] = 0;
  issue(
    { ...file, temperatureInterpolation: "arrhenius", r0Ohm: zeroR0 },
    "r0Ohm.discharge.values[1][2]",
    "got 0",
    "> 0",
  );
  const zeroC = [{ rOhm: 0.01, cF: { tempC: [0, 25], values: [0, 100] } }];
  issue({ ...file, temperatureInterpolation: "arrhenius", rc: zeroC }, "rc[0].cF.values[0]", "got 0");
  assert.doesNotThrow(() => parseCellParams({ ...file, r0Ohm: zeroR0 }), "linear takes no logarithm");

  const linear = loadCellModel(file);
  const arr = loadCellModel({ ...file, temperatureInterpolation: "arrhenius" });
  assert.equal(parseCellParams(file).temperatureInterpolation, "linear");
  assert.equal(linear.r0.discharge.tempInterpolation, "linear");
  for (const t of [arr.r0.charge, arr.r0.discharge, ...arr.rc.flatMap((b) => [b.r.discharge, b.c])])
    assert.equal(t.tempInterpolation, "arrhenius");
  assert.equal(arr.ocv.tempInterpolation, "linear");
  assert.equal(arr.hysteresis?.m.tempInterpolation, "linear");
  // R0 at 10 °C between the rows at 0 and 25 °C: the geometric blend in 1/T.
  const t = celsiusToKelvin(10);
  const u = (1 / t - 1 / 273.15) / (1 / 298.15 - 1 / 273.15);
  assert.ok(Math.abs(arr.r0.at(0.5, t, -1) - 0.052 * (0.031 / 0.052) ** u) < 1e-15);
  assert.equal(linear.r0.at(0.5, t, -1), 0.052 + (10 / 25) * (0.031 - 0.052));
});

test("the pack twin's fast path follows the exact model with arrhenius tables (state and voltage to 1e-9)", () => {
  // The identified LG M50 set (R0, R_k, C_k over 0.95…45.3 °C) made "arrhenius"; the temperature swings from 8
  // to 42 °C, inside the axis, where the blend differs from the linear one.
  const file = JSON.parse(readFileSync(new URL("../params/lg-m50.json", import.meta.url), "utf8"));
  const model = loadCellModel({ ...file, temperatureInterpolation: "arrhenius" }, "lg-m50, arrhenius");
  const linear = loadCellModel(file, "lg-m50");
  const exact = new CellArray(model, 1, { soc: 0.7, tempK: 298.15 });
  const cells = new CellArray(model, 1, { soc: 0.7, tempK: 298.15 });
  const fast = new FastCells(cells, 1);
  const rng = new Rng(5);
  const breakpoints = [...model.ocv.soc, ...model.dUdT.soc];
  let current = 0;
  let maxDv = 0;
  let moved = 0;
  for (let k = 0; k < 12000; k++) {
    if (k % 50 === 0) current = (rng.uniform() < 0.4 ? 1 : -1) * rng.range(0.5, 8);
    const tK = 298.15 + 17 * Math.sin(k / 900);
    exact.tCellK[0] = tK;
    cells.tCellK[0] = tK;
    const z0 = exact.soc[0];
    const ve = exact.step(0, current, 0.1);
    fast.beginStep(0.1);
    fast.linearize(0, fast.modeOf(current));
    fast.currentA[0] = current;
    fast.commit(0);
    const z1 = exact.soc[0];
    // Across an OCV breakpoint the fast path's voltage is the linearised one (tested in twin-fast).
    if (!breakpoints.some((b) => (b - z0) * (b - z1) <= 0))
      maxDv = Math.max(maxDv, Math.abs(ve - fast.voltageV[0]));
    moved = Math.max(moved, Math.abs(model.r0.at(z1, tK, -1) / linear.r0.at(z1, tK, -1) - 1));
  }
  assert.ok(Math.abs(exact.soc[0] - cells.soc[0]) < 1e-9);
  for (let k = 0; k < exact.nRc; k++) assert.ok(Math.abs(exact.vrc[k][0] - cells.vrc[k][0]) < 1e-9);
  assert.ok(maxDv < 1e-9, `max voltage difference ${maxDv} V`);
  assert.ok(moved > 1e-5, `the blend did not differ from the linear one (${moved})`);
});

test("the shipped Panasonic set's filled rows keep a linear blend near the Arrhenius one (5 rows alone: far off)", () => {
  // docs/fit.md: the fitter fills rows every ≤ 2.5 K between the test temperatures by ln R linear in 1/T, so the
  // "arrhenius" field changes this set little. Reference: the five test temperatures' rows, "arrhenius".
  const file = JSON.parse(readFileSync(new URL("../params/panasonic-18650pf.json", import.meta.url), "utf8"));
  const testTempsC = [-19.4, -9.6, 0.765, 11, 25.8];
  type Spec = { soc: number[]; tempC: number[]; values: number[][] };
  const specs: Spec[] = [file.r0Ohm, ...file.rc.map((b: { rOhm: Spec }) => b.rOhm)];
  const worst = { filled: 0, filledMidSoc: 0, rowsMidSoc: 0 };
  for (const s of specs) {
    const keep = testTempsC.map((tc) => s.tempC.indexOf(tc));
    assert.ok(keep.every((i) => i >= 0));
    const rows = keep.map((i) => s.values[i]);
    const kelvin = (tcs: number[]) => tcs.map(celsiusToKelvin);
    const filled = new Table(s.soc, kelvin(s.tempC), s.values.flat());
    const linear5 = new Table(s.soc, kelvin(testTempsC), rows.flat());
    const arrhenius5 = new Table(s.soc, kelvin(testTempsC), rows.flat(), 0, "arrhenius");
    for (let tc = -19.4; tc < 25.8; tc += 0.05)
      for (const z of s.soc) {
        const tK = celsiusToKelvin(tc);
        const ref = arrhenius5.at(z, tK);
        const e = Math.abs(filled.at(z, tK) / ref - 1);
        worst.filled = Math.max(worst.filled, e);
        if (z < 0.2 || z > 0.8) continue;
        worst.filledMidSoc = Math.max(worst.filledMidSoc, e);
        worst.rowsMidSoc = Math.max(worst.rowsMidSoc, Math.abs(linear5.at(z, tK) / ref - 1));
      }
  }
  // Measured: 3.7 % (the ≈ 30-s pair at SOC 0 near 12 °C), 0.8 % over SOC 0.2…0.8, and 21 % for five rows alone.
  assert.ok(worst.filled < 0.04, `filled rows: ${worst.filled}`);
  assert.ok(worst.filledMidSoc < 0.01, `filled rows, SOC 0.2…0.8: ${worst.filledMidSoc}`);
  assert.ok(worst.rowsMidSoc > 0.15, `five rows blended linearly, SOC 0.2…0.8: ${worst.rowsMidSoc}`);
});
