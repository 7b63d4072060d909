import assert from "node:assert/strict";
import { test } from "node:test";
import { CellArray } from "../src/cell/model.ts";
import { estimateSoc, SocEkf, SocSpkf } from "../src/estimate/index.ts";
import { syntheticRun } from "./estimate-synthetic.ts";
import { testCell } from "./fixtures.ts";

const model = testCell();
// The filters are told exactly the noise the data carry (and no model error): then they must be consistent. The
// cell's hysteresis sign threshold (0.1 A) sits above the current noise (20 mA): below about 4σ no estimator can
// tell the current's direction, and it does not pretend to (see signThreshold).
const noisy = testCell({
  hysteresis: {
    mV: { soc: [0, 0.5, 1], values: [0.02, 0.012, 0.01] },
    m0V: 0.003,
    gamma: 120,
    thresholdA: 0.1,
  },
});
const known = {
  voltageNoiseV: 0.002,
  modelErrorV: 0,
  resistanceErrorFraction: 0,
  currentNoiseA: 0.02,
  currentOffsetA: 0,
  currentGainError: 0,
};
const run = syntheticRun(noisy, {
  seed: 7,
  seconds: 20000,
  initialSoc: 0.9,
  voltageNoiseV: 0.002,
  currentNoiseA: 0.02,
});

for (const filter of ["ekf", "spkf"] as const) {
  test(`${filter}: consistent on model data with known noise (errors inside 3σ ≈ 99.7 %, mean NIS ≈ 1)`, () => {
    const r = estimateSoc(noisy, run, { filter, initialSoc: 0.9, initialSocSigma: 0.01, tuning: known });
    let inside = 0;
    let nis = 0;
    const n = run.timeS.length;
    for (let k = 0; k < n; k++) {
      if (Math.abs(r.soc[k] - run.trueSoc[k]) <= 3 * r.socSigma[k]) inside++;
      nis += r.nis?.[k] ?? 0;
    }
    const frac = inside / n;
    assert.ok(frac >= 0.99 && frac <= 1, `fraction inside 3σ ${frac}`);
    // Mean of n χ²(1) draws: 1 ± 3·√(2/n) if white; the filters' NIS must sit there.
    const meanNis = nis / n;
    assert.ok(Math.abs(meanNis - 1) < 0.1, `mean NIS ${meanNis}`);
  });

  test(`${filter}: from a 20-point initial error, within 2 points in at most 10 minutes and stays there`, () => {
    const r = estimateSoc(noisy, run, { filter, initialSoc: 0.7, initialSocSigma: 0.1, tuning: known });
    let lastBad = -1;
    for (let k = 0; k < r.soc.length; k++) if (Math.abs(r.soc[k] - run.trueSoc[k]) > 0.02) lastBad = k;
    assert.ok(lastBad < 600, `error last above 2 points at ${lastBad} s`);
  });
}

test("ekf and spkf: woken at rest 40 points wrong, the first sample's OCV puts the SOC within 2 points", () => {
  // Relaxed cell at 85 % (no hysteresis offset: a fresh cell), voltage = OCV; the filter is told 45 %.
  const fresh = testCell({ hysteresis: undefined });
  const ocv = new CellArray(fresh, 1, { soc: 0.85, tempK: 298.15 }).ocv(0);
  for (const F of [SocEkf, SocSpkf]) {
    const f = new F(fresh, { soc: 0.45, socSigma: 0.3 });
    f.step(0, 0, ocv, 298.15);
    assert.ok(Math.abs(f.soc - 0.85) < 0.02, `${F.name}: ${f.soc}`);
  }
});

test("ekf: its voltage prediction is the cell model's voltage (same equations, second implementation)", () => {
  // Noise-free data, exact initial state: innovations must vanish to rounding, hysteresis and RC included.
  const clean = syntheticRun(model, { seed: 3, seconds: 3000, initialSoc: 0.8 });
  const f = new SocEkf(model, { soc: 0.8, socSigma: 1e-9 });
  const ref = new CellArray(model, 1, { soc: 0.8, tempK: 298.15 });
  let worst = 0;
  for (let k = 0; k < clean.timeS.length; k++) {
    const dt = k === 0 ? 0 : 1;
    f.step(dt, clean.currentA[k], clean.voltageV[k], 298.15);
    ref.step(0, clean.currentA[k], dt);
    worst = Math.max(worst, Math.abs(f.innovationV), Math.abs(f.soc - ref.soc[0]));
  }
  assert.ok(worst < 1e-6, `largest innovation or SOC difference ${worst}`);
});

test("ekf and spkf: a single wild voltage sample is gated out, the SOC does not jump", () => {
  for (const F of [SocEkf, SocSpkf]) {
    const f = new F(model, { soc: 0.6, socSigma: 0.05 });
    for (let k = 0; k < 50; k++) f.step(1, -3, 3.68, 298.15);
    const before = f.soc;
    f.step(1, -3, 2.0, 298.15);
    assert.ok(f.skipped, "the 1.7 V outlier must be skipped");
    assert.ok(Math.abs(f.soc - before) < 0.001, `SOC moved by ${f.soc - before}`);
  }
});

test("ekf and spkf: dropped current or temperature readings are held, a dropped voltage only predicts", () => {
  for (const F of [SocEkf, SocSpkf]) {
    const a = new F(model, { soc: 0.6 });
    const b = new F(model, { soc: 0.6 });
    for (let k = 0; k < 20; k++) {
      a.step(1, -3, 3.68, 298.15);
      // b loses every other current and temperature reading; held values are the same, so the SOC is too.
      b.step(1, k % 2 ? Number.NaN : -3, 3.68, k % 2 ? Number.NaN : 298.15);
    }
    assert.equal(b.soc, a.soc);
    const before = b.soc;
    b.step(1, -3, Number.NaN, 298.15);
    assert.ok(b.skipped);
    assert.ok(Math.abs(b.soc - (before - 3 / 3600 / model.capacityAh)) < 1e-12, "counted only");
    assert.throws(() => b.step(-1, 0, 3.7, 298.15), /time step must be a finite number ≥ 0 s, got -1/);
  }
});

test("ekf: bad input is named", () => {
  assert.throws(() => new SocEkf(model, { soc: 80 }), /initial SOC 80 .*fraction/);
  assert.throws(
    () =>
      estimateSoc(
        model,
        { timeS: [0, 2, 1], currentA: [0, 0, 0], voltageV: [4, 4, 4] },
        { filter: "ekf", initialSoc: 1 },
      ),
    /time goes backwards .* row 2/,
  );
});
