/** Packs for the twin tests that compare two ways of stepping the same pack bit for bit. */
import assert from "node:assert/strict";
import type { CellModel } from "../src/cell/params.ts";
import { Rng } from "../src/random.ts";
import { defaultPackConfig, type HostDemand, Pack } from "../src/twin/pack.ts";
import { celsiusToKelvin } from "../src/units.ts";
import { testCell } from "./fixtures.ts";

const T25 = celsiusToKelvin(25);
const NS = 4;
const NP = 5;

/** A 4s5p pack with every kind of spread, bleeding and a transfer, at 60 % SOC (kernel: see Pack). */
export function makeTestPack(cell: CellModel = testCell(), kernel = true): Pack {
  const config = defaultPackConfig(NS, NP);
  config.spread = {
    capacity: 0.05,
    resistance: 0.1,
    soc: 0.02,
    leakA: 1e-4,
    leakSdA: 5e-5,
    interconnect: 0.2,
  };
  config.coefficientRefreshSteps = 7;
  const pack = new Pack(
    cell,
    config,
    { soc: 0.6, tempK: T25, ambientK: T25, coolantInletK: T25 },
    new Rng(4),
    kernel,
  );
  const bleed = Uint8Array.from({ length: NS }, (_, g) => g % 2);
  const transfers = Float64Array.from({ length: NS - 1 }, (_, k) => (k === 1 ? 0.5 : 0));
  pack.command({ positive: true, negative: true, precharge: false }, bleed, transfers, 0.6, 0);
  return pack;
}

/** A drive-like current: sign changes, currents near the hysteresis threshold, rests. */
export function demandAt(k: number): HostDemand {
  const a = k % 97 < 20 ? 0 : 6 * Math.sin(k / 13) + 2.5 * Math.sin(k / 3.1) + (k % 41 < 5 ? 0.02 : 0);
  return { currentA: a, currentMinA: -1e9, currentMaxA: 1e9, voltageMinV: 0, voltageMaxV: 1e9 };
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

/** Asserts that two packs' states are the same bit for bit. */
export function assertSamePack(one: Pack, two: Pack, k: number): void {
  const fields: [string, (p: Pack) => Float64Array][] = [
    ["cell voltage", (p) => p.cellVoltageV],
    ["cell current", (p) => p.cellCurrentA],
    ["SOC", (p) => p.cells.soc],
    ["core temperature", (p) => p.cells.tCellK],
    ["case temperature", (p) => p.cells.tCaseK],
    ["hysteresis", (p) => p.cells.h],
    ["heat", (p) => p.cells.heatJ],
    ["electrical energy", (p) => p.cells.electricalJ],
    ["charge throughput", (p) => p.cellThroughputAs],
    ["group voltage", (p) => p.groupVoltageV],
    ["plate temperature", (p) => p.plateK],
  ];
  for (let b = 0; b < one.cells.nRc; b++) fields.push([`RC voltage ${b}`, (p) => p.cells.vrc[b]]);
  for (const [name, get] of fields) assert.ok(sameBits(get(one), get(two)), `step ${k}: ${name} differs`);
  assert.equal(one.packVoltageV, two.packVoltageV, `step ${k}: pack voltage`);
}

/**
 * Steps two packs side by side through what writes the cells from outside between steps (ageing, an open
 * cell, a new step length, an internal short, state written and settled), asserting after every step that
 * they are the same bit for bit.
 */
export function disturb(one: Pack, two: Pack, steps = 600): void {
  const both = (f: (p: Pack) => void) => {
    f(one);
    f(two);
  };
  let dt = 0.5;
  for (let k = 0; k < steps; k++) {
    // Ageing writes a cell's capacity and resistance and invalidates it.
    if (k === 100)
      both((p) => {
        p.cells.capacityScale[7] *= 0.8;
        p.cells.resistanceScale[7] *= 1.3;
        p.fast.invalidate(7);
      });
    // Fault injection opens a cell and closes it again by writing openCell.
    if (k === 200) both((p) => (p.openCell[11] = 1));
    if (k === 260) both((p) => (p.openCell[11] = 0));
    // A new step length.
    if (k === 320) dt = 0.2;
    // An internal short appears.
    if (k === 400) both((p) => p.setShort(13, 40));
    // State written directly, then settled.
    if (k === 500)
      both((p) => {
        p.cells.soc[2] += 0.01;
        p.cells.tCellK[17] += 3;
        p.settle();
      });
    one.step(dt, demandAt(k));
    two.step(dt, demandAt(k));
    assertSamePack(one, two, k);
    if (k > 200 && k < 260) assert.equal(one.cellCurrentA[11], 0, "an open cell carries no current");
  }
}

/** Steps two packs side by side with demandAt at dt = 0.5 s; returns how many cell mode changes the run had. */
export function drivePack(one: Pack, two: Pack, steps = 800): number {
  let modeChanges = 0;
  let lastModes = Int8Array.from(one.fast.mode);
  for (let k = 0; k < steps; k++) {
    one.step(0.5, demandAt(k));
    two.step(0.5, demandAt(k));
    assertSamePack(one, two, k);
    for (let i = 0; i < one.nCells; i++) if (one.fast.mode[i] !== lastModes[i]) modeChanges++;
    lastModes = Int8Array.from(one.fast.mode);
  }
  return modeChanges;
}
