/**
 * The whole identification on HPPC-like tests that the cell model itself generates at two temperatures: the
 * fitted set must reproduce the resistance tables it was made with and the voltage of a drive profile it never saw.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  celsiusToKelvin,
  compileCellParams,
  fitCell,
  fitReportHtml,
  formatCsv,
  parseCellParams,
  parseCsv,
  Rng,
  toFitSeries,
  validateAgainst,
} from "../src/index.ts";
import { fitTruthResistances, syntheticFitInput, syntheticHppc } from "./fit-synthetic.ts";
import { testCellFile } from "./fixtures.ts";

const truthFile = testCellFile({
  ...fitTruthResistances(),
  hysteresis: undefined,
  coulombicEfficiency: 1,
  arrheniusEaJperMol: 0,
});
const truth = compileCellParams(truthFile);

/** HPPC-like test from full: at each SOC level a 0.5 C step down and 30 min rest, then a 10-s pulse and 10 min rest. */
const hppc = (tempC: number, seed: number) =>
  syntheticHppc(truth, tempC, seed, [0.95, 0.75, 0.55, 0.35, 0.15], [6]);

test("fitting model-generated HPPC tests gives back the model", () => {
  const { base, ocvTable, pulseTests } = syntheticFitInput(truthFile, truth);
  const r = fitCell({ name: "refit", capacityAh: 3, ocvTable, pulseTests, rcPairs: 2, slowRc: false, base });
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(
    r.temperatures.map((t) => t.tempC),
    [10, 25],
  );
  const fitted = compileCellParams(parseCellParams(r.params));
  // Each temperature's test is one timeline, refined to the noise, and the report plots it whole.
  for (const t of r.temperatures) {
    assert.equal(t.timelines.length, 1);
    assert.ok(t.wholeTest && t.wholeTest.rmsAfterV < 0.5e-3, `${t.tempC} °C: ${t.wholeTest?.rmsAfterV}`);
  }
  const html = fitReportHtml({ model: fitted, fit: r, validation: [] });
  const whole = html.slice(html.indexOf("The whole tests"), html.indexOf("OCV per test temperature"));
  assert.equal((whole.match(/<h3>/g) ?? []).length, 2);
  assert.equal((whole.match(/<svg /g) ?? []).length, 4);
  // Resistances at the pulse SOC levels and both temperatures.
  for (const tc of [10, 25])
    for (const z of [0.35, 0.55, 0.75]) {
      const tK = celsiusToKelvin(tc);
      const rel = (a: number, b: number) => Math.abs(a / b - 1);
      assert.ok(rel(fitted.r0.at(z, tK, -1), truth.r0.at(z, tK, -1)) < 0.02, `R0 at ${z}, ${tc} °C`);
      for (let j = 0; j < 2; j++) {
        const rt = truth.rc[j].r.at(z, tK, -1);
        assert.ok(rel(fitted.rc[j].r.at(z, tK, -1), rt) < 0.03, `R${j + 1} at ${z}, ${tc} °C`);
        const tauT = rt * truth.rc[j].c.at(z, tK);
        const tauF = fitted.rc[j].r.at(z, tK, -1) * fitted.rc[j].c.at(z, tK);
        assert.ok(rel(tauF, tauT) < 0.03, `τ${j + 1} at ${z}, ${tc} °C: ${tauF} vs ${tauT}`);
      }
    }
  // A drive profile the fit never saw, simulated by the truth: the fitted set follows it within a few mV.
  const rng = new Rng(99);
  const n = 3000;
  const timeS = Float64Array.from({ length: n }, (_, k) => k);
  const currentA = Float64Array.from({ length: n }, (_, k) => (k === 0 ? 0 : -1.5 + 3 * rng.normal() * 0.5));
  // At a test temperature: between them the fit interpolates resistances by Arrhenius, the truth linearly.
  const tempK = new Float64Array(n).fill(celsiusToKelvin(25));
  const measured = validateAgainst(truth, { timeS, currentA, voltageV: new Float64Array(n), tempK }, 0.9)
    .simulation.voltageV;
  const v = validateAgainst(fitted, { timeS, currentA, voltageV: measured, tempK }, 0.9);
  assert.ok(v.figures.rmseV < 0.002, `RMSE ${v.figures.rmseV * 1000} mV`);
  assert.ok(
    v.figures.rows === n &&
      Math.abs(v.figures.chargeAh - currentA.slice(1).reduce((a, b) => a + b, 0) / 3600) < 1e-9,
  );
});

test("--long-rc: a fourth pair slower than the slow pair; with every slot taken the fastest pulse pair goes into R0", () => {
  const pulseTests = [10, 25].map((tc, k) => ({
    series: toFitSeries(parseCsv(hppc(tc, k + 1)), `synthetic ${tc} °C`)[0],
  }));
  const ocvTable = { soc: Array.from(truth.ocv.soc), ocvV: Array.from(truth.ocv.values) };
  const base = { thermal: truthFile.thermal, limits: truthFile.limits };
  const fit = (rcPairs: number, longRc: boolean) =>
    fitCell({ name: "x", capacityAh: 3, ocvTable, pulseTests, rcPairs, longRc, base });
  const plain = compileCellParams(parseCellParams(fit(2, false).params));
  const r = fit(2, true);
  const long = compileCellParams(parseCellParams(r.params));
  // Two pulse pairs, the slow pair and the long pair: four in all, R0 keeps the fastest pair beside it.
  assert.equal(plain.rc.length, 3);
  assert.equal(long.rc.length, 4);
  const foldedFit = fit(3, true);
  const folded = compileCellParams(parseCellParams(foldedFit.params));
  assert.equal(folded.rc.length, 4);
  const method = (x: typeof r) => String((x.params.provenance as Record<string, unknown>).method);
  assert.doesNotMatch(method(r), /folded/);
  assert.match(
    method(foldedFit),
    /a pair slower than the slow one and the fastest pulse pair folded into R0/,
  );
  const tK = celsiusToKelvin(25);
  const tau = (m: typeof long, j: number, z: number) => m.rc[j].r.at(z, tK, -1) * m.rc[j].c.at(z, tK);
  for (const z of [0.35, 0.55, 0.75]) {
    // Pairs in order of speed, the last one slower than the plain set's slow pair.
    for (const m of [long, folded])
      for (let j = 0; j < 3; j++) assert.ok(tau(m, j, z) < tau(m, j + 1, z), `τ order at ${z}, pair ${j}`);
    assert.ok(
      tau(long, 3, z) > tau(plain, 2, z),
      `long τ at ${z}: ${tau(long, 3, z)} vs ${tau(plain, 2, z)}`,
    );
    // The fastest pulse pair (3 s, R1 half of R0 in the truth) stays a pair beside R0.
    const r1 = plain.rc[0].r.at(z, tK, -1);
    assert.ok(Math.abs(long.r0.at(z, tK, -1) - plain.r0.at(z, tK, -1)) < 0.25 * r1, `R0 at ${z}`);
    assert.ok(Math.abs(tau(long, 0, z) / tau(plain, 0, z) - 1) < 0.1, `τ1 at ${z}`);
  }
  // This truth has no hours-long pair: the prior holds the long pair near its start (the slow pair's R), so the
  // refinement improves on its start without reaching the noise as the plain set does.
  for (const t of r.temperatures)
    assert.ok(t.wholeTest && t.wholeTest.rmsAfterV < t.wholeTest.rmsBeforeV, `${t.tempC} °C`);
  assert.throws(
    () => fitCell({ name: "x", capacityAh: 3, ocvTable, pulseTests, rcPairs: 4, base }),
    /4 pulse RC pairs plus a slow pair; at most 4 in all/,
  );
});

test("fit input errors name what is missing", () => {
  const series = toFitSeries(parseCsv(hppc(25, 5)), "x")[0];
  assert.throws(
    () =>
      fitCell({
        name: "x",
        pulseTests: [],
        base: {},
        capacityAh: 3,
        ocvTable: { soc: [0, 1], ocvV: [3, 4] },
      }),
    /at least one pulse/,
  );
  // Without an OCV test or table the long rests of the pulse test give the OCV; a test without them is refused.
  const short = toFitSeries(
    parseCsv(
      formatCsv({
        time_s: [0, 1, 2, 3, 13, 14, 30],
        current_A: [0, 0, -3, -3, 0, 0, 0],
        voltage_V: [3.7, 3.7, 3.6, 3.59, 3.68, 3.69, 3.7],
        temp_cell_C: [25, 25, 25, 25, 25, 25, 25],
      }),
    ),
    "short",
  )[0];
  assert.throws(
    () => fitCell({ name: "x", pulseTests: [{ series: short }], base: {}, capacityAh: 3 }),
    /OCV source/,
  );
  assert.ok(
    fitCell({ name: "x", pulseTests: [{ series }], base: {}, capacityAh: 3 }).params.ocv.soc.length > 3,
  );
  assert.throws(
    () =>
      fitCell({
        name: "x",
        pulseTests: [{ series }],
        base: {},
        capacityAh: 3,
        ocvTable: { soc: [0, 1], ocvV: [3, 4] },
        rcPairs: 4,
      }),
    /rcPairs: got 4/,
  );
});
