// Group filter updates per second for a pack of 110 series groups (the default pack), EKF and SPKF: one update
// is one group's full predict + voltage update. A 100 ms BMS cycle needs 1 100 updates/s for 110 groups.
import { PackSocEstimator } from "../src/estimate/index.ts";
import { Rng } from "../src/random.ts";
import { testCell } from "../test/fixtures.ts";

const model = testCell();
const groups = 110;
const rng = new Rng(1);
const v = new Float64Array(groups);
const t = new Float64Array(groups).fill(298.15);
for (const filter of ["ekf", "spkf"] as const) {
  const pack = new PackSocEstimator(model, groups, { filter, initialSoc: 0.8, parallelCells: 36 });
  const run = (steps: number) => {
    for (let k = 0; k < steps; k++) {
      const i = -36 * (1 + ((k >> 4) % 5));
      for (let g = 0; g < groups; g++) v[g] = 3.9 - 0.0002 * k + 0.001 * rng.normal();
      pack.step(0.1, i, v, t);
    }
  };
  run(2000); // warm up the JIT
  const steps = 20000;
  const t0 = performance.now();
  run(steps);
  const s = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      name: `estimate.${filter}.groupUpdates_per_s`,
      value: Math.round((steps * groups) / s),
      unit: "1/s",
    }),
  );
  console.log(
    JSON.stringify({
      name: `estimate.${filter}.cycle_110_groups_us`,
      value: +((s / steps) * 1e6).toFixed(1),
      unit: "us",
    }),
  );
}
