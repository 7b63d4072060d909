/**
 * State-of-power experiment: from 1000 seeded random states of the twin's pack (12s6p LG M50 with the default
 * spread, every cell its own state; SOC, temperature and a random current history drawn per state), the
 * predicted 10 s discharge and charge limits are applied as constant currents in the twin, and the binding
 * quantity's extreme over the 10 s is compared with its limit. Group states come from the twin's truth (a
 * perfect estimator), so the figures are those of the prediction. The window: the cell's voltage limits, SOC
 * 2…98 %, 4 C peak discharge and 2 C peak charge, the cell's temperature windows; 10 mV voltage margin.
 */
import {
  defaultPackConfig,
  GroupStates,
  groupStatesFromPack,
  type HostDemand,
  Pack,
  PackSop,
  Rng,
  type SopReason,
  sopWindowFromModel,
} from "@coxswain/core";
import { loadCellModelByName } from "@coxswain/node";

const model = loadCellModelByName("lg-m50-chen2020");
const NS = 12;
const NP = 6;
const CLOSED = { positive: true, negative: true, precharge: false };
const window = {
  ...sopWindowFromModel(model, 0.02, 0.98),
  dischargeCurrentMaxA: 4 * model.capacityAh,
  chargeCurrentMaxA: 2 * model.capacityAh,
};

const demand = (a: number): HostDemand => ({
  currentA: a,
  currentMinA: -1e9,
  currentMaxA: 1e9,
  voltageMinV: 0,
  voltageMaxV: 1e9,
});

function randomState(rng: Rng): Pack {
  for (;;) {
    const u = rng.uniform();
    const soc = u < 0.1 ? rng.range(0.02, 0.03) : u < 0.2 ? rng.range(0.96, 0.98) : rng.range(0.02, 0.98);
    const tempK = 273.15 + (rng.uniform() < 0.3 ? rng.range(-19, 5) : rng.range(5, 44.5));
    const pack = new Pack(
      model,
      defaultPackConfig(NS, NP),
      { soc, tempK, ambientK: tempK, coolantInletK: tempK },
      rng.fork(),
    );
    pack.command(CLOSED, new Uint8Array(NS), new Float64Array(NS - 1), 0, 0);
    for (let k = 0, n = 1 + rng.int(3); k < n; k++) {
      const cellA = rng.range(-7, 3);
      for (let j = 0, steps = 1 + rng.int(30); j < steps; j++) pack.step(1, demand(cellA * NP));
    }
    let inside = true;
    for (let g = 0; g < NS; g++)
      if (pack.groupVoltageV[g] < window.voltageMinV || pack.groupVoltageV[g] > window.voltageMaxV)
        inside = false;
    for (let i = 0; i < pack.nCells; i++) if (pack.cells.soc[i] < 0 || pack.cells.soc[i] > 1) inside = false;
    if (inside) return pack;
  }
}

interface Tally {
  count: number;
  worstPastFraction: number;
  meanGapFraction: number;
  maxGapFraction: number;
}

export function sopExperiment() {
  const result: Record<string, Record<string, Tally>> = { discharge: {}, charge: {} };
  const states = new GroupStates(model, NS, { soc: 0.5, tempK: 298 });
  for (let seed = 1; seed <= 1000; seed++)
    for (const d of [-1, 1] as const) {
      const rng = new Rng(seed * 2 + (d > 0 ? 1 : 0));
      const pack = randomState(rng);
      groupStatesFromPack(pack, states);
      const sop = new PackSop(model, NS, NP, window, { horizonsS: [10], solver: { voltageMarginV: 0.01 } });
      sop.update(states);
      const dir = d > 0 ? sop.charge : sop.discharge;
      const limitA = dir.currentA[0];
      const reason: SopReason | "zero" = limitA === 0 ? "zero" : dir.reason[0];
      let vExtreme = d > 0 ? 0 : Number.POSITIVE_INFINITY;
      let tMax = 0;
      for (let k = 0; k < 100; k++) {
        pack.step(0.1, demand(d * limitA));
        for (let g = 0; g < NS; g++)
          vExtreme =
            d > 0 ? Math.max(vExtreme, pack.groupVoltageV[g]) : Math.min(vExtreme, pack.groupVoltageV[g]);
        for (let i = 0; i < pack.nCells; i++) tMax = Math.max(tMax, pack.cells.tCellK[i]);
      }
      groupStatesFromPack(pack, states);
      const zEnd = d > 0 ? Math.max(...states.soc) : Math.min(...states.soc);
      let limit = Number.NaN;
      let reached = Number.NaN;
      if (reason === "cell voltage") {
        limit = d > 0 ? window.voltageMaxV : window.voltageMinV;
        reached = vExtreme;
      } else if (reason === "state of charge") {
        limit = d > 0 ? window.socMax : window.socMin;
        reached = zEnd;
      } else if (reason === "temperature high") {
        limit = d > 0 ? window.chargeTempMaxK : window.dischargeTempMaxK;
        reached = tMax;
      }
      const table = result[d > 0 ? "charge" : "discharge"];
      if (!table[reason])
        table[reason] = { count: 0, worstPastFraction: 0, meanGapFraction: 0, maxGapFraction: 0 };
      const t = table[reason];
      t.count++;
      if (Number.isFinite(limit)) {
        // Gap to the limit on the safe side, as a fraction of the limit; "past" on the other side.
        const up = reason === "cell voltage" || reason === "state of charge" ? d : 1;
        const gap = (up * (limit - reached)) / limit;
        t.worstPastFraction = Math.max(t.worstPastFraction, -gap);
        t.maxGapFraction = Math.max(t.maxGapFraction, gap);
        t.meanGapFraction += (gap - t.meanGapFraction) / t.count;
      }
    }
  return {
    pack: `${NS}s${NP}p ${model.name}, 1000 random states per direction, 10 s horizon`,
    result,
  };
}
