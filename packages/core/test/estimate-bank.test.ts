/**
 * The SOC hypothesis bank (estimate/bank.ts) for filters restarted under load, on data from the cell model with
 * sensor noise: a start 20 points off is caught, a right start is left alone even when the cell's resistances
 * are not the model's, and a start at rest is the plain filter bit for bit.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  estimateSoc,
  resolveTuning,
  SocEkf,
  type SocFilterBase,
  SocHypothesisBank,
  SocSpkf,
} from "../src/estimate/index.ts";
import { type SyntheticRun, syntheticRun } from "./estimate-synthetic.ts";
import { testCell, testCellFile } from "./fixtures.ts";

const model = testCell();
const gate = resolveTuning(model, {}).nisGate;

/** The test cell with every resistance (R0 and the RC branches) scaled by `factor`. */
function scaled(factor: number) {
  const base = testCellFile();
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

const drive = (factor: number, seed: number) =>
  syntheticRun(scaled(factor), {
    seed,
    seconds: 7200,
    initialSoc: 0.9,
    voltageNoiseV: 0.002,
    currentNoiseA: 0.003,
  });

/** Runs a filter from row k0 (ten minutes into the drive: the cell is loaded and polarised); SOC RMSE. */
function runFrom(run: SyntheticRun, k0: number, f: { soc: number; step: SocFilterBase["step"] }): number {
  let se = 0;
  for (let k = k0; k < run.timeS.length; k++) {
    f.step(k === k0 ? 0 : run.timeS[k] - run.timeS[k - 1], run.currentA[k], run.voltageV[k], run.tempK[k]);
    se += (f.soc - run.trueSoc[k]) ** 2;
  }
  return Math.sqrt(se / (run.timeS.length - k0));
}

const K0 = 600;
const makers = {
  ekf: (soc: number): SocFilterBase => new SocEkf(model, { soc }),
  spkf: (soc: number): SocFilterBase => new SocSpkf(model, { soc }),
};

for (const filter of ["ekf", "spkf"] as const)
  test(`${filter}: restarted 20 points off under load, the bank picks the right hypothesis and ends far closer`, () => {
    for (const seed of [1, 3])
      for (const off of [-0.2, 0.2]) {
        const run = drive(1, seed);
        const z0 = run.trueSoc[K0] + off;
        const plain = runFrom(run, K0, makers[filter](z0));
        const bank = new SocHypothesisBank(model, z0, makers[filter], gate);
        const withBank = runFrom(run, K0, bank);
        const label = `seed ${seed}, start ${off > 0 ? "+" : ""}${off * 100} points`;
        assert.equal(bank.offsets[bank.winner], -off, `${label}: winner ${bank.offsets[bank.winner]}`);
        assert.ok(
          withBank < 0.5 * plain,
          `${label}: RMSE ${(100 * withBank).toFixed(1)} vs ${(100 * plain).toFixed(1)} points`,
        );
      }
  });

for (const filter of ["ekf", "spkf"] as const)
  test(`${filter}: a right start under load is kept, also when the cell's resistances are 0.6 × or 1.6 × the model's`, () => {
    for (const factor of [0.6, 1, 1.6])
      for (const seed of [1, 2, 3]) {
        const run = drive(factor, seed);
        const z0 = run.trueSoc[K0];
        const plain = runFrom(run, K0, makers[filter](z0));
        const bank = new SocHypothesisBank(model, z0, makers[filter], gate);
        const withBank = runFrom(run, K0, bank);
        const label = `×${factor}, seed ${seed}`;
        assert.equal(bank.offsets[bank.winner], 0, `${label}: winner ${bank.offsets[bank.winner]}`);
        // The copy started at the given SOC is the plain filter, so keeping it changes nothing.
        assert.equal(withBank, plain);
      }
  });

test("a start at rest is the plain filter bit for bit; bad bank options are refused", () => {
  const run = drive(1, 4);
  for (const filter of ["ekf", "spkf"] as const) {
    const a = estimateSoc(model, run, { filter, initialSoc: 0.7 });
    const b = estimateSoc(model, run, { filter, initialSoc: 0.7, hypothesisBank: false });
    assert.deepEqual(a.soc, b.soc);
    assert.deepEqual(a.socSigma, b.socSigma);
  }
  assert.throws(() => new SocHypothesisBank(model, 1.5, makers.ekf, gate), /initial SOC 1.5/);
  assert.throws(
    () => new SocHypothesisBank(model, 0.5, makers.ekf, gate, { minWindowS: 600, maxWindowS: 60 }),
    /minWindowS ≤ maxWindowS/,
  );
  assert.throws(
    () => new SocHypothesisBank(model, 0.5, makers.ekf, gate, { offsets: [Number.NaN] }),
    /offsets must be SOC fractions/,
  );
});
