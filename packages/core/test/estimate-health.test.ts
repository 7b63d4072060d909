import assert from "node:assert/strict";
import { test } from "node:test";
import { CellArray } from "../src/cell/model.ts";
import {
  CapacityEstimator,
  type CapacitySample,
  CellHealthEstimator,
  CoulombCounter,
  LoadedOcvReadings,
  packRemainingEnergy,
  remainingEnergy,
  resolveTuning,
} from "../src/estimate/index.ts";
import { Rng } from "../src/random.ts";
import { testCell } from "./fixtures.ts";

const model = testCell();

for (const method of ["wtls", "awtls"] as const)
  test(`capacity ${method}: converges to the true capacity with errors in both SOC change and charge`, () => {
    // Ordinary least squares of charge on the noisy SOC change is biased low by σx²/x²; TLS must not be.
    let tlsErr = 0;
    let lsErr = 0;
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    for (const seed of seeds) {
      const rng = new Rng(seed);
      const est = new CapacityEstimator({ method, nominalAh: 3, forgetting: 1 });
      let sxy = 0;
      let sxx = 0;
      for (let i = 0; i < 300; i++) {
        const x = rng.range(0.15, 0.5) * (rng.uniform() < 0.5 ? -1 : 1);
        const sx = 0.03 + 0.02 * rng.uniform();
        const sy = 0.005 + 0.02 * rng.uniform();
        const s = {
          dSoc: x + rng.normal(0, sx),
          dSocSigma: sx,
          chargeAh: 2.5 * x + rng.normal(0, sy),
          chargeSigmaAh: sy,
        };
        est.add(s);
        sxy += s.dSoc * s.chargeAh;
        sxx += s.dSoc * s.dSoc;
      }
      assert.ok(
        Math.abs(est.capacityAh - 2.5) < 4 * est.sigmaAh,
        `seed ${seed}: ${est.capacityAh} ± ${est.sigmaAh}`,
      );
      tlsErr += (est.capacityAh - 2.5) / seeds.length;
      lsErr += (sxy / sxx - 2.5) / seeds.length;
    }
    assert.ok(Math.abs(tlsErr) < 0.01 * 2.5, `mean ${method} error ${tlsErr} A·h`);
    assert.ok(lsErr < -0.01 * 2.5, `ordinary least squares should be biased low here, mean error ${lsErr}`);
  });

test("capacity: a SOC error shared by every sample does not average out, and the σ says so", () => {
  // Every swing x is read |x|·(1 − β/|x|) short (a hysteresis error at both ends): the fit must land at Q·|x|/(|x| − β)
  // however many samples arrive, and the shared part of the σ is Q·β/|x| (closed form for equal swings).
  const q = 2.5;
  const beta = 0.005;
  for (const method of ["wtls", "awtls"] as const) {
    const est = new CapacityEstimator({ method, nominalAh: 3, forgetting: 1 });
    for (let i = 0; i < 200; i++) {
      const x = i % 2 === 0 ? 0.4 : -0.4;
      est.add({
        dSoc: x - Math.sign(x) * beta,
        dSocSigma: 0.01,
        dSocSystematicSigma: beta,
        chargeAh: q * x,
        chargeSigmaAh: 0.005,
      });
    }
    const expected = (q * 0.4) / (0.4 - beta);
    assert.ok(Math.abs(est.capacityAh - expected) < 2e-3, `${method}: ${est.capacityAh} vs ${expected}`);
    const shared = (est.capacityAh * beta) / 0.4;
    // (The weights are taken at each sample's arrival, while the estimate still moves: 2 % tolerance.)
    assert.ok(
      Math.abs(est.systematicSigmaAh / shared - 1) < 0.02,
      `${method}: ${est.systematicSigmaAh} vs ${shared}`,
    );
    assert.ok(
      est.sigmaAh >= shared && Math.abs(est.capacityAh - q) < est.sigmaAh,
      `${method}: σ ${est.sigmaAh}`,
    );
  }
  // Half the samples from another source: the two halves' shared errors are independent, so the shared σ is
  // 1/√2 of what one source would give.
  const two = new CapacityEstimator({ method: "wtls", nominalAh: 2.5, forgetting: 1 });
  const one = new CapacityEstimator({ method: "wtls", nominalAh: 2.5, forgetting: 1 });
  for (let i = 0; i < 200; i++) {
    const s = {
      dSoc: 0.4,
      dSocSigma: 0.01,
      dSocSystematicSigma: beta,
      chargeAh: q * 0.4,
      chargeSigmaAh: 0.005,
    };
    one.add(s);
    two.add({ ...s, source: i % 2 === 0 ? "rest" : "load" });
  }
  assert.ok(
    Math.abs(two.systematicSigmaAh / (one.systematicSigmaAh / Math.SQRT2) - 1) < 1e-9,
    `${two.systematicSigmaAh} vs ${one.systematicSigmaAh} / √2`,
  );
  assert.throws(
    () =>
      new CapacityEstimator({ method: "awtls", nominalAh: 3 }).add({
        dSoc: 0.4,
        dSocSigma: 0.01,
        dSocSystematicSigma: 0.02,
        chargeAh: 1,
        chargeSigmaAh: 0.01,
      }),
    /dSocSystematicSigma must be in \[0, dSocSigma/,
  );
});

test("loaded readings: a constant-current stretch gives charge / ΔSOC = capacity, its σ covering a wrong resistance", () => {
  // An aged cell (0.9 × capacity, 1.25 × every resistance) rests, then discharges at 1 A for 100 min. The readings
  // under load, with the overpotential removed at the right multiplier, must give the capacity to within the
  // noise; with the multiplier of a new cell (1) they are off, and the σ from overpotentialErrorFraction = 0.25
  // must cover that.
  for (const [scale, bound] of [
    [1.25, 0.003],
    [1, Number.NaN],
  ] as const) {
    const rng = new Rng(5);
    const cell = new CellArray(model, 1, { soc: 0.95, tempK: 298.15 });
    cell.capacityScale[0] = 0.9;
    cell.resistanceScale[0] = 1.25;
    const tuning = resolveTuning(model, { voltageNoiseV: 0.002, currentNoiseA: 0.01, modelErrorV: 0.001 });
    const counter = new CoulombCounter(model, { soc: 0.95, tuning });
    const loaded = new LoadedOcvReadings(model, tuning, { overpotentialErrorFraction: 0.25 });
    let sample: CapacitySample | null = null;
    const run = (i: number, seconds: number) => {
      for (let k = 0; k < seconds; k++) {
        const v = cell.step(0, i, 1) + rng.normal(0, 0.002);
        const iMeas = i + rng.normal(0, 0.01);
        counter.step(1, iMeas, v, 298.15);
        sample = loaded.step(1, iMeas, v, 298.15, counter, scale) ?? sample;
      }
    };
    run(0, 600);
    run(-1, 6000);
    run(0, 60);
    assert.ok(sample, "no sample from the stretch");
    const s: CapacitySample = sample;
    const q = s.chargeAh / s.dSoc;
    const err = q / (0.9 * model.capacityAh) - 1;
    if (Number.isFinite(bound))
      assert.ok(Math.abs(err) < bound, `capacity ${q} (${(err * 100).toFixed(2)} %)`);
    else assert.ok(Math.abs(err) > 0.003, `a wrong multiplier should show: ${(err * 100).toFixed(2)} %`);
    // The SOC change's σ covers its error (the true change is the charge over the true capacity).
    const dSocTrue = s.chargeAh / (0.9 * model.capacityAh);
    assert.ok(
      Math.abs(s.dSoc - dSocTrue) < 2 * s.dSocSigma,
      `ΔSOC ${s.dSoc} vs ${dSocTrue} ± ${s.dSocSigma}`,
    );
  }
});

/**
 * An aged cell (capacity 0.9×, all resistances 1.25× the set) doing partial cycles: a random drive-like
 * discharge over 40–55 % of SOC, an hour of rest, a 0.5 C charge back up, an hour of rest.
 */
function agedCellCycles(cycles: number, seed: number) {
  const rng = new Rng(seed);
  const cell = new CellArray(model, 1, { soc: 0.9, tempK: 298.15 });
  cell.capacityScale[0] = 0.9;
  cell.resistanceScale[0] = 1.25;
  const rows: { i: number; v: number }[] = [];
  const push = (i: number) =>
    rows.push({ i: i + rng.normal(0, 0.01), v: cell.step(0, i, 1) + rng.normal(0, 0.002) });
  for (let c = 0; c < cycles; c++) {
    const target = 0.9 - rng.range(0.4, 0.55);
    let level = 0;
    for (let k = 0; cell.soc[0] > target; k++) {
      if (k % 15 === 0) level = rng.uniform() < 0.85 ? -rng.range(0.5, 9) : rng.range(0.5, 3);
      push(level);
    }
    for (let k = 0; k < 3600; k++) push(0);
    while (cell.soc[0] < 0.9) push(1.5);
    for (let k = 0; k < 3600; k++) push(0);
  }
  return rows;
}

for (const method of ["wtls", "awtls"] as const)
  test(`health (${method}): capacity within 1 % and R0 within 5 % after 10 partial cycles of an aged cell`, () => {
    const rows = agedCellCycles(10, 21);
    // The estimator is told the sensor noise of the data (2 mV, 10 mA) and that its model is right at rest.
    const h = new CellHealthEstimator(model, {
      initialSoc: 0.9,
      capacityMethod: method,
      tuning: { voltageNoiseV: 0.002, currentNoiseA: 0.01, modelErrorV: 0.001 },
    });
    for (const r of rows) h.step(1, r.i, r.v, 298.15);
    const trueQ = 0.9 * model.capacityAh;
    const q = h.capacity.capacityAh;
    assert.ok(Math.abs(q / trueQ - 1) < 0.01, `capacity ${q} vs ${trueQ} (σ ${h.capacity.sigmaAh})`);
    assert.ok(Math.abs(h.resistance.scale / 1.25 - 1) < 0.05, `R0 multiplier ${h.resistance.scale} vs 1.25`);
    // Their uncertainties are reported and cover the error.
    assert.ok(Math.abs(q - trueQ) < 3 * h.capacity.sigmaAh + 1e-3, `σ ${h.capacity.sigmaAh}`);
    assert.ok(h.resistance.sigma > 0 && h.resistance.sigma < 0.05);
    const soh = h.health();
    assert.ok(Math.abs(soh.capacity - 0.9) < 0.01 && Math.abs(soh.resistance - 1.25) < 0.0625);
  });

test("SOE: energy equals capacity × ∫OCV dz at vanishing current and falls with current and cold", () => {
  // At zero current and no hysteresis the integral is exactly the OCV table's trapezoids.
  const flat = testCell({ hysteresis: undefined });
  const e0 = remainingEnergy(flat, { soc: 1, tempK: 298.15, dischargeCurrentA: 0 });
  const soc = [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1];
  const v = [3.0, 3.3, 3.45, 3.55, 3.62, 3.67, 3.72, 3.8, 3.88, 3.97, 4.06, 4.12, 4.18];
  let trap = 0;
  for (let k = 1; k < soc.length; k++) trap += 0.5 * (v[k] + v[k - 1]) * (soc[k] - soc[k - 1]);
  assert.ok(Math.abs(e0.energyWh - 3 * trap) < 1e-3 * 3 * trap, `${e0.energyWh} vs ${3 * trap}`);
  const hot = remainingEnergy(model, { soc: 0.8, tempK: 298.15, dischargeCurrentA: 6 });
  const cold = remainingEnergy(model, { soc: 0.8, tempK: 263.15, dischargeCurrentA: 6 });
  assert.ok(
    cold.energyWh < hot.energyWh &&
      hot.energyWh < remainingEnergy(model, { soc: 0.8, tempK: 298.15, dischargeCurrentA: 1 }).energyWh,
  );
  assert.ok(cold.endSoc > hot.endSoc);
});

test("pack SOE: equal groups give Ns·Np cells' energy; the emptiest group ends the string's discharge", () => {
  const one = remainingEnergy(model, { soc: 0.7, tempK: 298.15, dischargeCurrentA: 2 });
  const same = packRemainingEnergy(model, {
    soc: [0.7, 0.7, 0.7],
    tempK: [298.15, 298.15, 298.15],
    parallelCells: 4,
    dischargeCurrentA: 8,
  });
  assert.ok(
    Math.abs(same.energyWh - 12 * one.energyWh) < 1e-3 * 12 * one.energyWh,
    `${same.energyWh} vs ${12 * one.energyWh}`,
  );
  const uneven = packRemainingEnergy(model, {
    soc: [0.7, 0.4, 0.7],
    tempK: [298.15, 298.15, 298.15],
    parallelCells: 4,
    dischargeCurrentA: 8,
  });
  const low = remainingEnergy(model, { soc: 0.4, tempK: 298.15, dischargeCurrentA: 2 });
  assert.equal(uneven.limitingGroup, 1);
  // The string delivers the low group's charge; its energy is that group's energy plus the others' over that charge.
  assert.ok(Math.abs(uneven.chargeAh - 4 * model.capacityAh * (0.4 - low.endSoc)) < 1e-9);
  assert.ok(uneven.energyWh < 3 * 4 * low.energyWh * 1.2 && uneven.energyWh > 3 * 4 * low.energyWh);
});
