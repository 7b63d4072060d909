import assert from "node:assert/strict";
import { test } from "node:test";
import { estimateSoc, SocEkf } from "../src/estimate/index.ts";
import { syntheticRun } from "./estimate-synthetic.ts";
import { testCell, testCellFile } from "./fixtures.ts";

// The filters run on the test cell's parameter set; the data come from a cell whose resistances (R0 and every RC
// branch) are a factor off — an aged or colder cell, a set fitted on another sample. The filters use their default
// tuning (nothing told about the mismatch). Such an error of the overpotential changes sign with the current; the
// filters carry it as a state (ρ) instead of reading it as SOC.
const model = testCell();
const base = testCellFile();

function scaled(factor: number) {
  const scale = (v: unknown): unknown =>
    typeof v === "number" ? v * factor : Array.isArray(v) ? v.map(scale) : v;
  const r0 = base.r0Ohm as unknown as Record<string, { soc: number[]; tempC: number[]; values: number[][] }>;
  const r0Ohm = Object.fromEntries(
    Object.entries(r0).map(([dir, t]) => [dir, { ...t, values: scale(t.values) }]),
  );
  const rc = [
    {
      rOhm: { soc: [0, 1], values: [0.02 * factor, 0.015 * factor] },
      cF: { soc: [0, 1], values: [1000, 1500] },
    },
    { rOhm: 0.01 * factor, cF: 40000 },
  ];
  return testCell({ r0Ohm, rc });
}

for (const factor of [0.6, 1.6])
  for (const filter of ["ekf", "spkf"] as const)
    test(`${filter}: cell resistances ${factor} × the model's, right start at rest: within 1 point over 2 h of driving`, () => {
      const truth = scaled(factor);
      for (const seed of [1, 2, 3]) {
        const run = syntheticRun(truth, {
          seed,
          seconds: 7200,
          initialSoc: 0.9,
          voltageNoiseV: 0.002,
          currentNoiseA: 0.003,
        });
        const r = estimateSoc(model, run, { filter, initialSoc: 0.9 });
        let worst = 0;
        for (let k = 0; k < r.soc.length; k++) worst = Math.max(worst, Math.abs(r.soc[k] - run.trueSoc[k]));
        assert.ok(worst <= 0.01, `seed ${seed}: worst SOC error ${(100 * worst).toFixed(2)} points`);
      }
    });

test("ekf: the overpotential factor 1 + ρ follows the cell's resistance ratio", () => {
  const run = syntheticRun(scaled(1.6), {
    seed: 4,
    seconds: 3600,
    initialSoc: 0.9,
    voltageNoiseV: 0.002,
    currentNoiseA: 0.003,
  });
  const f = new SocEkf(model, { soc: 0.9 });
  for (let k = 0; k < run.timeS.length; k++)
    f.step(k === 0 ? 0 : 1, run.currentA[k], run.voltageV[k], run.tempK[k]);
  assert.ok(Math.abs(f.overpotentialFactor - 1.6) < 0.2, `1 + ρ = ${f.overpotentialFactor}`);
});
