import assert from "node:assert/strict";
import { test } from "node:test";
import { CellArray, ocvIntegral } from "../src/cell/model.ts";
import { Rng } from "../src/random.ts";
import { defaultPackConfig, type HostDemand, Pack, type PackConfig } from "../src/twin/pack.ts";
import { celsiusToKelvin } from "../src/units.ts";
import { testCell } from "./fixtures.ts";

const T25 = celsiusToKelvin(25);
const CLOSED = { positive: true, negative: true, precharge: false };

function makePack(ns: number, np: number, edit: (c: PackConfig) => void = () => {}, model = testCell()) {
  const config = defaultPackConfig(ns, np);
  config.spread = { capacity: 0, resistance: 0, soc: 0, leakA: 0, leakSdA: 0, interconnect: 0 };
  edit(config);
  return new Pack(model, config, { soc: 0.6, tempK: T25, ambientK: T25, coolantInletK: T25 }, new Rng(1));
}

function current(a: number): HostDemand {
  return { currentA: a, currentMinA: -1e9, currentMaxA: 1e9, voltageMinV: 0, voltageMaxV: 1e9 };
}

function closeContactors(pack: Pack) {
  pack.command(CLOSED, new Uint8Array(pack.ns), new Float64Array(pack.ns - 1), 0, 0);
}

test("in every group the cell currents sum to the group current and the cells share one terminal voltage", () => {
  const pack = makePack(3, 6, (c) => {
    c.spread = { capacity: 0.05, resistance: 0.1, soc: 0.02, leakA: 1e-4, leakSdA: 5e-5, interconnect: 0.2 };
  });
  closeContactors(pack);
  const rng = new Rng(9);
  let demand = 0;
  let worstSum = 0;
  let worstV = 0;
  for (let k = 0; k < 3000; k++) {
    if (k % 40 === 0) demand = rng.range(-40, 20);
    if (k % 400 === 0) demand = 0; // rests, where circulating currents flow between cells
    pack.step(0.1, current(demand));
    for (let g = 0; g < pack.ns; g++) {
      let sum = 0;
      for (let p = 0; p < pack.np; p++) {
        const i = g * pack.np + p;
        sum += pack.cellCurrentA[i];
        // Busbar voltage = cell terminal voltage + drop in its interconnect.
        const vBus = pack.cellVoltageV[i] + pack.interconnectOhm[i] * pack.cellCurrentA[i];
        worstV = Math.max(worstV, Math.abs(vBus - pack.groupVoltageV[g]));
      }
      worstSum = Math.max(worstSum, Math.abs(sum - pack.groupCurrentA[g]));
      assert.equal(pack.groupCurrentA[g], pack.stringCurrentA);
    }
  }
  assert.ok(worstSum <= 1e-9, `current sum error ${worstSum} A`);
  assert.ok(worstV <= 1e-9, `terminal voltage mismatch ${worstV} V`);
  // With spread, cells do not carry equal currents (the solve is not trivially I/Np).
  const i0 = pack.cellCurrentA.slice(0, 6);
  assert.ok(Math.max(...i0) - Math.min(...i0) > 1e-3);
});

test("a lower-resistance branch carries more current, in inverse proportion to its branch resistance", () => {
  const pack = makePack(1, 2);
  pack.cells.resistanceScale[0] = 0.5;
  pack.fast.invalidateAll();
  closeContactors(pack);
  pack.step(0.1, current(-10));
  const [a, b] = pack.cellCurrentA;
  assert.ok(a < b && Math.abs(a) > Math.abs(b), `currents ${a}, ${b}`);
  // From rest both cells have the same emf, so the split follows the fixture's branch resistances:
  // R = R0 + Σ R_k(1 − a_k) + slope·dt/Q (+ interconnect), R0 = 0.031 Ω and R_k at SOC 0.6, 25 °C.
  const model = testCell();
  const rBranch = (scale: number) => {
    let r = model.r0.at(0.6, T25, -1) * scale;
    for (const br of model.rc) {
      const rk = br.r.at(0.6, T25, -1) * scale;
      r += rk * (1 - Math.exp(-0.1 / (rk * br.c.at(0.6, T25))));
    }
    return r + (0.08 / 0.1) * (0.1 / (3 * 3600)) + 0.5e-3;
  };
  const expected = rBranch(1) / rBranch(0.5);
  assert.ok(Math.abs(a / b - expected) < 1e-3 * expected, `ratio ${a / b}, expected ${expected}`);
});

test("a low-capacity cell makes its group reach the voltage limit first", () => {
  const pack = makePack(4, 2);
  pack.cells.capacityScale[2 * 2 + 1] = 0.7;
  pack.fast.invalidateAll();
  closeContactors(pack);
  // A limit the fixture reaches near empty (its OCV table ends at 3.0 V).
  const vMin = 3.3;
  let first = -1;
  for (let k = 0; k < 200000 && first < 0; k++) {
    pack.step(1, current(-6));
    for (let g = 0; g < pack.ns; g++) if (pack.groupVoltageV[g] <= vMin) first = g;
  }
  assert.equal(first, 2);
  for (let g = 0; g < pack.ns; g++) if (g !== 2) assert.ok(pack.groupVoltageV[g] > vMin + 0.05);
});

test("a temperature gradient alone makes group voltages differ at equal SOC (phantom imbalance)", () => {
  const pack = makePack(3, 4);
  const temps = [15, 25, 35].map(celsiusToKelvin);
  for (let g = 0; g < 3; g++)
    for (let p = 0; p < 4; p++) {
      pack.cells.tCellK[g * 4 + p] = temps[g];
      pack.cells.tCaseK[g * 4 + p] = temps[g];
    }
  pack.settle();
  const socs = Array.from(pack.cells.soc);
  assert.ok(
    socs.every((z) => z === socs[0]),
    "SOC equal in every cell",
  );
  // OCV(z, T) = OCV(z, Tref) + (T − Tref)·dU/dT(z); the fixture's dU/dT at SOC 0.6 is 0.00009 V/K.
  const dUdT = 0.0001 + (0.6 - 0.5) * 2 * (0.00005 - 0.0001);
  assert.ok(Math.abs(pack.groupVoltageV[2] - pack.groupVoltageV[0] - 20 * dUdT) < 1e-9);
  assert.ok(Math.abs(pack.groupVoltageV[1] - pack.groupVoltageV[0] - 10 * dUdT) < 1e-9);
});

test("bleed current equals V/R and drains only its own group", () => {
  const pack = makePack(2, 3);
  const bleed = Uint8Array.from([1, 0]);
  pack.command({ positive: false, negative: false, precharge: false }, bleed, new Float64Array(1), 0, 0);
  const q0 = pack.cells.soc[0];
  const steps = 3600;
  let charge = 0;
  for (let k = 0; k < steps; k++) {
    pack.step(1, current(0));
    const v = pack.groupVoltageV[0];
    assert.ok(Math.abs(pack.bleedCurrentA[0] - v / pack.config.bleedOhm) <= 1e-12);
    let sum0 = 0;
    let sum1 = 0;
    for (let p = 0; p < 3; p++) {
      sum0 += pack.cellCurrentA[p];
      sum1 += pack.cellCurrentA[3 + p];
    }
    assert.ok(Math.abs(sum0 + v / pack.config.bleedOhm) <= 1e-9);
    assert.ok(Math.abs(sum1) <= 1e-9);
    charge += (v / pack.config.bleedOhm) * 1;
  }
  assert.equal(pack.stringCurrentA, 0);
  // Charge conservation: 3 cells of 3 A·h lose the bled charge (their mean SOC; heat gradients make small
  // currents circulate between them).
  const dz = charge / (3 * 3 * 3600);
  const mean = (pack.cells.soc[0] + pack.cells.soc[1] + pack.cells.soc[2]) / 3;
  assert.ok(Math.abs(q0 - mean - dz) < 1e-9, `${q0 - mean} vs ${dz}`);
  // Group 1 only sees circulating currents from the bleed resistor's heat warming its neighbours.
  assert.ok(Math.abs(pack.cells.soc[3] - q0) < 1e-6);
});

test("energy is conserved across the pack", () => {
  // Constant RC capacitances, so the energy stored in them is exactly ½·C·v².
  const rc = [
    { rOhm: { soc: [0, 1], values: [0.02, 0.015] }, cF: 1200 },
    { rOhm: 0.01, cF: 40000 },
  ];
  const pack = makePack(
    2,
    3,
    (c) => {
      c.spread = {
        capacity: 0.05,
        resistance: 0.1,
        soc: 0.02,
        leakA: 1e-3,
        leakSdA: 1e-4,
        interconnect: 0.2,
      };
    },
    testCell({ rc }),
  );
  const model = pack.cells.model;
  const z0 = Float64Array.from(pack.cells.soc);
  const bleed = Uint8Array.from([1, 0]);
  pack.command(CLOSED, bleed, new Float64Array(1), 0, 0);
  const rng = new Rng(4);
  let demand = 0;
  let throughputJ = 0;
  for (let k = 0; k < 20000; k++) {
    if (k % 300 === 0) demand = rng.range(-20, 10);
    const before = pack.terminalJ;
    pack.step(0.02, current(demand));
    throughputJ += Math.abs(pack.terminalJ - before);
  }
  const c = pack.cells;
  let elec = 0;
  let heat = 0;
  let enthalpy = 0;
  const tr = model.refTempK;
  for (let i = 0; i < pack.nCells; i++) {
    elec += c.electricalJ[i];
    heat += c.heatJ[i];
    // Stored enthalpy of a cell: q·∫(OCV − T·dU/dT) dz, which with OCV = U_ref + (T − Tref)·dU/dT is q·∫(U_ref − Tref·dU/dT) dz.
    const q = 3600 * model.capacityAh * c.capacityScale[i];
    enthalpy +=
      q * (ocvIntegral(model, z0[i], c.soc[i], tr) - tr * model.dUdT.integrateSoc(z0[i], c.soc[i], tr));
    enthalpy += 0.5 * 1200 * c.vrc[0][i] ** 2 + 0.5 * 40000 * c.vrc[1][i] ** 2;
  }
  // Cells: electrical energy in = stored enthalpy + energy in the RC capacitors + heat (to rounding).
  assert.ok(Math.abs(elec - heat - enthalpy) < 1e-9 * throughputJ, `${elec - heat - enthalpy} J`);
  // Pack: energy at the terminals = cells + interconnect + bleed (the terminal figure is end-of-step V×I×dt,
  // so it carries the time-discretisation error of a 20 ms step).
  const inside = elec + pack.interconnectHeatJ + pack.bleedHeatJ;
  assert.ok(
    Math.abs(pack.terminalJ - inside) < 2e-4 * throughputJ,
    `terminal ${pack.terminalJ} J vs inside ${inside} J (throughput ${throughputJ} J)`,
  );
});

test("the pack's group solve agrees with a second implementation on CellArray's exact path", () => {
  const pack = makePack(1, 3, (c) => {
    c.coefficientRefreshSteps = 1;
  });
  const scales = [0.8, 1, 1.3];
  const caps = [1.1, 1, 0.9];
  const ref = new CellArray(pack.cells.model, 3, { soc: 0.6, tempK: T25 });
  for (let i = 0; i < 3; i++) {
    pack.cells.resistanceScale[i] = ref.resistanceScale[i] = scales[i];
    pack.cells.capacityScale[i] = ref.capacityScale[i] = caps[i];
  }
  pack.fast.invalidateAll();
  closeContactors(pack);
  const rng = new Rng(12);
  let demand = -9;
  let worstV = 0;
  let worstI = 0;
  for (let k = 0; k < 3000; k++) {
    if (k % 100 === 0) demand = (rng.uniform() < 0.5 ? -1 : 1) * rng.range(3, 9);
    // The reference sees the same temperatures (the pack's thermal network moves them).
    ref.tCellK.set(pack.cells.tCellK);
    pack.step(0.1, current(demand));
    let sumG = 0;
    let sumEG = 0;
    const dir = Math.sign(demand);
    for (let i = 0; i < 3; i++) {
      ref.linearize(i, 0.1, dir);
      const g = 1 / (ref.resistance[i] + pack.interconnectOhm[i]);
      sumG += g;
      sumEG += ref.emf[i] * g;
    }
    const v = (demand + sumEG) / sumG;
    worstV = Math.max(worstV, Math.abs(v - pack.groupVoltageV[0]));
    for (let i = 0; i < 3; i++) {
      const ii = (v - ref.emf[i]) / (ref.resistance[i] + pack.interconnectOhm[i]);
      worstI = Math.max(worstI, Math.abs(ii - pack.cellCurrentA[i]));
      // CellArray keeps one cell's branch coefficients between linearize and commit: linearise again.
      ref.linearize(i, 0.1, dir);
      ref.commit(i, ii, 0.1);
    }
  }
  assert.ok(worstV < 1e-9, `group voltage differs by ${worstV} V`);
  assert.ok(worstI < 1e-9, `cell current differs by ${worstI} A`);
});
