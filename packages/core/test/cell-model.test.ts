/**
 * The cell model against independent expectations: closed-form step responses, charge and energy conservation,
 * hysteresis bounds, thermal steady state.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { CellArray, celsiusToKelvin, ocvAt, simulateCell } from "../src/index.ts";
import { testCell } from "./fixtures.ts";

const T25 = celsiusToKelvin(25);

/** One RC, no hysteresis, constant parameters, an OCV linear in SOC: the step response has a closed form. */
function oneRcCell() {
  return testCell({
    coulombicEfficiency: 1,
    ocv: { soc: [0, 1], voltageV: [3.2, 4.1] },
    dUdT_VperK: 0,
    r0Ohm: 0.03,
    rc: [{ rOhm: 0.02, cF: 1500 }],
    hysteresis: undefined,
    arrheniusEaJperMol: 0,
  });
}

test("1RC step response equals the closed form (relative error <= 1e-9), even and uneven sampling", () => {
  const m = oneRcCell();
  const [q, r0, r1, tau] = [3 * 3600, 0.03, 0.02, 0.02 * 1500];
  const z0 = 0.8;
  const current = -2.5;
  for (const times of [
    Array.from({ length: 601 }, (_, k) => k * 0.5),
    [0, 0.1, 0.35, 1, 2.7, 3, 10, 10.5, 33, 60, 61, 120, 250, 300],
  ]) {
    const r = simulateCell(
      m,
      { timeS: times, currentA: times.map(() => current) },
      { initialSoc: z0, useProfileTemperature: false },
    );
    for (let k = 0; k < times.length; k++) {
      const t = times[k];
      const z = z0 + (current * t) / q;
      const expected = 3.2 + 0.9 * z + r0 * current + r1 * current * (1 - Math.exp(-t / tau));
      const rel = Math.abs(r.voltageV[k] - expected) / Math.abs(expected);
      assert.ok(rel <= 1e-9, `t=${t}: model ${r.voltageV[k]} vs closed form ${expected} (rel ${rel})`);
      assert.ok(Math.abs(r.soc[k] - z) <= 1e-12, `SOC at t=${t}`);
    }
  }
});

test("relaxation after a pulse follows v1·exp(−t/τ)", () => {
  const m = oneRcCell();
  const tau = 30;
  const times = Array.from({ length: 401 }, (_, k) => k);
  const cur = times.map((t) => (t <= 100 ? -3 : 0));
  const r = simulateCell(
    m,
    { timeS: times, currentA: cur },
    { initialSoc: 0.5, useProfileTemperature: false },
  );
  const v1End = 0.02 * -3 * (1 - Math.exp(-100 / tau));
  const zEnd = 0.5 - 300 / (3 * 3600);
  for (let k = 101; k <= 400; k++) {
    const expected = 3.2 + 0.9 * zEnd + v1End * Math.exp(-(k - 100) / tau);
    assert.ok(Math.abs(r.voltageV[k] - expected) <= 1e-9 * expected, `t=${k}`);
  }
});

/** A deterministic, uneven, bounded current profile from a seed. */
function profile(seed: number, n: number, iMax: number) {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const t: number[] = [0];
  const i: number[] = [0];
  for (let k = 1; k < n; k++) {
    t.push(t[k - 1] + 0.1 + 5 * rnd());
    i.push(rnd() < 0.2 ? 0 : (2 * rnd() - 1) * iMax);
  }
  return { t, i };
}

test("charge conservation: Σ η(I)·I·dt equals ΔSOC·Q", () => {
  const m = testCell();
  const { t, i } = profile(7, 3000, 6);
  const r = simulateCell(m, { timeS: t, currentA: i }, { initialSoc: 0.5, useProfileTemperature: false });
  let charge = 0;
  for (let k = 1; k < t.length; k++) charge += (i[k] > 0 ? 0.995 : 1) * i[k] * (t[k] - t[k - 1]);
  const dq = (r.soc[t.length - 1] - 0.5) * 3 * 3600;
  assert.ok(
    Math.abs(dq - charge) <= 1e-9 * Math.max(1, Math.abs(charge)),
    `ΔSOC·Q ${dq} C vs ∫I ${charge} C`,
  );
});

/** ∫(U_ref − T_ref·dU/dT) dz by a fine midpoint rule on the fixture's tables (independent of the model's integral). */
function storedEnthalpyJ(z0: number, z1: number): number {
  const m = testCell();
  const n = 200000;
  const dz = (z1 - z0) / n;
  let s = 0;
  for (let k = 0; k < n; k++) {
    const z = z0 + (k + 0.5) * dz;
    const u = m.ocv.at(z, T25);
    const d = m.dUdT.at(z, T25);
    s += (u - T25 * d) * dz;
  }
  return s * 3 * 3600;
}

test("energy balance over a cycle: electrical energy in = stored enthalpy + capacitor energy + heat (rel <= 1e-6)", () => {
  // Constant capacitances so that the capacitor energy ½·C·v² is well defined; everything else as in the fixture
  // (SOC- and temperature-dependent R, hysteresis, entropic heat, coulombic efficiency, live thermal model).
  const m = testCell({
    rc: [
      { rOhm: { soc: [0, 1], values: [0.02, 0.015] }, cF: 1200 },
      { rOhm: 0.01, cF: 40000 },
    ],
  });
  const cells = new CellArray(m, 1, { soc: 0.9, tempK: T25 });
  cells.leakA[0] = 0.002;
  const amb = celsiusToKelvin(5);
  const phases: [number, number, number][] = [
    [-6, 1800, 1],
    [0, 600, 5],
    [2.5, 2000, 2],
    [-1, 300, 0.5],
    [0, 1200, 10],
  ];
  let viSum = 0;
  for (const [cur, dur, dt] of phases) {
    for (let t = 0; t < dur; t += dt) {
      const v = cells.step(0, cur, dt);
      cells.stepThermal(0, dt, amb);
      viSum += v * cur * dt;
    }
  }
  const elec = cells.electricalJ[0];
  const heat = cells.heatJ[0];
  const capJ = 0.5 * 1200 * cells.vrc[0][0] ** 2 + 0.5 * 40000 * cells.vrc[1][0] ** 2;
  const stored = storedEnthalpyJ(0.9, cells.soc[0]);
  const throughput = Math.abs(elec) + Math.abs(heat) + Math.abs(stored);
  const residual = elec - (stored + capJ + heat);
  assert.ok(Math.abs(residual) <= 1e-6 * throughput, `residual ${residual} J of ${throughput} J`);
  assert.ok(heat > 0, "a cycle dissipates heat");
  // The exact in-step energy agrees with the sampled end-of-step voltage to within the sampling error.
  assert.ok(Math.abs(viSum - elec) <= 2e-3 * Math.abs(elec), `Σ V·I·dt ${viSum} vs exact ${elec}`);
});

test("hysteresis stays in [−1, 1] and the voltage offset converges to ±(M + M0)", () => {
  const m = testCell({ rc: [], r0Ohm: 0.03 });
  const cells = new CellArray(m, 1, { soc: 0.5, tempK: T25 });
  // Long slow charge: h → +1; the terminal voltage minus OCV minus R0·I → M + M0.
  let v = 0;
  for (let k = 0; k < 6000; k++) v = cells.step(0, 0.3, 1);
  const z = cells.soc[0];
  const mh = m.hysteresis!.m.at(z, T25);
  assert.ok(Math.abs(cells.h[0] - 1) < 1e-6, `h after charging: ${cells.h[0]}`);
  const offsetCharge = v - ocvAt(m, z, T25) - 0.03 * 0.3;
  assert.ok(Math.abs(offsetCharge - (mh + 0.003)) < 2e-4, `offset ${offsetCharge} vs M+M0 ${mh + 0.003}`);
  for (let k = 0; k < 6000; k++) v = cells.step(0, -0.3, 1);
  const z2 = cells.soc[0];
  const mh2 = m.hysteresis!.m.at(z2, T25);
  assert.ok(Math.abs(cells.h[0] + 1) < 1e-6, `h after discharging: ${cells.h[0]}`);
  const offsetDis = v - ocvAt(m, z2, T25) + 0.03 * 0.3;
  assert.ok(Math.abs(offsetDis + (mh2 + 0.003)) < 2e-4, `offset ${offsetDis} vs −(M+M0)`);
});

test("property: hysteresis state stays within [−1, 1] for any current sequence", () => {
  const m = testCell();
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.double({ min: -30, max: 30, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true })),
        { maxLength: 200 },
      ),
      (steps) => {
        const c = new CellArray(m, 1, { soc: 0.5, tempK: T25 });
        for (const [i, dt] of steps) {
          c.step(0, i, dt);
          if (!(c.h[0] >= -1 && c.h[0] <= 1)) return false;
        }
        return true;
      },
    ),
    { numRuns: 300, seed: 42 },
  );
});

test("thermal steady state equals ambient plus heat over conductance", () => {
  // Only ohmic heat: flat OCV, no RC, no hysteresis, no entropy; a ±I square wave keeps SOC in range.
  const m = testCell({
    ocv: { soc: [0, 1], voltageV: [3.6, 3.6] },
    dUdT_VperK: 0,
    r0Ohm: 0.04,
    rc: [],
    hysteresis: undefined,
    coulombicEfficiency: 1,
    arrheniusEaJperMol: 0,
  });
  const c = new CellArray(m, 1, { soc: 0.5, tempK: celsiusToKelvin(20) });
  const amb = celsiusToKelvin(20);
  const current = 4;
  for (let k = 0; k < 40000; k++) {
    c.step(0, k % 2 === 0 ? current : -current, 1);
    c.stepThermal(0, 1, amb);
  }
  const p = 0.04 * current * current;
  const expectedCell = amb + p * (1 / 1.5 + 1 / 0.1);
  const expectedCase = amb + p / 0.1;
  assert.ok(Math.abs(c.tCellK[0] - expectedCell) < 1e-6, `cell ${c.tCellK[0]} K vs ${expectedCell} K`);
  assert.ok(Math.abs(c.tCaseK[0] - expectedCase) < 1e-6, `case ${c.tCaseK[0]} K vs ${expectedCase} K`);
});

test("thermal step is exact: one large step equals many small ones", () => {
  const m = testCell({ rc: [], hysteresis: undefined });
  const a = new CellArray(m, 1, { soc: 0.5, tempK: celsiusToKelvin(40) });
  const b = new CellArray(m, 1, { soc: 0.5, tempK: celsiusToKelvin(40) });
  a.tCaseK[0] = b.tCaseK[0] = celsiusToKelvin(30);
  a.stepThermal(0, 100, celsiusToKelvin(10));
  for (let k = 0; k < 1000; k++) b.stepThermal(0, 0.1, celsiusToKelvin(10));
  assert.ok(Math.abs(a.tCellK[0] - b.tCellK[0]) < 1e-9);
  assert.ok(Math.abs(a.tCaseK[0] - b.tCaseK[0]) < 1e-9);
});

test("constant-power profile: V·I equals the demanded power (exact unless a step crosses an OCV breakpoint)", () => {
  const m = testCell();
  const times = Array.from({ length: 1000 }, (_, k) => k);
  const r = simulateCell(
    m,
    { timeS: times, powerW: times.map(() => -8) },
    { initialSoc: 0.95, useProfileTemperature: false },
  );
  const breakpoints = Array.from(m.ocv.soc);
  let crossings = 0;
  for (let k = 1; k < times.length; k++) {
    const p = r.voltageV[k] * r.currentA[k];
    const crossed = breakpoints.some((b) => (r.soc[k - 1] - b) * (r.soc[k] - b) < 0);
    if (crossed) crossings++;
    assert.ok(
      Math.abs(p + 8) < (crossed ? 1e-4 : 1e-9),
      `row ${k}: P = ${p}${crossed ? " (breakpoint)" : ""}`,
    );
  }
  assert.ok(crossings > 0 && crossings < 5);
});

test("property: random bounded current profiles never produce NaN, and SOC leaving [0, 1] is reported", () => {
  const m = testCell();
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.array(
        fc.tuple(
          fc.double({ min: -20, max: 10, noNaN: true }),
          fc.double({ min: 0.01, max: 600, noNaN: true }),
        ),
        { minLength: 1, maxLength: 150 },
      ),
      (z0, steps) => {
        const times = [0];
        const cur = [0];
        for (const [i, dt] of steps) {
          times.push(times[times.length - 1] + dt);
          cur.push(i);
        }
        const r = simulateCell(
          m,
          { timeS: times, currentA: cur },
          { initialSoc: z0, useProfileTemperature: false },
        );
        for (let k = 0; k < times.length; k++)
          if (!Number.isFinite(r.voltageV[k]) || !Number.isFinite(r.soc[k]) || !Number.isFinite(r.tempK[k]))
            return false;
        const left = r.soc.some((z) => z < 0 || z > 1);
        return left === (r.socLeftRange !== null) && left === r.warnings.some((w) => w.includes("SOC left"));
      },
    ),
    { numRuns: 200, seed: 7 },
  );
});

test("per-cell capacity scale: a smaller cell moves its SOC faster in proportion", () => {
  const m = testCell();
  const c = new CellArray(m, 2, { soc: 0.5, tempK: T25 });
  c.capacityScale[1] = 0.8;
  for (let k = 0; k < 100; k++) {
    c.step(0, -2, 1);
    c.step(1, -2, 1);
  }
  assert.ok(Math.abs((0.5 - c.soc[1]) / (0.5 - c.soc[0]) - 1 / 0.8) < 1e-12);
});
