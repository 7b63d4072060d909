/**
 * `arrheniusBetweenRows` (`coxswain fit --arrhenius-between-rows`): the set carries temperatureInterpolation
 * "arrhenius" and only the test temperatures' rows, and the model's interpolation between them is the rule by which
 * the default set's filled rows were made.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  celsiusToKelvin,
  compileCellParams,
  fitCell,
  parseCellParams,
  parseCsv,
  type Table,
  toFitSeries,
} from "../src/index.ts";
import { fitTruthResistances, syntheticHppc } from "./fit-synthetic.ts";
import { testCellFile } from "./fixtures.ts";

const truthFile = testCellFile({
  ...fitTruthResistances(),
  hysteresis: undefined,
  coulombicEfficiency: 1,
  arrheniusEaJperMol: 0,
});
const truth = compileCellParams(truthFile);

test("--arrhenius-between-rows: test-temperature rows only, and the model's blend gives the filled rows", () => {
  const pulseTests = [10, 25].map((tc, k) => ({
    series: toFitSeries(
      parseCsv(syntheticHppc(truth, tc, k + 1, [0.95, 0.75, 0.55, 0.35, 0.15], [6])),
      `synthetic ${tc} °C`,
    )[0],
  }));
  const ocvTable = { soc: Array.from(truth.ocv.soc), ocvV: Array.from(truth.ocv.values) };
  const base = { thermal: truthFile.thermal, limits: truthFile.limits };
  const fit = (arrheniusBetweenRows: boolean) =>
    fitCell({ name: "x", capacityAh: 3, ocvTable, pulseTests, rcPairs: 2, arrheniusBetweenRows, base })
      .params;
  const filled = parseCellParams(fit(false));
  const own = parseCellParams(fit(true));
  assert.equal(filled.temperatureInterpolation, "linear");
  assert.equal(own.temperatureInterpolation, "arrhenius");
  assert.match(String((own.provenance as Record<string, unknown>).method), /Arrhenius interpolation between/);
  type Spec = { tempC: number[]; values: number[][] };
  const r0Filled = filled.r0Ohm as Spec;
  const r0Own = own.r0Ohm as Spec;
  assert.deepEqual(r0Filled.tempC, [10, 12.5, 15, 17.5, 20, 22.5, 25]);
  assert.deepEqual(r0Own.tempC, [10, 25]);
  // The identification does not depend on the option: the same rows at the test temperatures.
  const specs = (f: typeof own) => [
    f.r0Ohm as Spec,
    ...(f.rc ?? []).flatMap((b) => [b.rOhm as Spec, b.cF as Spec]),
  ];
  specs(own).forEach((s, k) => {
    const other = specs(filled)[k];
    assert.deepEqual(s.values, [other.values[0], other.values[other.values.length - 1]]);
  });
  // At every filled temperature and SOC point the compiled "arrhenius" set gives the filled value (to the six
  // digits the file keeps), R0, R_k and C_k alike; between two filled rows a resistance's linear chord lies above it.
  const a = compileCellParams(own);
  const l = compileCellParams(filled);
  const tables = (m: typeof a): Table[] => [m.r0.discharge, ...m.rc.flatMap((b) => [b.r.discharge, b.c])];
  const grid = Array.from(a.r0.discharge.soc);
  tables(a).forEach((t, k) => {
    const spec = specs(filled)[k];
    spec.tempC.forEach((tc, j) => {
      grid.forEach((z, i) => {
        const want = spec.values[j][i];
        assert.ok(
          Math.abs(t.at(z, celsiusToKelvin(tc)) / want - 1) < 1e-5,
          `table ${k} at ${tc} °C, SOC ${z}`,
        );
      });
    });
    // Resistances (R0 at 0, R_k at odd indices; C_k at 2, 4, …) fall as T rises: convex, below their chord.
    if (k > 0 && k % 2 === 0) return;
    for (const z of [0.2, 0.5, 0.8]) {
      const mid = celsiusToKelvin(11.25);
      assert.ok(tables(l)[k].at(z, mid) >= t.at(z, mid) * (1 - 1e-6), `table ${k} at 11.25 °C, SOC ${z}`);
    }
  });
});
