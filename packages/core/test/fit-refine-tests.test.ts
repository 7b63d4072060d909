/**
 * Dynamic tests in the whole-test refinement (`refineTests`): a cell whose behaviour under continuous load is not
 * what its pulses from rest show. The HPPC tests are made by one model, the drive profiles by another with higher
 * slow resistances; the refinement with one drive profile must move the tables towards the model that made it and
 * follow a second drive profile it never saw far closer than the pulse tests alone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type CellModel,
  celsiusToKelvin,
  compileCellParams,
  fitCell,
  parseCellParams,
  Rng,
  refineOnWholeTests,
  type TestTimeline,
  validateAgainst,
} from "../src/index.ts";
import { fitTruthResistances, syntheticFitInput } from "./fit-synthetic.ts";
import { testCellFile } from "./fixtures.ts";

const common = { hysteresis: undefined, coulombicEfficiency: 1, arrheniusEaJperMol: 0 };
const pulsesTruth = testCellFile({ ...fitTruthResistances(), ...common });
// Under hours of load this cell polarises more: the slow pair's resistance is 1.6 times what the pulses show.
const slowScaled = fitTruthResistances();
const slowR = slowScaled.rc[1].rOhm;
slowScaled.rc[1] = {
  ...slowScaled.rc[1],
  rOhm: { ...slowR, values: slowR.values.map(([a, b]) => [a * 1.6, b * 1.6] as [number, number]) },
};
const driveTruth = compileCellParams(testCellFile({ ...slowScaled, ...common }));
const TEMP_C = 25;

/** A random drive profile of `n` s from `soc`, made by `model` at 25 °C, with 0.2 mV voltage noise. */
function driveProfile(model: CellModel, seed: number, n: number, soc: number): TestTimeline {
  const rng = new Rng(seed);
  const timeS = Float64Array.from({ length: n }, (_, k) => k);
  let i = -1;
  const currentA = Float64Array.from({ length: n }, (_, k) => {
    if (k === 0) return 0;
    // Mean-reverting about −1 A (C/3): the profile discharges about 0.4 of the SOC per 5400 s.
    i = Math.min(1, Math.max(-3, i + 0.05 * (-1 - i) + 0.3 * rng.normal()));
    return i;
  });
  const tempK = new Float64Array(n).fill(celsiusToKelvin(TEMP_C));
  const sim = validateAgainst(
    model,
    { timeS, currentA, voltageV: new Float64Array(n), tempK },
    soc,
  ).simulation;
  const voltageV = sim.voltageV.map((v) => v + 0.0002 * rng.normal());
  return { source: `drive ${seed}`, timeS, currentA, voltageV, tempK, initialSoc: soc };
}

function fit(refineTests?: TestTimeline[], dynamicShare?: number) {
  const { base, ocvTable, pulseTests } = syntheticFitInput(pulsesTruth, compileCellParams(pulsesTruth));
  return fitCell({
    name: "refit",
    capacityAh: 3,
    ocvTable,
    pulseTests,
    rcPairs: 2,
    slowRc: false,
    base,
    refineTests,
    dynamicShare,
  });
}

test("a drive profile in the refinement brings the tables towards the cell that made it", () => {
  const training = driveProfile(driveTruth, 7, 5400, 0.9);
  const unseen = driveProfile(driveTruth, 8, 5400, 0.85);
  const pulsesOnly = fit();
  const withDrive = fit([training], 0.9);
  const halfShare = fit([training]);
  // The profile joins the 25 °C test (its first loaded row is at 25 °C), not the 10 °C one.
  assert.deepEqual(
    withDrive.temperatures.map((t) => t.timelines.length),
    [1, 2],
  );
  assert.equal(withDrive.temperatures[1].timelines[1].dynamic, true);
  const score = (r: ReturnType<typeof fit>) =>
    validateAgainst(compileCellParams(parseCellParams(r.params)), unseen, unseen.initialSoc).figures.rmseV;
  const before = score(pulsesOnly);
  const half = score(halfShare);
  const after = score(withDrive);
  assert.ok(before > 0.004, `pulses alone: ${before * 1000} mV on the unseen profile`);
  // The two kinds of test disagree, so the refinement settles between them, nearer the drive the more it weighs.
  assert.ok(half < before / 2, `drive share 0.5: ${half * 1000} mV (pulses alone ${before * 1000} mV)`);
  assert.ok(
    after < half && after < before / 4,
    `drive share 0.9: ${after * 1000} mV (0.5: ${half * 1000} mV)`,
  );
  // Where the profiles run (SOC 0.5–0.85) the slow pair's R moves most of the way from the pulses' to the drive's
  // (share 0.9).
  const tK = celsiusToKelvin(TEMP_C);
  const fitted = compileCellParams(parseCellParams(withDrive.params));
  const pulsesFitted = compileCellParams(parseCellParams(pulsesOnly.params));
  for (const z of [0.6, 0.75]) {
    const drive = driveTruth.rc[1].r.at(z, tK, -1);
    const fromPulses = pulsesFitted.rc[1].r.at(z, tK, -1);
    const refined = fitted.rc[1].r.at(z, tK, -1);
    assert.ok(
      Math.abs(refined - drive) < 0.35 * Math.abs(fromPulses - drive),
      `R2 at SOC ${z}: refined ${refined}, pulses ${fromPulses}, drive truth ${drive}`,
    );
  }
});

test("dynamicShare weighs the dynamic tests against the characterisation tests", () => {
  // Two timelines that disagree: the same current, voltages 10 mV apart. The refined R0 (the only thing that
  // can move the voltage under a constant current) settles where the weighted residuals balance.
  const n = 600;
  const timeS = Float64Array.from({ length: n }, (_, k) => k);
  const currentA = new Float64Array(n).fill(-2);
  currentA[0] = 0;
  const tempK = new Float64Array(n).fill(celsiusToKelvin(TEMP_C));
  const base = compileCellParams({ ...pulsesTruth, r0Ohm: 0, rc: [] });
  const ocv = validateAgainst(
    base,
    { timeS, currentA, voltageV: new Float64Array(n), tempK },
    0.8,
  ).simulation;
  const line = (r0: number, dynamic: boolean): TestTimeline => ({
    source: dynamic ? "dynamic" : "hppc",
    timeS,
    currentA,
    voltageV: ocv.voltageV.map((v, k) => v + r0 * currentA[k]),
    tempK,
    initialSoc: 0.8,
    dynamic,
  });
  const init = { r0: [0.03, 0.03], rc: [] };
  const r0With = (share: number, long: boolean) =>
    refineOnWholeTests(
      // The characterisation test three times as long as the dynamic one.
      [line(0.02, false), ...(long ? [line(0.02, false), line(0.02, false)] : []), line(0.025, true)],
      base,
      init,
      {
        grid: [0, 1],
        tempC: TEMP_C,
        arrheniusEa: 0,
        dynamicShare: share,
        smoothness: 0,
        prior: 1e-9,
        costTolerance: 1e-12,
        maxIterations: 50,
      },
    ).row.r0[0];
  // Least squares with weights w and 1 − w puts R0 at the weighted mean, however long each group is.
  for (const share of [0.2, 0.5, 0.8]) {
    const expected = (1 - share) * 0.02 + share * 0.025;
    for (const long of [false, true]) {
      const r0 = r0With(share, long);
      assert.ok(Math.abs(r0 - expected) < 2e-5, `share ${share}: R0 ${r0}, expected ${expected}`);
    }
  }
  assert.throws(() => r0With(1, false), /dynamicShare: got 1, expected a fraction in \(0, 1\)/);
});

test("refinement tests that cannot be used are refused by name", () => {
  const still = driveProfile(driveTruth, 9, 100, 0.9);
  still.currentA.fill(0);
  assert.throws(() => fit([still]), /refineTests: drive 9 never carries current/);
  const short = { ...driveProfile(driveTruth, 10, 100, 0.9), voltageV: new Float64Array(3) };
  assert.throws(() => fit([short]), /refineTests: drive 10 needs at least 2 rows/);
  const gap = driveProfile(driveTruth, 11, 100, 0.9);
  gap.tempK[40] = Number.NaN;
  assert.throws(() => fit([gap]), /refineTests: drive 11 row 40 \(t = 40 s\).*temperature NaN K/);
});
