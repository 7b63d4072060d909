/**
 * Four RC pairs (the most a set may have, MAX_RC_PAIRS): the set loads, the model's step and relaxation equal the
 * closed form of four independent first-order lags, and the SOC filters run on it and track a model-generated
 * drive from a wrong start.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { estimateSoc, MAX_RC_PAIRS, simulateCell } from "../src/index.ts";
import { testCell } from "./fixtures.ts";

// ≈1 s, ≈30 s, ≈10 min and ≈2 h, as in the Panasonic set fitted with --long-rc.
const PAIRS = [
  { r: 0.012, tau: 0.8 },
  { r: 0.008, tau: 30 },
  { r: 0.01, tau: 600 },
  { r: 0.015, tau: 7200 },
];

function fourRcCell(hysteresis?: unknown) {
  return testCell({
    coulombicEfficiency: 1,
    ocv: { soc: [0, 1], voltageV: [3.2, 4.1] },
    dUdT_VperK: 0,
    r0Ohm: 0.03,
    rc: PAIRS.map((p) => ({ rOhm: p.r, cF: p.tau / p.r })),
    hysteresis,
    arrheniusEaJperMol: 0,
  });
}

test("a set may have four RC pairs, and the model keeps all four", () => {
  assert.equal(MAX_RC_PAIRS, 4);
  const m = fourRcCell();
  assert.equal(m.rc.length, 4);
  assert.deepEqual(
    m.rc.map((b) => b.r.at(0.5, 298.15, -1) * b.c.at(0.5, 298.15)),
    PAIRS.map((p) => p.tau),
  );
});

test("four RC pairs: step and relaxation equal the closed form (relative error <= 1e-9), uneven sampling", () => {
  const m = fourRcCell();
  const q = 3 * 3600;
  const z0 = 0.9;
  const current = -2;
  const stepEnd = 3600; // SOC 0.9 → 0.23, inside the linear OCV
  // Uneven rows through the step and a long rest after it, so that every pair's time scale is sampled.
  const times = [0];
  while (times[times.length - 1] < 20000) {
    const t = times[times.length - 1];
    times.push(t + (t < 5 ? 0.13 : t < 100 ? 1.7 : t < stepEnd && t + 37 > stepEnd ? stepEnd - t : 37));
  }
  const cur = times.map((t) => (t <= stepEnd ? current : 0));
  const r = simulateCell(
    m,
    { timeS: times, currentA: cur },
    { initialSoc: z0, useProfileTemperature: false },
  );
  for (let k = 0; k < times.length; k++) {
    const t = times[k];
    const z = z0 + (current * Math.min(t, stepEnd)) / q;
    let expected = 3.2 + 0.9 * z + (t <= stepEnd ? 0.03 * current : 0);
    for (const p of PAIRS) {
      const atEnd = p.r * current * (1 - Math.exp(-Math.min(t, stepEnd) / p.tau));
      expected += t <= stepEnd ? atEnd : atEnd * Math.exp(-(t - stepEnd) / p.tau);
    }
    const rel = Math.abs(r.voltageV[k] - expected) / expected;
    assert.ok(rel <= 1e-9, `t=${t}: model ${r.voltageV[k]} vs closed form ${expected} (rel ${rel})`);
  }
});

test("four RC pairs: EKF and SPKF run on the set and find the SOC of a model-generated drive from 20 points off", () => {
  const m = fourRcCell({ mV: 0.01, gamma: 100 });
  // A deterministic drive: 1-s rows of discharge bursts and rests, about 2.5 h.
  const n = 9000;
  const timeS = Array.from({ length: n }, (_, k) => k);
  const currentA = timeS.map((t) => (t % 300 < 200 ? -1.5 - Math.sin(t / 7) : 0.3 * Math.cos(t / 13)));
  const sim = simulateCell(m, { timeS, currentA }, { initialSoc: 0.95, useProfileTemperature: false });
  for (const filter of ["ekf", "spkf"] as const) {
    const est = estimateSoc(
      m,
      { timeS, currentA, voltageV: sim.voltageV },
      { filter, initialSoc: 0.75, tempK: 298.15 },
    );
    let late = 0;
    for (let k = n / 2; k < n; k++) late = Math.max(late, Math.abs(est.soc[k] - sim.soc[k]));
    assert.ok(late < 0.01, `${filter}: SOC error in the second half up to ${(100 * late).toFixed(2)} points`);
  }
});
