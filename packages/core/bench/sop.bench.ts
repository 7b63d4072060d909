/**
 * State-of-power speed on the default pack (110 series groups × 36 LG M50 cells, `lg-m50-chen2020`): how many
 * predictions fit in one 100 ms controller cycle on one core.
 *
 *  - `bms.sopPredictions_per_100ms`: full pack predictions (every one of the 110 groups solved, charge and
 *    discharge, at 2, 10 and 30 s, with the pack power from every group's response) per 100 ms.
 *  - `bms.sopCandidatePredictions_per_100ms`: the same with 2 candidates per criterion (≤ 8 groups solved per
 *    direction), the controller's bounded-cost setting.
 *  - `bms.sopGroupSolves_per_100ms`: single (group, horizon, direction) limit solves per 100 ms: the what-if
 *    futures the predictive controller can afford.
 * Group states are spread in SOC, temperature, RC voltages and resistance so that every constraint binds
 * somewhere; cold and empty states make the voltage solve iterate.
 */
import { readFileSync } from "node:fs";
import {
  celsiusToKelvin,
  GroupStates,
  loadCellModel,
  PackSop,
  Rng,
  sopWindowFromModel,
} from "../src/index.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50-chen2020.json", import.meta.url), "utf8")),
  "lg-m50-chen2020",
);
const ns = 110;
const np = 36;
const rng = new Rng(3);
const window = { ...sopWindowFromModel(model, 0.03, 0.97), dischargeCurrentMaxA: 20, chargeCurrentMaxA: 10 };

/** A few pack states, from cold and nearly empty to warm and nearly full. */
const scenarios = [
  [-10, 0.08],
  [0, 0.3],
  [25, 0.6],
  [40, 0.92],
].map(([tempC, soc]) => {
  const s = new GroupStates(model, ns, { soc, tempK: celsiusToKelvin(tempC) });
  for (let g = 0; g < ns; g++) {
    s.soc[g] = soc + 0.01 * rng.normal();
    s.tempK[g] += 2 * rng.normal();
    s.caseTempK[g] = s.tempK[g] - 0.5;
    s.vrc[0][g] = 0.02 * rng.normal();
    s.resistanceScale[g] = 1 + 0.03 * rng.normal();
  }
  return s;
});

function time(sop: PackSop, rounds: number): { seconds: number; solves: number } {
  let solves = 0;
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    sop.update(scenarios[r % scenarios.length]);
    solves += sop.solves;
    sink += sop.discharge.currentA[1];
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!Number.isFinite(sink)) throw new Error("non-finite limit in benchmark");
  return { seconds, solves };
}

const full = new PackSop(model, ns, np, window);
const candidates = new PackSop(model, ns, np, window, { candidatesPerCriterion: 2 });
time(full, 200); // warm-up (JIT)
time(candidates, 2000);
const a = time(full, 2000);
const b = time(candidates, 20000);
const per100ms = (n: number, s: number) => Math.round((n * 0.1) / s);
console.log(
  JSON.stringify({
    name: "bms.sopPredictions_per_100ms",
    value: per100ms(2000, a.seconds),
    unit: "predictions",
  }),
);
console.log(
  JSON.stringify({
    name: "bms.sopCandidatePredictions_per_100ms",
    value: per100ms(20000, b.seconds),
    unit: "predictions",
  }),
);
console.log(
  JSON.stringify({
    name: "bms.sopGroupSolves_per_100ms",
    value: per100ms(a.solves, a.seconds),
    unit: "solves",
  }),
);
