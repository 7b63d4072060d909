/**
 * The opt-in current axis of the fit: HPPC-like tests that the cell model generates with a known current-dependent
 * R0 and R1 (pulses at three currents per SOC level, two temperatures) give back the multiplier and the
 * resistances at every current; without the option, or with one pulse current, the set has no axis.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CellArray,
  celsiusToKelvin,
  compileCellParams,
  fitCell,
  formatCsv,
  parseCellParams,
  parseCsv,
  Rng,
  r0At,
  toFitSeries,
} from "../src/index.ts";
import { testCellFile } from "./fixtures.ts";

const SCALE = {
  currentA: [1.5, 3, 6],
  scale: [1, { tempC: [10, 25], values: [0.78, 0.9] }, { tempC: [10, 25], values: [0.6, 0.8] }],
};
const truthFile = testCellFile({
  r0Ohm: {
    soc: [0, 1],
    tempC: [10, 25],
    values: [
      [0.05, 0.04],
      [0.03, 0.025],
    ],
  },
  r0CurrentScale: SCALE,
  rc: [
    {
      rOhm: {
        soc: [0, 1],
        tempC: [10, 25],
        values: [
          [0.03, 0.025],
          [0.015, 0.012],
        ],
      },
      cF: 200,
      rCurrentScale: SCALE,
    },
    {
      rOhm: {
        soc: [0, 1],
        tempC: [10, 25],
        values: [
          [0.04, 0.03],
          [0.02, 0.018],
        ],
      },
      cF: 3000,
    },
  ],
  hysteresis: undefined,
  coulombicEfficiency: 1,
  arrheniusEaJperMol: 0,
});
const truth = compileCellParams(truthFile);

/** From full: at each SOC level 10-s pulses at the given currents, 10 min rest after each, then a 0.5 C step down. */
function hppc(tempC: number, seed: number, pulseCurrentsA: number[]): string {
  const cell = new CellArray(truth, 1, { soc: 1, tempK: celsiusToKelvin(tempC) });
  const rng = new Rng(seed);
  const cols = { time_s: [0], current_A: [0], voltage_V: [cell.ocv(0)], temp_cell_C: [tempC] };
  let now = 0;
  const run = (seconds: number, dt: number, current: number) => {
    for (let k = 0; k < Math.round(seconds / dt); k++) {
      now += dt;
      const v = cell.step(0, current, dt);
      cols.time_s.push(Number(now.toFixed(3)));
      cols.current_A.push(current);
      cols.voltage_V.push(v + 0.0001 * rng.normal());
      cols.temp_cell_C.push(tempC);
    }
  };
  run(600, 10, 0);
  for (const level of [0.9, 0.7, 0.5, 0.3]) {
    run(((cell.soc[0] - level) * 3 * 3600) / 1.5, 10, -1.5);
    run(1800, 10, 0);
    for (const i of pulseCurrentsA) {
      run(10, 0.1, -i);
      run(20, 0.1, 0);
      run(580, 1, 0);
    }
  }
  return formatCsv(cols);
}

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
        base,
      }),
    /currentAxis and longRc cannot be combined/,
  );
});
