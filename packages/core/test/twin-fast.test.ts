import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { FastCells } from "../src/cell/fast.ts";
import { CellArray } from "../src/cell/model.ts";
import { type CellModel, loadCellModel } from "../src/cell/params.ts";
import { Rng } from "../src/random.ts";
import { testCell } from "./fixtures.ts";

/** Runs the exact path (CellArray.step) and the fast path side by side on one random current profile. */
function compare(
  refreshEvery: number,
  seed: number,
  tempDriftK = 0,
  driftSteps = 3000,
  model: CellModel = testCell(),
) {
  const exact = new CellArray(model, 1, { soc: 0.55, tempK: 298.15 });
  const fastCells = new CellArray(model, 1, { soc: 0.55, tempK: 298.15 });
  const fast = new FastCells(fastCells, refreshEvery);
  const rng = new Rng(seed);
  const dt = 0.1;
  let current = 0;
  let maxDv = 0;
  // Steps whose SOC crosses an OCV (or dU/dT) breakpoint: there the fast path's voltage is the linearised one
  // (V = E + R·I, what makes current sharing exact) and differs from OCV(z1) by the kink in the table.
  const breakpoints = [...model.ocv.soc, ...model.dUdT.soc];
  let maxDvOffBreakpoints = 0;
  let crossings = 0;
  for (let k = 0; k < 20000; k++) {
    const z0 = exact.soc[0];
    if (k % 50 === 0) current = (rng.uniform() < 0.5 ? -1 : 1) * rng.range(0.5, 6);
    if (tempDriftK) {
      const t = 298.15 + tempDriftK * Math.sin(k / driftSteps);
      exact.tCellK[0] = t;
      fastCells.tCellK[0] = t;
    }
    const ve = exact.step(0, current, dt);
    fast.beginStep(dt);
    fast.linearize(0, fast.modeOf(current));
    fast.currentA[0] = current;
    fast.commit(0);
    const vf = fast.voltageV[0];
    maxDv = Math.max(maxDv, Math.abs(ve - vf));
    const z1 = exact.soc[0];
    if (breakpoints.some((b) => (b - z0) * (b - z1) <= 0)) crossings++;
    else maxDvOffBreakpoints = Math.max(maxDvOffBreakpoints, Math.abs(ve - vf));
  }
  return { exact, fastCells, maxDv, maxDvOffBreakpoints, crossings };
}

test("fast path refreshed every step follows the exact cell model (state and voltage to 1e-9)", () => {
  const { exact, fastCells, maxDv } = compare(1, 7);
  assert.ok(Math.abs(exact.soc[0] - fastCells.soc[0]) < 1e-9, `soc ${exact.soc[0]} vs ${fastCells.soc[0]}`);
  for (let k = 0; k < exact.nRc; k++) assert.ok(Math.abs(exact.vrc[k][0] - fastCells.vrc[k][0]) < 1e-9);
  assert.ok(Math.abs(exact.h[0] - fastCells.h[0]) < 1e-9);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a));
  assert.ok(rel(exact.electricalJ[0], fastCells.electricalJ[0]) < 1e-9);
  assert.ok(rel(exact.heatJ[0], fastCells.heatJ[0]) < 1e-9);
  assert.ok(maxDv < 1e-9, `max voltage difference ${maxDv} V`);
});

test("on a set with SOC × T tables and Arrhenius extrapolation, the fast path refreshed every step follows the exact model", () => {
  // The identified LG M50 set: bilinear R0, R_k, C_k and OCV tables over 0.95…45.3 °C. A 40 K swing around
  // 25 °C leaves the temperature axis on both sides (Arrhenius there); the current profile moves SOC across
  // many breakpoints. With a hysteresis model added, every cached coefficient is exercised.
  const file = JSON.parse(readFileSync(new URL("../params/lg-m50.json", import.meta.url), "utf8"));
  file.hysteresis = { mV: 0.01, m0V: 0.002, gamma: 100 };
  const model = loadCellModel(file, "lg-m50 with hysteresis");
  const { exact, fastCells, maxDv, maxDvOffBreakpoints, crossings } = compare(1, 11, 40, 3000, model);
  assert.ok(Math.abs(exact.soc[0] - fastCells.soc[0]) < 1e-9, `soc ${exact.soc[0]} vs ${fastCells.soc[0]}`);
  for (let k = 0; k < exact.nRc; k++) assert.ok(Math.abs(exact.vrc[k][0] - fastCells.vrc[k][0]) < 1e-9);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a));
  assert.ok(rel(exact.electricalJ[0], fastCells.electricalJ[0]) < 1e-9);
  assert.ok(rel(exact.heatJ[0], fastCells.heatJ[0]) < 1e-9);
  assert.ok(maxDvOffBreakpoints < 1e-9, `max voltage difference ${maxDvOffBreakpoints} V`);
  // At a crossing the linearised voltage misses the OCV kink over the part of the step beyond the breakpoint:
  // at most |Δslope|·|Δz| ≤ ~1 V·(6 A·0.1 s / 18 000 A·s) ≈ 3e-5 V. Measured: 7.5e-6 V.
  assert.ok(crossings > 5, `only ${crossings} breakpoint crossings`);
  assert.ok(maxDv < 3e-5, `max voltage difference at a crossing ${maxDv} V`);
});

test("the shipped four-pair Panasonic set (≈1 s, ≈30 s, ≈10 min, ≈2 h) in the fast path follows the exact model", () => {
  const model = loadCellModel(
    JSON.parse(readFileSync(new URL("../params/panasonic-18650pf.json", import.meta.url), "utf8")),
    "panasonic-18650pf",
  );
  assert.equal(model.rc.length, 4);
  const { exact, fastCells, maxDvOffBreakpoints } = compare(1, 5, 20, 3000, model);
  assert.ok(Math.abs(exact.soc[0] - fastCells.soc[0]) < 1e-9, `soc ${exact.soc[0]} vs ${fastCells.soc[0]}`);
  for (let k = 0; k < 4; k++)
    assert.ok(Math.abs(exact.vrc[k][0] - fastCells.vrc[k][0]) < 1e-9, `RC pair ${k}`);
  // The ≈2-h pair moved: the comparison covers it.
  assert.ok(Math.abs(exact.vrc[3][0]) > 1e-4, `slowest pair at ${exact.vrc[3][0]} V`);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a));
  assert.ok(rel(exact.electricalJ[0], fastCells.electricalJ[0]) < 1e-9);
  assert.ok(rel(exact.heatJ[0], fastCells.heatJ[0]) < 1e-9);
  assert.ok(maxDvOffBreakpoints < 1e-9, `max voltage difference ${maxDvOffBreakpoints} V`);
});

test("fast path refreshing every 10 steps stays within its stated error bound, also with temperature drift", () => {
  for (const drift of [0, 10]) {
    const { exact, fastCells, maxDv } = compare(10, 3, drift);
    // Measured: 1e-5 V without drift, 2.4e-4 V with a 10 K swing; bound 0.5 mV.
    assert.ok(maxDv < 5e-4, `max voltage difference ${maxDv} V (drift ${drift} K)`);
    assert.ok(Math.abs(exact.soc[0] - fastCells.soc[0]) < 1e-6);
  }
});

test("the pack default (refresh every 50 steps = 5 s) stays within 0.5 mV under a realistic temperature drift", () => {
  // 10 K swing with a period of ~31 min (≤ 0.034 K/s): faster than a pack's thermal time constants.
  // Measured: 0.23 mV (the cell's resistance moves ~1 %/K through its Arrhenius law).
  const { maxDv } = compare(50, 3, 10, 3000 * 6);
  assert.ok(maxDv < 5e-4, `max voltage difference ${maxDv} V`);
});

test("a stale fast path is detectably different (the comparison can fail)", () => {
  const { maxDv } = compare(100000, 3, 10);
  assert.ok(maxDv > 1e-4, `expected drift from never refreshing, got ${maxDv}`);
});

test("a set with a current axis on its resistances is refused by the fast path, not silently simplified", () => {
  const scale = { currentA: [1, 5], scale: [1, 0.6] };
  assert.throws(
    () => new FastCells(new CellArray(testCell({ r0CurrentScale: scale }), 1, { soc: 0.5, tempK: 298.15 })),
    /r0CurrentScale is set, but the pack twin's fast path does not model a current axis/,
  );
  const rc = [{ rOhm: 0.02, cF: 1500, rCurrentScale: scale }];
  assert.throws(
    () => new FastCells(new CellArray(testCell({ rc }), 1, { soc: 0.5, tempK: 298.15 })),
    /rc\[0\]\.rCurrentScale is set/,
  );
  // Without the axis the same cell is accepted.
  assert.ok(
    new FastCells(
      new CellArray(testCell({ rc: [{ rOhm: 0.02, cF: 1500 }] }), 1, { soc: 0.5, tempK: 298.15 }),
    ),
  );
});
