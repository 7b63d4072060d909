/**
 * Pack twin speed on the default pack, 110 series groups × 36 LG M50 cells (3960 cells), over one hour of
 * driving (repeated UDDS through the vehicle model) at Δt = 0.1 s: 36 000 steps, 142.6 M cell-steps. Each cell
 * step is the full plant: 2 RC branches, hysteresis, exact parallel current sharing with interconnects, the
 * thermal network with the cooling plate and coolant, energy accounting; the loops over cells in the
 * WebAssembly kernel (twin-js.bench.ts: the same with the JavaScript loops).
 *
 * The LG M50 sets have no hysteresis (and the Chen 2020 set one RC branch), so the benchmark cell adds a
 * hysteresis model (and a second RC branch where missing) to make the work per cell what the issue specifies.
 *
 *   twin.cellSteps_per_s        plant only, wall clock
 *   twin.cellSteps_per_cpu_s    plant only, CPU time of this process (less disturbed by other load)
 *   twin.fullLoop_cellSteps_per_s   plant + sensors + reference controller + recorder (10 min of the drive)
 *   twin.peakRss_MB / twin.heapUsed_MB   peak resident memory and JS heap during the plant run
 */

import { runTwin } from "../src/twin/runner.ts";
import { parseScenario } from "../src/twin/scenario.ts";
import { SpeedSchedule } from "../src/twin/vehicle.ts";
import { benchPlant, model, np, ns, print, schedule, setName } from "./twin-plant.ts";

benchPlant(true, "twin");

// The whole loop through the runner: 10 minutes of the same drive with the sensors, the reference controller
// and the recorder.
const scenario = parseScenario(
  {
    format: "coxswain-scenario/1",
    name: "bench",
    seed: 1,
    params: setName,
    pack: { seriesGroups: ns, parallelCells: np },
    initial: { soc: 0.9, tempC: 25 },
    ambientC: 25,
    phases: [{ kind: "drive", cycle: "udds" }],
  },
  "bench scenario",
);
const short = new SpeedSchedule("udds", schedule.timeS.subarray(0, 601), schedule.speedMps.subarray(0, 601));
const f0 = performance.now();
const out = runTwin(scenario, model, { speedSchedules: { udds: short } });
print(
  "twin.fullLoop_cellSteps_per_s",
  out.summary.cellSteps / ((performance.now() - f0) / 1000),
  "cell-steps/s",
);
