/**
 * Whole-test refinement: files that share an amp-hour counter are put back onto one time base, and the
 * resistance tables refined over a whole model-generated test come back to the tables that generated it from a
 * wrong start.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CellArray,
  celsiusToKelvin,
  compileCellParams,
  type FitSeries,
  Rng,
  refineOnWholeTests,
  testTimelines,
} from "../src/index.ts";
import { testCellFile } from "./fixtures.ts";

const GRID = [0, 0.25, 0.5, 0.75, 1];
const truthTables = {
  r0: [0.05, 0.035, 0.03, 0.028, 0.03],
  rc: [
    { r: [0.03, 0.02, 0.015, 0.014, 0.015], tau: [8, 6, 5, 5, 6] },
    { r: [0.04, 0.025, 0.02, 0.02, 0.022], tau: [300, 250, 200, 200, 220] },
  ],
};
const table = (values: number[]) => ({ soc: GRID, values });
const truthFile = testCellFile({
  r0Ohm: table(truthTables.r0),
  rc: truthTables.rc.map((p) => ({ rOhm: table(p.r), cF: table(p.tau.map((t, i) => t / p.r[i])) })),
  hysteresis: undefined,
  coulombicEfficiency: 1,
  arrheniusEaJperMol: 0,
});
const truth = compileCellParams(truthFile);
const TEMP_C = 25;

interface Row {
  t: number;
  i: number;
  v: number;
  ah: number;
  part: "pulses" | "steps";
}

/**
 * An HPPC-like test from full, as one record: at each level a 10-s 2 C pulse between rests (the "pulses" file),
 * then a 15-min 0.5 C step down logged every 60 s and a 30-min rest logged every 300 s (the "steps" file).
 */
function wholeTest(seed: number): Row[] {
  const cell = new CellArray(truth, 1, { soc: 1, tempK: celsiusToKelvin(TEMP_C) });
  const rng = new Rng(seed);
  const rows: Row[] = [{ t: 0, i: 0, v: cell.ocv(0), ah: 0, part: "pulses" }];
  let now = 0;
  let ah = 0;
  const run = (seconds: number, dt: number, current: number, part: Row["part"]) => {
    for (let k = 0; k < Math.round(seconds / dt); k++) {
      now += dt;
      ah += (current * dt) / 3600;
      const v = cell.step(0, current, dt);
      rows.push({ t: now, i: current, v: v + 0.0002 * rng.normal(), ah, part });
    }
  };
  for (let level = 0; level < 5; level++) {
    run(600, 10, 0, "pulses");
    run(10, 0.1, -6, "pulses");
    run(1200, 10, 0, "pulses");
    run(900, 60, -1.5, "steps");
    run(1800, 300, 0, "steps");
  }
  run(600, 10, 0, "pulses");
  run(10, 0.1, -6, "pulses");
  run(1200, 10, 0, "pulses");
  return rows;
}

/** A file of one part of the test, with its own time base (starting at 0) and the shared counter. */
function fileOf(rows: Row[], part: Row["part"]): FitSeries {
  const mine = rows.filter((r) => r.part === part);
  const t0 = mine[0].t;
  return {
    source: part,
    timeS: Float64Array.from(mine, (r) => r.t - t0),
    currentA: Float64Array.from(mine, (r) => r.i),
    voltageV: Float64Array.from(mine, (r) => r.v),
    tempK: new Float64Array(mine.length).fill(celsiusToKelvin(TEMP_C)),
    chargeAh: Float64Array.from(mine, (r) => r.ah - mine[0].ah),
    chargeFromFullAh: mine[0].ah,
  };
}

const input = (s: FitSeries) => ({
  series: s,
  tempK: s.tempK as Float64Array,
  soc: s.chargeAh.map((a) => 1 + ((s.chargeFromFullAh ?? 0) + a) / 3),
});

test("files sharing an amp-hour counter go back onto one time base", () => {
  const rows = wholeTest(1);
  const pulses = fileOf(rows, "pulses");
  const steps = fileOf(rows, "steps");
  const [merged, ...rest] = testTimelines([input(steps), input(pulses)], 3);
  assert.equal(rest.length, 0);
  assert.equal(merged.timeS.length, rows.length);
  assert.ok(Math.abs(merged.initialSoc - 1) < 1e-12);
  for (let k = 0; k < rows.length; k++) {
    assert.ok(
      Math.abs(merged.timeS[k] - rows[k].t) < 1e-6,
      `time of row ${k}: ${merged.timeS[k]} vs ${rows[k].t}`,
    );
    assert.equal(merged.currentA[k], rows[k].i);
    assert.equal(merged.voltageV[k], rows[k].v);
  }
  // A file without a shared counter stays a timeline of its own.
  const own = { ...steps, chargeFromFullAh: undefined };
  assert.equal(testTimelines([input(own), input(pulses)], 3).length, 2);
});

test("the whole-test refinement brings wrong resistance tables back to the ones that made the test", () => {
  const rows = wholeTest(2);
  const timelines = testTimelines([input(fileOf(rows, "pulses")), input(fileOf(rows, "steps"))], 3);
  const base = compileCellParams({ ...truthFile, r0Ohm: 0, rc: [] });
  const wrong = {
    r0: truthTables.r0.map((r) => r * 1.25),
    rc: [
      { r: truthTables.rc[0].r.map((r) => r * 0.7), tau: truthTables.rc[0].tau.map((t) => t * 1.6) },
      { r: truthTables.rc[1].r.map((r) => r * 1.4), tau: truthTables.rc[1].tau.map((t) => t * 0.6) },
    ],
  };
  // Regularisation weak against these noise-free model data (the defaults are for real tests, whose model error
  // is mV, not the 0.2 mV noise here).
  const res = refineOnWholeTests(timelines, base, wrong, {
    grid: GRID,
    tempC: TEMP_C,
    arrheniusEa: 0,
    smoothness: 1e-5,
    prior: 1e-6,
    costTolerance: 1e-9,
    maxIterations: 60,
  });
  assert.ok(res.rmsBeforeV > 0.005, `start ${res.rmsBeforeV * 1000} mV`);
  // Back to the noise (0.2 mV per row).
  assert.ok(res.rmsAfterV < 0.0004, `refined ${res.rmsAfterV * 1000} mV`);
  // The levels the test visits (SOC 1 down to about 0.34): R0 and R1 within 3 %, the slower pair within 5 %.
  const rel = (a: number, b: number) => Math.abs(a / b - 1);
  for (const i of [2, 3, 4]) {
    assert.ok(rel(res.row.r0[i], truthTables.r0[i]) < 0.03, `R0 at ${GRID[i]}: ${res.row.r0[i]}`);
    for (let j = 0; j < 2; j++) {
      const tol = j === 0 ? 0.03 : 0.05;
      const p = res.row.rc[j];
      assert.ok(rel(p.r[i], truthTables.rc[j].r[i]) < tol, `R${j + 1} at ${GRID[i]}: ${p.r[i]}`);
      assert.ok(rel(p.tau[i], truthTables.rc[j].tau[i]) < tol, `τ${j + 1} at ${GRID[i]}: ${p.tau[i]}`);
    }
  }
});
