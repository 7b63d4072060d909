import assert from "node:assert/strict";
import { test } from "node:test";
import { CellArray } from "../src/cell/model.ts";
import { PackSocEstimator, SocSpkf } from "../src/estimate/index.ts";
import { Rng } from "../src/random.ts";
import { testCell } from "./fixtures.ts";

const model = testCell();

test("pack: one filter per group finds each group's own SOC; group filters do not disturb each other", () => {
  const groups = 12;
  const np = 3;
  const rng = new Rng(5);
  // Truth: every group a bank of np cells sharing current equally (identical cells), groups at different SOCs.
  const truth = new CellArray(model, groups, { soc: 0.5, tempK: 298.15 });
  for (let g = 0; g < groups; g++) truth.soc[g] = 0.55 + 0.03 * g;
  // The filters are told the data's noise (2 mV, 50 mA on the string) and that the model is exact.
  const tuning = {
    voltageNoiseV: 0.002,
    currentNoiseA: 0.05 / np,
    modelErrorV: 0,
    resistanceErrorFraction: 0,
  };
  const pack = new PackSocEstimator(model, groups, {
    filter: "spkf",
    initialSoc: 0.7,
    parallelCells: np,
    tuning,
  });
  const alone = new SocSpkf(model, { soc: 0.7 }, tuning);
  const v = new Float64Array(groups);
  const t = new Float64Array(groups).fill(298.15);
  let level = 0;
  for (let k = 1; k <= 1800; k++) {
    if (k % 20 === 1) level = np * (rng.uniform() < 0.8 ? -rng.range(0, 6) : rng.range(0, 3));
    for (let g = 0; g < groups; g++) v[g] = truth.step(g, level / np, 1) + rng.normal(0, 0.002);
    const iMeasured = level + rng.normal(0, 0.05);
    pack.step(1, iMeasured, v, t);
    alone.step(1, iMeasured / np, v[5], 298.15);
  }
  for (let g = 0; g < groups; g++)
    assert.ok(Math.abs(pack.soc[g] - truth.soc[g]) < 0.02, `group ${g}: ${pack.soc[g]} vs ${truth.soc[g]}`);
  // The group filter living in the shared buffers equals a standalone filter bit for bit.
  assert.equal(pack.soc[5], alone.soc);
  assert.equal(pack.socSigma[5], alone.socSigma);
  const s = pack.packSoc();
  assert.equal(s.min, Math.min(...pack.soc));
});

test("pack: a distrusted group voltage is not used (the group is coulomb-counted)", () => {
  const pack = new PackSocEstimator(model, 2, { filter: "ekf", initialSoc: 0.6 });
  pack.voltageTrusted[1] = 0;
  for (let k = 0; k < 100; k++) pack.step(1, -3, [3.0, 3.0], [298.15, 298.15]);
  // Group 0 is pulled down by the (wrong) 3.0 V readings, group 1 only counted 300 A·s.
  assert.ok(pack.soc[0] < pack.soc[1] - 0.05, `${pack.soc[0]} vs ${pack.soc[1]}`);
  assert.ok(Math.abs(pack.soc[1] - (0.6 - 300 / 3600 / model.capacityAh)) < 1e-12);
  assert.throws(
    () => new PackSocEstimator(model, 0, { filter: "ekf", initialSoc: 0.5 }),
    /groups must be a positive integer, got 0/,
  );
});

test("pack: a group's balancing current is counted, so a bleeding group is no bias", () => {
  // Two groups of 2 cells at rest on the string; group 1 bleeds 0.6 A for an hour (0.3 A per cell). With the model
  // error allowance at its default the voltage at rest anchors the SOC only slowly: what the count does shows.
  const np = 2;
  const bleedA = -0.6;
  const truth = new CellArray(model, 2, { soc: 0.7, tempK: 298.15 });
  const told = new PackSocEstimator(model, 2, { filter: "ekf", initialSoc: 0.7, parallelCells: np });
  const blind = new PackSocEstimator(model, 2, { filter: "ekf", initialSoc: 0.7, parallelCells: np });
  const v = new Float64Array(2);
  const t = new Float64Array(2).fill(298.15);
  const extra = [0, bleedA];
  for (let k = 1; k <= 3600; k++) {
    v[0] = truth.step(0, 0, 1);
    v[1] = truth.step(1, bleedA / np, 1);
    told.step(1, 0, v, t, extra);
    blind.step(1, 0, v, t);
  }
  const drop = 0.6 / np / model.capacityAh; // the bled SOC, closed form
  assert.ok(Math.abs(truth.soc[1] - (0.7 - drop)) < 1e-9);
  assert.ok(Math.abs(told.soc[1] - truth.soc[1]) < 0.005, `told ${told.soc[1]} vs ${truth.soc[1]}`);
  assert.ok(Math.abs(told.soc[0] - truth.soc[0]) < 0.005);
  // Without the bleed current the filter has only the voltage to go by and lags the truth.
  assert.ok(
    Math.abs(blind.soc[1] - truth.soc[1]) > 2 * Math.abs(told.soc[1] - truth.soc[1]),
    `blind ${blind.soc[1]}, told ${told.soc[1]}, truth ${truth.soc[1]}`,
  );
});
