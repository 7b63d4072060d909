/**
 * The plant part of the twin benchmarks (twin.bench.ts with the WebAssembly kernel, twin-js.bench.ts with the
 * JavaScript loops): the default pack over one hour of driving, timed, and the benchmark cell.
 */
import { existsSync, readFileSync } from "node:fs";
import { loadCellModel } from "../src/cell/params.ts";
import { parseCsv } from "../src/io/csv.ts";
import { Rng } from "../src/random.ts";
import { defaultPackConfig, type HostDemand, Pack } from "../src/twin/pack.ts";
import { DEFAULT_VEHICLE, SpeedSchedule, vehicleBatteryPowerW } from "../src/twin/vehicle.ts";

const paramsUrl = (n: string) => new URL(`../params/${n}.json`, import.meta.url);
export const setName = existsSync(paramsUrl("lg-m50")) ? "lg-m50" : "lg-m50-chen2020";
const file = JSON.parse(readFileSync(paramsUrl(setName), "utf8"));
file.name = `${setName}-bench`;
if (!file.hysteresis) file.hysteresis = { mV: 0.01, m0V: 0.002, gamma: 100 };
if ((file.rc ?? []).length < 2) file.rc = [...(file.rc ?? []), { rOhm: 0.004, cF: 50000 }];
export const model = loadCellModel(file, "benchmark cell");

const udds = parseCsv(
  readFileSync(new URL("../../../data/speed-profiles-epa-unece/udds_speed.csv", import.meta.url), "utf8"),
);
export const schedule = new SpeedSchedule(
  "udds",
  udds.data[udds.columns.indexOf("time_s")],
  udds.data[udds.columns.indexOf("speed_mps")],
);

export const ns = 110;
export const np = 36;
const dt = 0.1;
const steps = 36000;
const tK = 298.15;
export const print = (name: string, value: number, unit: string) =>
  console.log(JSON.stringify({ name, value: Number(value.toPrecision(4)), unit }));

/** Runs the timed hour on a fresh default pack and prints its figures under `prefix`. */
export function benchPlant(kernel: boolean, prefix: string): void {
  const pack = new Pack(
    model,
    defaultPackConfig(ns, np),
    { soc: 0.9, tempK: tK, ambientK: tK, coolantInletK: tK },
    new Rng(1),
    kernel,
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
  print(`${prefix}.cellSteps_per_s`, cellSteps / wallS, "cell-steps/s");
  print(`${prefix}.cellSteps_per_cpu_s`, cellSteps / cpuS, "cell-steps/s");
  print(`${prefix}.peakRss_MB`, peakRss / 2 ** 20, "MB");
  print(`${prefix}.heapUsed_MB`, peakHeap / 2 ** 20, "MB");
}
