/**
 * The optional current axis of R0 (`r0CurrentScale`): closed-form step responses at several current magnitudes,
 * the one-step lag of the linearisation, energy conservation with a current-dependent R0, the estimators' step,
 * validation errors, and sets without the axis unchanged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CellArray,
  celsiusToKelvin,
  parseCellParams,
  r0At,
  StepCoefficients,
  simulateCell,
  stepCoefficients,
} from "../src/index.ts";
import { testCell, testCellFile } from "./fixtures.ts";

const T25 = celsiusToKelvin(25);
const Q_AH = 3;
const R0 = 0.03;
const R1 = 0.02;
const C1 = 1500;
/** R0 multiplier: 1 at 1 A, 0.6 at 5 A, linear between, held beyond. */
const SCALE = { currentA: [1, 5], scale: [1, 0.6] };
const scaleAt = (i: number) => {
  const x = Math.min(5, Math.max(1, Math.abs(i)));
  return 1 + ((x - 1) / 4) * (0.6 - 1);
};

function oneRcCell(withAxis = true) {
  return testCell({
    coulombicEfficiency: 1,
    ocv: { soc: [0, 1], voltageV: [3.2, 4.1] },
    dUdT_VperK: 0,
    r0Ohm: R0,
    ...(withAxis ? { r0CurrentScale: SCALE } : {}),
    rc: [{ rOhm: R1, cF: C1 }],
    hysteresis: undefined,
    arrheniusEaJperMol: 0,
  });
}

test("constant-current response from rest equals the closed form with R0 scaled at the step's |I|", () => {
  const m = oneRcCell();
  const tau = R1 * C1;
  for (const cur of [-0.5, -3, -7, 2]) {
    const n = 200;
    const t = Array.from({ length: n }, (_, k) => k * 3);
    const sim = simulateCell(
      m,
      { timeS: t, currentA: t.map((_, k) => (k === 0 ? 0 : cur)) },
      { initialSoc: 0.8 },
    );
    for (let k = 1; k < n; k++) {
      const z = 0.8 + (cur * t[k]) / (3600 * Q_AH);
      const expected = 3.2 + 0.9 * z + R0 * scaleAt(cur) * cur + R1 * cur * (1 - Math.exp(-t[k] / tau));
      assert.ok(Math.abs(sim.voltageV[k] - expected) <= 1e-9, `I = ${cur} A, t = ${t[k]} s`);
    }
  }
});

test("an RC pair's current axis scales its R at a fixed τ: closed-form response and relaxation", () => {
  const m = testCell({
    coulombicEfficiency: 1,
    ocv: { soc: [0, 1], voltageV: [3.2, 4.1] },
    dUdT_VperK: 0,
    r0Ohm: R0,
    rc: [{ rOhm: R1, cF: C1, rCurrentScale: SCALE }],
    hysteresis: undefined,
    arrheniusEaJperMol: 0,
  });
  const tau = R1 * C1;
  const cur = -4;
  const n = 120;
  const t = Array.from({ length: 2 * n }, (_, k) => k * 2);
  const currentA = t.map((_, k) => (k === 0 || k >= n ? 0 : cur));
  const sim = simulateCell(m, { timeS: t, currentA }, { initialSoc: 0.6 });
  const tEnd = t[n - 1];
  const zEnd = 0.6 + (cur * tEnd) / (3600 * Q_AH);
  const vEnd = R1 * scaleAt(cur) * cur * (1 - Math.exp(-tEnd / tau));
  for (let k = 1; k < 2 * n; k++) {
    const loaded = k < n;
    const z = loaded ? 0.6 + (cur * t[k]) / (3600 * Q_AH) : zEnd;
    const v1 = loaded
      ? R1 * scaleAt(cur) * cur * (1 - Math.exp(-t[k] / tau))
      : vEnd * Math.exp(-(t[k] - tEnd) / tau);
    const expected = 3.2 + 0.9 * z + (loaded ? R0 * cur : 0) + v1;
    assert.ok(
      Math.abs(sim.voltageV[k] - expected) <= 1e-9,
      `t = ${t[k]} s: ${sim.voltageV[k]} vs ${expected}`,
    );
  }
});

test("linearize evaluates R0 at the previous step's current by default (explicit one-step lag)", () => {
  const m = oneRcCell();
  const cells = new CellArray(m, 1, { soc: 0.5, tempK: T25 });
  const dt = 1;
  const rcPart = R1 * (1 - Math.exp(-dt / (R1 * C1)));
  const slope = (0.9 * dt) / (3600 * Q_AH);
  // From rest the last current is 0: the scale of the lowest point (1).
  cells.linearize(0, dt, -1);
  assert.ok(Math.abs(cells.resistance[0] - (R0 + rcPart + slope)) <= 1e-15);
  cells.commit(0, -4, dt);
  assert.equal(cells.lastCurrentA[0], -4);
  cells.linearize(0, dt, -1);
  assert.ok(Math.abs(cells.resistance[0] - (R0 * scaleAt(4) + rcPart + slope)) <= 1e-15);
  // A given current overrides the lag.
  cells.linearize(0, dt, -1, -2);
  assert.ok(Math.abs(cells.resistance[0] - (R0 * scaleAt(2) + rcPart + slope)) <= 1e-15);
  // The committed voltage follows the linearisation exactly (V = emf + R·I).
  const e = cells.emf[0];
  const r = cells.resistance[0];
  const v = cells.commit(0, -2, dt);
  assert.ok(Math.abs(v - (e + r * -2)) <= 1e-12);
});

test("energy balance with a current-dependent R0: electrical in = stored + capacitor + heat, ohmic heat Σ R0(|I|)·I²·dt", () => {
  const m = oneRcCell();
  const cells = new CellArray(m, 1, { soc: 0.9, tempK: T25 });
  const phases: [number, number, number][] = [
    [-6, 900, 1],
    [0, 300, 5],
    [2.5, 600, 2],
    [-1.5, 300, 0.5],
    [-3, 400, 1],
  ];
  let ohmic = 0;
  for (const [cur, dur, dt] of phases)
    for (let t = 0; t < dur; t += dt) {
      cells.step(0, cur, dt);
      ohmic += R0 * scaleAt(cur) * cur * cur * dt;
    }
  const z0 = 0.9;
  const z1 = cells.soc[0];
  // ∫OCV dz of the linear OCV, times the charge per unit SOC.
  const stored = 3600 * Q_AH * (3.2 * (z1 - z0) + 0.45 * (z1 * z1 - z0 * z0));
  const capJ = 0.5 * C1 * cells.vrc[0][0] ** 2;
  const elec = cells.electricalJ[0];
  const heat = cells.heatJ[0];
  const residual = elec - (stored + capJ + heat);
  assert.ok(Math.abs(residual) <= 1e-6 * (Math.abs(elec) + heat), `residual ${residual} J`);
  // Heat is the ohmic part plus the RC branch's, which is positive: the ohmic part alone is below it.
  assert.ok(heat > ohmic && heat < ohmic * 3, `heat ${heat} J, ohmic ${ohmic} J`);
  // Without the axis the same profile heats more (R0 is never scaled below 1 there).
  const plain = new CellArray(oneRcCell(false), 1, { soc: 0.9, tempK: T25 });
  for (const [cur, dur, dt] of phases) for (let t = 0; t < dur; t += dt) plain.step(0, cur, dt);
  let ohmicPlain = 0;
  for (const [cur, dur] of phases) ohmicPlain += R0 * cur * cur * dur;
  assert.ok(Math.abs(plain.heatJ[0] - heat - (ohmicPlain - ohmic)) <= 1e-6 * plain.heatJ[0]);
});

test("a scale of 1 everywhere gives byte-identical results to no axis; r0At equals r0.at without one", () => {
  const fixture = testCell();
  const ones = testCell({ r0CurrentScale: { currentA: [0, 10], scale: [1, 1] } });
  const t = Array.from({ length: 400 }, (_, k) => k);
  const cur = t.map((k) => 4 * Math.sin(k / 17) - 1);
  const a = simulateCell(fixture, { timeS: t, currentA: cur }, { initialSoc: 0.7 });
  const b = simulateCell(ones, { timeS: t, currentA: cur }, { initialSoc: 0.7 });
  assert.deepEqual(b.voltageV, a.voltageV);
  assert.equal(b.heatJ, a.heatJ);
  for (const z of [0, 0.3, 1])
    for (const i of [-5, 0, 2]) assert.equal(r0At(fixture, z, T25, i), fixture.r0.at(z, T25, i));
});

test("the scale may depend on temperature and is interpolated in |I| and T, held beyond both axes", () => {
  const m = testCell({
    r0CurrentScale: {
      currentA: [1, 3],
      scale: [1, { tempC: [0, 25], values: [0.5, 0.9] }],
    },
  });
  const T0 = celsiusToKelvin(0);
  const T125 = celsiusToKelvin(12.5);
  assert.ok(Math.abs(r0At(m, 0.5, T0, -3) - m.r0.at(0.5, T0, -1) * 0.5) <= 1e-15);
  assert.ok(Math.abs(r0At(m, 0.5, T125, -3) - m.r0.at(0.5, T125, -1) * 0.7) <= 1e-15);
  assert.ok(Math.abs(r0At(m, 0.5, T0, -2) - m.r0.at(0.5, T0, -1) * 0.75) <= 1e-15);
  assert.ok(
    Math.abs(r0At(m, 0.5, celsiusToKelvin(-20), -9) - m.r0.at(0.5, celsiusToKelvin(-20), -1) * 0.5) <= 1e-15,
  );
  assert.equal(r0At(m, 0.5, T25, 0.2), m.r0.at(0.5, T25, 1));
});

test("the estimators' step takes R0 at the measured current", () => {
  const m = oneRcCell();
  const c = new StepCoefficients(1);
  for (const i of [-7, -3, 0, 0.5, 4]) {
    stepCoefficients(m, 0.5, T25, i, 1, 0, Q_AH, c);
    assert.ok(Math.abs(c.r0 - R0 * scaleAt(i)) <= 1e-15, `I = ${i} A`);
  }
});

test("bad current axes are rejected naming the field, the value and what is allowed", () => {
  const bad = (r0CurrentScale: unknown, pattern: RegExp) =>
    assert.throws(() => parseCellParams({ ...testCellFile(), r0CurrentScale }), pattern);
  bad({ currentA: [2, 1], scale: [1, 1] }, /r0CurrentScale\.currentA\[1\].*greater than/s);
  bad({ currentA: [1, 2, 3], scale: [1, 1] }, /r0CurrentScale\.scale.*3 tables, one per currentA point/s);
  bad({ currentA: [1, 2], scale: [1, 0] }, /r0CurrentScale\.scale\[1\]/);
  bad({ currentA: [-1, 2], scale: [1, 1] }, /r0CurrentScale\.currentA\[0\]/);
  bad({ currentA: [1], scale: [1] }, /r0CurrentScale\.currentA/);
});
