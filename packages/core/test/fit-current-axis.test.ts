/**
 * The opt-in current axis of the fit: HPPC-like tests that the cell model generates with a known current-dependent
 * R0 and R1 (pulses at three currents per SOC level, two temperatures) give back the multiplier and the
 * resistances at every current; without the option, or with one pulse current, the set has no axis.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  celsiusToKelvin,
  compileCellParams,
  fitCell,
  parseCellParams,
  parseCsv,
  r0At,
  toFitSeries,
} from "../src/index.ts";
import { fitTruthResistances, syntheticHppc } from "./fit-synthetic.ts";
import { testCellFile } from "./fixtures.ts";

const SCALE = {
  currentA: [1.5, 3, 6],
  scale: [1, { tempC: [10, 25], values: [0.78, 0.9] }, { tempC: [10, 25], values: [0.6, 0.8] }],
};
const tables = fitTruthResistances();
const truthFile = testCellFile({
  r0Ohm: tables.r0Ohm,
  r0CurrentScale: SCALE,
  rc: [{ ...tables.rc[0], rCurrentScale: SCALE }, tables.rc[1]],
  hysteresis: undefined,
  coulombicEfficiency: 1,
  arrheniusEaJperMol: 0,
});
const truth = compileCellParams(truthFile);

/** From full: at each SOC level a 0.5 C step down, then 10-s pulses at the given currents, 10 min rest after each. */
const hppc = (tempC: number, seed: number, pulseCurrentsA: number[]) =>
  syntheticHppc(truth, tempC, seed, [0.9, 0.7, 0.5, 0.3], pulseCurrentsA);

const ocvTable = { soc: Array.from(truth.ocv.soc), ocvV: Array.from(truth.ocv.values) };
const base = { thermal: truthFile.thermal, limits: truthFile.limits };
const tests = (currents: number[]) =>
  [10, 25].map((tc, k) => ({
    series: toFitSeries(parseCsv(hppc(tc, k + 1, currents)), `synthetic ${tc} °C`)[0],
  }));

test("the current axis of R0 and R1 comes back from pulses at three currents (within 2–3 %)", () => {
  const pulseTests = tests([1.5, 3, 6]);
  const r = fitCell({
    name: "axis",
    capacityAh: 3,
    ocvTable,
    pulseTests,
    slowRc: false,
    currentAxis: true,
    base,
  });
  assert.deepEqual(r.warnings, []);
  const fitted = compileCellParams(parseCellParams(r.params));
  assert.deepEqual(r.params.r0CurrentScale?.currentA, [1.5, 3, 6]);
  const rel = (a: number, b: number) => Math.abs(a / b - 1);
  const cs = fitted.r0CurrentScale;
  const r1s = fitted.rc[0].rCurrentScale;
  assert.ok(cs && r1s && fitted.rc[1].rCurrentScale === null);
  for (const tc of [10, 25]) {
    const tK = celsiusToKelvin(tc);
    for (const i of [-1.5, -3, -6, -4.5]) {
      assert.ok(
        rel(cs.at(0.5, tK, i), truth.r0CurrentScale?.at(0.5, tK, i) ?? 1) < 0.02,
        `scale ${i} A, ${tc} °C`,
      );
      for (const z of [0.3, 0.5, 0.7]) {
        const r0 = r0At(fitted, z, tK, i);
        assert.ok(rel(r0, r0At(truth, z, tK, i)) < 0.02, `R0 at ${z}, ${i} A, ${tc} °C: ${r0}`);
        const r1 = fitted.rc[0].r.at(z, tK, i) * r1s.at(z, tK, i);
        const r1True = truth.rc[0].r.at(z, tK, i) * (truth.rc[0].rCurrentScale?.at(z, tK, i) ?? 1);
        assert.ok(rel(r1, r1True) < 0.03, `R1 at ${z}, ${i} A, ${tc} °C: ${r1} vs ${r1True}`);
      }
    }
  }
  // The whole test of each temperature is refined to the noise with the axis held.
  for (const t of r.temperatures)
    assert.ok(t.wholeTest && t.wholeTest.rmsAfterV < 0.5e-3, `${t.tempC} °C: ${t.wholeTest?.rmsAfterV}`);
});

test("without the option, or with one pulse current, the set has no current axis", () => {
  const three = tests([1.5, 3, 6]);
  const plain = fitCell({ name: "p", capacityAh: 3, ocvTable, pulseTests: three, slowRc: false, base });
  assert.equal(plain.params.r0CurrentScale, undefined);
  assert.ok(plain.params.rc?.every((b) => b.rCurrentScale === undefined));
  const one = fitCell({
    name: "o",
    capacityAh: 3,
    ocvTable,
    pulseTests: tests([3]),
    slowRc: false,
    currentAxis: true,
    base,
  });
  assert.equal(one.params.r0CurrentScale, undefined);
  assert.match(one.warnings.join("\n"), /fewer than two current classes/);
  assert.throws(
    () =>
      fitCell({
        name: "x",
        capacityAh: 3,
        ocvTable,
        pulseTests: three,
        currentAxis: true,
        longRc: true,
        rcPairs: 3,
        base,
      }),
    /currentAxis and longRc with 3 pulse pairs cannot be combined/,
  );
});

test("with --long-rc and two pulse pairs (room for the long pair) the axis stays on R0 and the fastest pair", () => {
  const three = tests([1.5, 3, 6]);
  const fit = (longRc: boolean) =>
    fitCell({ name: "l", capacityAh: 3, ocvTable, pulseTests: three, currentAxis: true, longRc, base });
  const slowOnly = fit(false);
  const long = fit(true);
  assert.equal(slowOnly.params.rc?.length, 3);
  assert.equal(long.params.rc?.length, 4);
  // The axis comes from the pulses alone: the long pair of the refinement does not change it.
  assert.deepEqual(long.params.r0CurrentScale, slowOnly.params.r0CurrentScale);
  assert.ok(long.params.r0CurrentScale);
  assert.deepEqual(
    long.params.rc?.map((b) => b.rCurrentScale !== undefined),
    [true, false, false, false],
  );
});
