/**
 * Balancing experiment on the twin's default pack hardware (110s36p LG M50, 33 Ω bleed resistors, 2 A
 * converters between neighbouring groups): from a 5-point SOC spread at rest, how long passive bleeding and
 * active consensus take to bring the spread under 0.5 points; and the measured convergence rate of the active
 * consensus in its linear range against λ₂·k/Q. The balancers read each group's SOC from the twin's truth (a
 * perfect estimator), so the times are those of the hardware and the algorithms.
 */
import {
  ActiveBalancer,
  chainEdges,
  defaultPackConfig,
  NO_DEMAND,
  Pack,
  PassiveBalancer,
  Rng,
} from "@coxswain/core";
import { loadCellModelByName } from "@coxswain/node";

const model = loadCellModelByName("lg-m50-chen2020");
const NS = 110;
const NP = 36;
const OPEN = { positive: false, negative: false, precharge: false };

function restingPack(spreadPoints: number, seed: number, efficiency = 0.9): Pack {
  const config = defaultPackConfig(NS, NP);
  config.transferEfficiency = efficiency;
  const t = 298.15;
  const pack = new Pack(model, config, { soc: 0.5, tempK: t, ambientK: t, coolantInletK: t }, new Rng(seed));
  const rng = new Rng(seed + 1);
  // Every group at its own SOC, spread uniformly over `spreadPoints` percentage points.
  for (let g = 0; g < NS; g++) {
    const z = 0.5 + (spreadPoints / 100) * (g === 0 ? 0 : g === 1 ? 1 : rng.uniform());
    for (let p = 0; p < NP; p++) pack.cells.soc[g * NP + p] = z;
  }
  pack.settle();
  return pack;
}

function groupSoc(pack: Pack, out: Float64Array): Float64Array {
  const c = pack.cells;
  for (let g = 0; g < NS; g++) {
    let q = 0;
    let zq = 0;
    for (let p = 0; p < NP; p++) {
      const i = g * NP + p;
      q += c.capacityScale[i];
      zq += c.capacityScale[i] * c.soc[i];
    }
    out[g] = zq / q;
  }
  return out;
}

const range = (z: Float64Array) => Math.max(...z) - Math.min(...z);

interface BalanceRun {
  method: string;
  hoursToHalfPoint: number;
  energyLostKWh: number;
}

function passive(): BalanceRun {
  const pack = restingPack(5, 1);
  const b = new PassiveBalancer(model, NS, NP, {
    mode: "soc",
    startThreshold: 0.002,
    stopThreshold: 0.001,
    maxSimultaneous: NS,
    tempMaxK: 323.15,
    voltageMinV: 3,
    currentMaxA: Number.POSITIVE_INFINITY,
  });
  const z = new Float64Array(NS);
  const capacity = new Float64Array(NS).fill(NP * model.capacityAh);
  const dt = 60;
  for (let t = 0; t < 400 * 3600; t += dt) {
    groupSoc(pack, z);
    if (range(z) < 0.005)
      return {
        method: "passive, by SOC (33 Ω)",
        hoursToHalfPoint: t / 3600,
        energyLostKWh: pack.bleedHeatJ / 3.6e6,
      };
    const mask = b.update({
      voltageV: pack.groupVoltageV,
      tempK: pack.cells.tCellK,
      soc: z,
      capacityAh: capacity,
      currentA: 0,
    });
    pack.command(OPEN, mask, new Float64Array(NS - 1), 0, 0);
    pack.step(dt, NO_DEMAND);
  }
  return {
    method: "passive, by SOC (33 Ω)",
    hoursToHalfPoint: Number.NaN,
    energyLostKWh: pack.bleedHeatJ / 3.6e6,
  };
}

function active(saturation: number): BalanceRun & { lambda2: number; gainA: number } {
  const pack = restingPack(5, 1);
  const b = new ActiveBalancer(NS, chainEdges(NS), {
    converterMaxA: pack.config.transferMaxA,
    saturationSocDifference: saturation,
    deadband: 0,
  });
  const z = new Float64Array(NS);
  const dt = 60;
  const name = `active consensus, chain of 2 A converters (k = ${b.gainA.toFixed(0)} A per unit SOC)`;
  for (let t = 0; t < 2000 * 3600; t += dt) {
    groupSoc(pack, z);
    if (range(z) < 0.005)
      return {
        method: name,
        hoursToHalfPoint: t / 3600,
        energyLostKWh: pack.transferLossJ / 3.6e6,
        lambda2: b.lambda2,
        gainA: b.gainA,
      };
    pack.command(OPEN, new Uint8Array(NS), b.update(z), 0, 0);
    pack.step(dt, NO_DEMAND);
  }
  return {
    method: name,
    hoursToHalfPoint: Number.NaN,
    energyLostKWh: pack.transferLossJ / 3.6e6,
    lambda2: b.lambda2,
    gainA: b.gainA,
  };
}

/** The consensus rate in its linear range on the 110-group chain, lossless converters, slowest mode excited. */
function rate(efficiency: number): {
  efficiency: number;
  predictedPerS: number;
  measuredPerS: number;
  ratio: number;
} {
  const config = defaultPackConfig(NS, NP);
  config.transferEfficiency = efficiency;
  const t = 298.15;
  const pack = new Pack(model, config, { soc: 0.5, tempK: t, ambientK: t, coolantInletK: t }, new Rng(3));
  // The Fiedler vector of a chain, cos(π(g + ½)/N): a disagreement of ±1 point that decays as one mode.
  for (let g = 0; g < NS; g++)
    for (let p = 0; p < NP; p++)
      pack.cells.soc[g * NP + p] = 0.5 + 0.01 * Math.cos((Math.PI * (g + 0.5)) / NS);
  pack.settle();
  const b = new ActiveBalancer(NS, chainEdges(NS), {
    converterMaxA: 2,
    saturationSocDifference: 0.01,
    deadband: 0,
  });
  let q = 0;
  for (let i = 0; i < NP; i++) q += pack.cells.capacityScale[i] * model.capacityAh;
  const predicted = b.predictedRatePerS(q);
  const z = new Float64Array(NS);
  const dt = 600;
  const duration = 2 / predicted;
  const samples: [number, number][] = [];
  for (let time = 0; time < duration; time += dt) {
    groupSoc(pack, z);
    const mean = z.reduce((s, v) => s + v, 0) / NS;
    const spread = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / NS);
    samples.push([time, Math.log(spread)]);
    pack.command(OPEN, new Uint8Array(NS), b.update(z), 0, 0);
    pack.step(dt, NO_DEMAND);
  }
  const n = samples.length;
  const mt = samples.reduce((s, [x]) => s + x, 0) / n;
  const my = samples.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of samples) {
    num += (x - mt) * (y - my);
    den += (x - mt) ** 2;
  }
  const measured = -num / den;
  return { efficiency, predictedPerS: predicted, measuredPerS: measured, ratio: measured / predicted };
}

export function balanceExperiment() {
  return {
    pack: `${NS}s${NP}p ${model.name}, 5-point initial SOC spread, at rest, 25 °C`,
    runs: [passive(), active(0.01)],
    rate: [rate(1), rate(0.9)],
  };
}
