/**
 * Active balancing: λ₂ against the closed forms for chains, rings and complete graphs, and the convergence rate
 * measured on the twin's pack (its converters, its cells) against the rate λ₂·k/Q the consensus predicts.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  ActiveBalancer,
  algebraicConnectivity,
  balancingCurrents,
  chainEdges,
  type Edge,
  laplacian,
  symmetricEigenvalues,
} from "../src/balancing/index.ts";
import { loadCellModel } from "../src/cell/params.ts";
import { Rng } from "../src/random.ts";
import { defaultPackConfig, NO_DEMAND, type Pack, Pack as PackClass } from "../src/twin/pack.ts";
import { celsiusToKelvin } from "../src/units.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50-chen2020.json", import.meta.url), "utf8")),
  "lg-m50-chen2020",
);

test("λ₂ of a chain is 2(1 − cos(π/N)), of a ring 2(1 − cos(2π/N)), of a complete graph N; 0 when disconnected", () => {
  for (const n of [2, 3, 5, 10, 37, 110]) {
    const chain = algebraicConnectivity(n, chainEdges(n));
    const expected = 2 * (1 - Math.cos(Math.PI / n));
    assert.ok(
      Math.abs(chain - expected) <= 1e-9 * Math.max(1, expected) + 1e-12,
      `chain ${n}: ${chain} vs ${expected}`,
    );
    if (n >= 3) {
      const ring = algebraicConnectivity(n, [...chainEdges(n), { a: n - 1, b: 0 }]);
      const expectedRing = 2 * (1 - Math.cos((2 * Math.PI) / n));
      assert.ok(Math.abs(ring - expectedRing) < 1e-9, `ring ${n}: ${ring} vs ${expectedRing}`);
    }
  }
  const complete: Edge[] = [];
  for (let a = 0; a < 8; a++) for (let b = a + 1; b < 8; b++) complete.push({ a, b });
  assert.ok(Math.abs(algebraicConnectivity(8, complete) - 8) < 1e-9);
  assert.ok(
    algebraicConnectivity(6, [
      { a: 0, b: 1 },
      { a: 2, b: 3 },
      { a: 4, b: 5 },
    ]) < 1e-12,
  );
  // The Laplacian's eigenvalues sum to its trace (twice the edge count).
  const ev = symmetricEigenvalues(laplacian(12, chainEdges(12)), 12);
  assert.ok(Math.abs(ev.reduce((s, v) => s + v, 0) - 22) < 1e-9);
  assert.throws(() => laplacian(3, [{ a: 0, b: 3 }]), /edges\[0\]\.b: got 3, expected a group index 0…2/);
});

function restingPack(ns: number, np: number, efficiency: number, soc: (g: number) => number): Pack {
  const config = defaultPackConfig(ns, np);
  config.transferEfficiency = efficiency;
  config.transferMaxA = 2;
  config.spread = { ...config.spread, soc: 0, leakA: 0, leakSdA: 0 };
  const t = celsiusToKelvin(25);
  const pack = new PackClass(
    model,
    config,
    { soc: 0.5, tempK: t, ambientK: t, coolantInletK: t },
    new Rng(5),
  );
  for (let g = 0; g < ns; g++) for (let p = 0; p < np; p++) pack.cells.soc[g * np + p] = soc(g);
  pack.settle();
  return pack;
}

function groupSoc(pack: Pack, out: Float64Array): Float64Array {
  const c = pack.cells;
  for (let g = 0; g < pack.ns; g++) {
    let q = 0;
    let zq = 0;
    for (let p = 0; p < pack.np; p++) {
      const i = g * pack.np + p;
      q += c.capacityScale[i];
      zq += c.capacityScale[i] * c.soc[i];
    }
    out[g] = zq / q;
  }
  return out;
}

function spread(z: Float64Array): number {
  const mean = z.reduce((s, v) => s + v, 0) / z.length;
  return Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
}

/** Runs the consensus on the resting twin and returns the measured decay rate of the SOC spread, 1/s. */
function measuredRate(pack: Pack, balancer: ActiveBalancer, seconds: number, dt: number): number {
  const z = new Float64Array(pack.ns);
  const open = { positive: false, negative: false, precharge: false };
  const bleed = new Uint8Array(pack.ns);
  const samples: [number, number][] = [];
  for (let t = 0; t < seconds; t += dt) {
    groupSoc(pack, z);
    if (t >= seconds / 3) samples.push([t, Math.log(spread(z))]);
    pack.command(open, bleed, balancer.update(z), 0, 0);
    pack.step(dt, NO_DEMAND);
  }
  // Least-squares slope of log(spread) over the last two thirds (the slowest mode by then).
  const n = samples.length;
  const mt = samples.reduce((s, [t]) => s + t, 0) / n;
  const my = samples.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, y] of samples) {
    num += (t - mt) * (y - my);
    den += (t - mt) ** 2;
  }
  return -num / den;
}

test("on the twin, lossless converters shrink a random SOC spread at the rate λ₂·k/Q within 10 %", () => {
  const ns = 10;
  const np = 2;
  const rng = new Rng(11);
  const start = Array.from({ length: ns }, () => 0.5 + 0.02 * rng.normal());
  const pack = restingPack(ns, np, 1, (g) => start[g]);
  const balancer = new ActiveBalancer(ns, chainEdges(ns), {
    converterMaxA: 2,
    saturationSocDifference: 0.1,
    deadband: 0,
  });
  const q = np * model.capacityAh;
  const predicted = balancer.predictedRatePerS(q);
  const measured = measuredRate(pack, balancer, 6 / predicted, 20);
  assert.ok(
    Math.abs(measured / predicted - 1) <= 0.1,
    `measured ${measured.toExponential(4)} /s vs predicted ${predicted.toExponential(4)} /s`,
  );
  // And the converters really did work in their linear range (no saturation to blame or credit).
  assert.ok(balancer.transferA.every((i) => Math.abs(i) < 2));
});

test("the balancing currents the estimator adds are the ones the twin's hardware draws", () => {
  const ns = 4;
  const pack = restingPack(ns, 2, 0.9, (g) => 0.3 + 0.1 * g);
  const bleed = Uint8Array.from([0, 1, 0, 1]);
  const transfer = Float64Array.from([1.5, -0.7, 0.4]);
  const open = { positive: false, negative: false, precharge: false };
  pack.command(open, bleed, transfer, 0, 0);
  const before = Float64Array.from(pack.groupVoltageV);
  pack.step(0.1, NO_DEMAND);
  const mine = balancingCurrents(
    before,
    bleed,
    pack.config.bleedOhm,
    chainEdges(ns),
    transfer,
    0.9,
    new Float64Array(ns),
  );
  for (let g = 0; g < ns; g++) {
    // The twin's bleed current uses the end-of-step voltage; its converters the start-of-step voltages.
    const twin = pack.transferInA[g] - pack.bleedCurrentA[g];
    assert.ok(Math.abs(mine[g] - twin) < 2e-3, `group ${g}: ${mine[g]} A vs the twin's ${twin} A`);
  }
});
