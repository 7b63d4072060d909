/**
 * Pack twin speed on the default pack, 110 series groups × 36 LG M50 cells (3960 cells), over one hour of
 * driving (repeated UDDS through the vehicle model) at Δt = 0.1 s: 36 000 steps, 142.6 M cell-steps. Each cell
 * step is the full plant: 2 RC branches, hysteresis, exact parallel current sharing with interconnects, the
 * thermal network with the cooling plate and coolant, energy accounting.
 *
 * The LG M50 sets have no hysteresis (and the Chen 2020 set one RC branch), so the benchmark cell adds a
 * hysteresis model (and a second RC branch where missing) to make the work per cell what the issue specifies.
 *
 *   twin.cellSteps_per_s        plant only, wall clock
 *   twin.cellSteps_per_cpu_s    plant only, CPU time of this process (less disturbed by other load)
 *   twin.fullLoop_cellSteps_per_s   plant + sensors + reference controller + recorder (10 min of the drive)
 *   twin.peakRss_MB / twin.heapUsed_MB   peak resident memory and JS heap during the plant run
 */
import { existsSync, readFileSync } from "node:fs";
import { loadCellModel } from "../src/cell/params.ts";
import { parseCsv } from "../src/io/csv.ts";
import { Rng } from "../src/random.ts";
import { defaultPackConfig, type HostDemand, Pack } from "../src/twin/pack.ts";
import { runTwin } from "../src/twin/runner.ts";
import { parseScenario } from "../src/twin/scenario.ts";
import { DEFAULT_VEHICLE, SpeedSchedule, vehicleBatteryPowerW } from "../src/twin/vehicle.ts";

const paramsUrl = (n: string) => new URL(`../params/${n}.json`, import.meta.url);
const setName = existsSync(paramsUrl("lg-m50")) ? "lg-m50" : "lg-m50-chen2020";
const file = JSON.parse(readFileSync(paramsUrl(setName), "utf8"));
file.name = `${setName}-bench`;
if (!file.hysteresis) file.hysteresis = { mV: 0.01, m0V: 0.002, gamma: 100 };
if ((file.rc ?? []).length < 2) file.rc = [...(file.rc ?? []), { rOhm: 0.004, cF: 50000 }];
const model = loadCellModel(file, "benchmark cell");

const udds = parseCsv(
  readFileSync(new URL("../../../data/speed-profiles-epa-unece/udds_speed.csv", import.meta.url), "utf8"),
);
const schedule = new SpeedSchedule(
  "udds",
  udds.data[udds.columns.indexOf("time_s")],
  udds.data[udds.columns.indexOf("speed_mps")],
);

const ns = 110;
const np = 36;
const dt = 0.1;
const steps = 36000;
const tK = 298.15;
const pack = new Pack(
  model,
  defaultPackConfig(ns, np),
  { soc: 0.9, tempK: tK, ambientK: tK, coolantInletK: tK },
  new Rng(1),
);
pack.command(
  { positive: true, negative: true, precharge: false },
  new Uint8Array(ns),
  new Float64Array(ns - 1),
  0.5,
  0,
);
pack.linkVoltageV = pack.packVoltageV;
const demand: HostDemand = {
  currentA: 0,
  powerW: 0,
  currentMinA: -1000,
  currentMaxA: 500,
  voltageMinV: ns * 2.5,
  voltageMaxV: ns * 4.2,
};

let peakRss = 0;
let peakHeap = 0;
const sampleMemory = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
// Warm-up (JIT), then the timed hour from a fresh pack state is not needed: the warm-up is 1 % of the run.
for (let k = 0; k < 300; k++) {
  const s = schedule.at((k * dt) % schedule.durationS);
  demand.powerW = vehicleBatteryPowerW(DEFAULT_VEHICLE, s.speedMps, s.accelMps2);
  pack.step(dt, demand);
}
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let k = 0; k < steps; k++) {
  const s = schedule.at((k * dt + dt / 2) % schedule.durationS);
  demand.powerW = vehicleBatteryPowerW(DEFAULT_VEHICLE, s.speedMps, s.accelMps2);
  pack.step(dt, demand);
  if (k % 1000 === 0) sampleMemory();
}
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
sampleMemory();
const cellSteps = steps * ns * np;
const print = (name: string, value: number, unit: string) =>
  console.log(JSON.stringify({ name, value: Number(value.toPrecision(4)), unit }));
print("twin.cellSteps_per_s", cellSteps / wallS, "cell-steps/s");
print("twin.cellSteps_per_cpu_s", cellSteps / cpuS, "cell-steps/s");
print("twin.peakRss_MB", peakRss / 2 ** 20, "MB");
print("twin.heapUsed_MB", peakHeap / 2 ** 20, "MB");

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
