import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CellArray } from "../src/cell/model.ts";
import { alignSamples, CoulombCounter, estimateCurrentLag, socNow } from "../src/estimate/index.ts";
import { syntheticRun } from "./estimate-synthetic.ts";
import { testCell } from "./fixtures.ts";

const model = testCell();

test("coulomb counting: SOC moves by ∫I dt / (3600·Q) with η on charge (closed form)", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          dt: fc.double({ min: 0.01, max: 10, noNaN: true }),
          i: fc.double({ min: -10, max: 3, noNaN: true }),
        }),
        {
          minLength: 1,
          maxLength: 50,
        },
      ),
      (steps) => {
        const cc = new CoulombCounter(model, { soc: 0.5, restCurrentA: 0 });
        let ah = 0;
        for (const s of steps) {
          cc.step(s.dt, s.i, 3.7, 298.15);
          ah += ((s.i > 0 ? model.coulombicEfficiency : 1) * s.i * s.dt) / 3600;
        }
        assert.ok(Math.abs(cc.soc - (0.5 + ah / model.capacityAh)) < 1e-12);
      },
    ),
  );
});

test("coulomb counting: an offset learned while the current is known to be zero is removed afterwards", () => {
  const cc = new CoulombCounter(model, { soc: 0.8, restCurrentA: 0, offsetLearnS: 30 });
  for (let k = 0; k < 600; k++) cc.step(1, 0.05, 3.9, 298.15, true); // contactors open, sensor reads 50 mA
  assert.ok(Math.abs(cc.currentOffsetA - 0.05) < 1e-6, `offset ${cc.currentOffsetA}`);
  for (let k = 0; k < 3600; k++) cc.step(1, -1 + 0.05, 3.7, 298.15);
  assert.ok(Math.abs(cc.soc - (0.8 - 1 / model.capacityAh)) < 1e-6, `SOC ${cc.soc}`);
});

test("coulomb counting: a rest recalibrates a wrong SOC from the OCV, hysteresis and temperature corrected", () => {
  for (const tempK of [273.15, 298.15]) {
    // Truth from the cell model (with hysteresis and RC) at this temperature: driving, then two hours of rest
    // (the slowest RC branch needs over an hour to settle at 0 °C).
    const run = syntheticRun(model, {
      seed: 11,
      seconds: 6 * 3600,
      initialSoc: 0.9,
      tempK,
      restS: 7200,
      restEveryS: 4 * 3600,
    });
    // Start 10 points wrong; without rests the error would stay 10 points.
    const cc = new CoulombCounter(model, { soc: 0.8, socSigma: 0.1 });
    let errAfterRest = Number.NaN;
    for (let k = 0; k < run.timeS.length; k++) {
      cc.step(k === 0 ? 0 : 1, run.currentA[k], run.voltageV[k], tempK);
      if (k === 6 * 3600) errAfterRest = cc.soc - run.trueSoc[k];
    }
    assert.ok(cc.recalibrations >= 1, "no recalibration happened");
    assert.ok(Math.abs(errAfterRest) < 0.01, `error after the rest at ${tempK} K: ${errAfterRest}`);
  }
});

test("coulomb counting: an hours-long RC pair does not hold the first OCV reading for hours once its voltage is small", () => {
  // Three constant pairs: τ = 15 s, 400 s and 8000 s (the last like the ≈ 2-h pair of a fitted set).
  const pairs = [
    { rOhm: 0.015, cF: 1000 },
    { rOhm: 0.01, cF: 40000 },
    { rOhm: 0.006, cF: 8000 / 0.006 },
  ];
  const m = testCell({ rc: pairs });
  const truth = new CellArray(m, 1, { soc: 0.9, tempK: 298.15 });
  const cc = new CoulombCounter(m, { soc: 0.7, socSigma: 0.2 });
  const loadS = 1800;
  const currentA = -3;
  let recalibratedAt = Number.NaN;
  for (let k = 0; k <= loadS + 3 * 3600; k++) {
    const i = k === 0 || k > loadS ? 0 : currentA;
    const v = truth.step(0, i, k === 0 ? 0 : 1);
    cc.step(k === 0 ? 0 : 1, i, v, 298.15);
    if (cc.recalibrations > 0 && Number.isNaN(recalibratedAt)) recalibratedAt = k - loadS;
  }
  // Closed form of the modelled RC voltage after the load: each pair charged for loadS at the constant current,
  // then relaxing. The first reading is due once 2 × |ΣV_RC| (resistanceErrorFraction) is within 10 mV
  // (modelErrorV); the rest itself is detected within 5 min of the load's end, and 5 min of rest come first.
  const vRc = (t: number) =>
    pairs.reduce((sum, p) => {
      const tau = p.rOhm * p.cF;
      return sum + p.rOhm * currentA * (1 - Math.exp(-loadS / tau)) * Math.exp(-t / tau);
    }, 0);
  let due = 0;
  while (2 * Math.abs(vRc(due)) > 0.01) due++;
  assert.ok(due > 600 && due < 3600, `closed-form reading time ${due} s`);
  assert.ok(
    Math.abs(recalibratedAt - due) <= 1,
    `first reading ${recalibratedAt} s after the load, due at ${due} s`,
  );
  // Three of the slowest time constants would have been 24 000 s; the reading corrects the 20-point error.
  assert.ok(Math.abs(cc.soc - truth.soc[0]) < 0.02, `SOC ${cc.soc} against ${truth.soc[0]}`);
});

test("coulomb counting: without a voltage reading a rest only counts (no recalibration from nothing)", () => {
  const cc = new CoulombCounter(model, { soc: 0.7 });
  for (let k = 0; k < 4 * 3600; k++) cc.step(1, 0, Number.NaN, 298.15);
  assert.equal(cc.recalibrations, 0);
  assert.equal(cc.soc, 0.7);
});

test("time alignment: the skew of a delayed current channel is found from the data", () => {
  // 10 Hz model data with current steps; the current channel reports each value 0.3 s late.
  const n = 6000;
  const t = Float64Array.from({ length: n }, (_, k) => k / 10);
  const i = Float64Array.from(t, (x) =>
    Math.floor(x / 7) % 3 === 0 ? -6 : Math.floor(x / 7) % 3 === 1 ? -1 : 2,
  );
  const cell = new CellArray(model, 1, { soc: 0.8, tempK: 298.15 });
  const v = Float64Array.from(i, (x, k) => cell.step(0, x, k === 0 ? 0 : 0.1));
  const late = Float64Array.from(t, (x) => i[Math.max(0, Math.round((x - 0.3) * 10))]);
  const lag = estimateCurrentLag(t, late, v, 1);
  assert.ok(Math.abs(lag - 0.3) <= 0.025 + 1e-9, `estimated lag ${lag} s`);
  assert.equal(estimateCurrentLag(t, i, v, 1), 0);
});

test("time alignment: a ramp re-sampled with a lag is the ramp at t + lag; SOC extrapolates to 'now'", () => {
  const t = [0, 1, 2, 4, 8];
  const y = t.map((x) => 3 * x + 1);
  const a = alignSamples(t, y, 0.5);
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(a[k] - (3 * (t[k] + 0.5) + 1)) < 1e-12);
  assert.equal(a[4], y[4]);
  assert.ok(Math.abs(socNow(0.5, -3, 360, 3) - 0.4) < 1e-12);
});
