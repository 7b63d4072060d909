/**
 * BMS controller speed on the default pack (110 series groups × 36 LG M50 cells, the twin's default sensor
 * layout): `bms.cycle100ms_us` is the time for one full 100 ms cycle (ten 10 ms calls, one of which runs the
 * 100 ms task), `bms.step10ms_us` one call without the 100 ms task, `bms.cycle100ms_spkf_us` the cycle with the
 * per-group SPKF of estimate/ as the estimator, `bms.cycle100ms_baseline_us` the cycle with every performance
 * function off (bms/performance.ts; one cycle in ten also runs the 1 s task). Frames carry sensor-like noise, are made
 * in advance and reused, so only the controller is timed.
 */
import { readFileSync } from "node:fs";
import {
  type BmsControllerOptions,
  createBmsController,
  defaultBmsConfig,
  filterSocEstimator,
  loadCellModel,
  Rng,
} from "../src/index.ts";
import { cellPackInfo, type Measurements, type PackInfo } from "../src/twin/interfaces.ts";
import { defaultSensorPositions } from "../src/twin/sensors.ts";

const model = loadCellModel(
  JSON.parse(readFileSync(new URL("../params/lg-m50.json", import.meta.url), "utf8")),
  "lg-m50",
);
const ns = 110;
const np = 36;
const pack: PackInfo = {
  seriesGroups: ns,
  parallelCells: np,
  ...cellPackInfo(model),
  tempSensors: defaultSensorPositions(ns, np),
  transferConverters: 0,
  bleedOhm: 33,
  samplePeriodS: 0.01,
};
const rng = new Rng(1);
const nt = pack.tempSensors.length;

function makeFrame(k: number): Measurements {
  const closed = k > 0;
  const currentA = -100 + 20 * rng.normal();
  const v = Float64Array.from({ length: ns }, () => 3.7 + 0.002 * rng.normal());
  const sum = v.reduce((a, b) => a + b, 0);
  const r = (value: number) => ({ value, valid: true, ageS: 0.01 });
  return {
    timeS: 0,
    groupVoltageV: { value: v, valid: new Uint8Array(ns).fill(1), ageS: new Float64Array(ns).fill(0.01) },
    temperatureK: {
      value: Float64Array.from({ length: nt }, () => 300 + 0.2 * rng.normal()),
      valid: new Uint8Array(nt).fill(1),
      ageS: new Float64Array(nt).fill(0.01),
    },
    packCurrentA: r(currentA),
    packVoltageV: r(sum),
    linkVoltageV: r(closed ? sum : 0),
    insulationOhm: r(5e6),
    coolantInletK: r(298),
    contactors: { positive: closed, negative: closed, precharge: false },
    commsOk: true,
  };
}

const frames = Array.from({ length: 64 }, (_, k) => makeFrame(k + 1));

/** Times one controller: µs per 100 ms cycle and per 10 ms call without the 100 ms task. */
function measure(
  estimator?: BmsControllerOptions["estimator"],
  performance = true,
): { cycleUs: number; stepUs: number } {
  const config = defaultBmsConfig(pack, model, { performance });
  const ctrl = createBmsController({ config, clock: () => 0, estimator });
  const state = ctrl.init(pack);
  let tick = 0;
  const step = (m: Measurements) => {
    ctrl.step(state, m, tick * 0.01);
    tick++;
  };
  // Bring it to "closed" with feedback that follows its commands, then time steady operation.
  const startFrame = makeFrame(0);
  startFrame.packCurrentA.value = 0;
  while (state.contactors.mode !== "closed" && tick < 1000) {
    const c = state.commands.contactors;
    startFrame.contactors = { ...c };
    startFrame.linkVoltageV.value =
      c.negative && (c.positive || c.precharge) ? startFrame.packVoltageV.value : 0;
    step(startFrame);
  }
  if (state.contactors.mode !== "closed") throw new Error(`controller did not close: ${state.status.alarms}`);
  const cycles = (n: number) => {
    for (let c = 0; c < n; c++) for (let k = 0; k < 10; k++) step(frames[(c * 10 + k) & 63]);
  };
  // Align to a 100 ms boundary so every timed cycle holds exactly one 100 ms task.
  while (tick % 10 !== 0) step(frames[0]);
  cycles(2000); // warm-up (JIT)
  const n = 10000;
  const t0 = process.hrtime.bigint();
  cycles(n);
  const cycleUs = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  if (state.contactors.mode !== "closed")
    throw new Error(`controller tripped in the benchmark: ${state.status.alarms}`);
  // 10 ms calls alone: the nine calls of a cycle that do not run the 100 ms task.
  let fastNs = 0;
  for (let c = 0; c < n; c++)
    for (let k = 0; k < 10; k++) {
      const f = frames[(c * 10 + k) & 63];
      if ((tick + 1) % 10 === 0) step(f);
      else {
        const a = process.hrtime.bigint();
        step(f);
        fastNs += Number(process.hrtime.bigint() - a);
      }
    }
  return { cycleUs, stepUs: fastNs / 1e3 / (9 * n) };
}

const cc = measure();
const spkf = measure(filterSocEstimator(model, "spkf"));
const baseline = measure(undefined, false);
const line = (name: string, value: number) =>
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit: "us" }));
line("bms.cycle100ms_us", cc.cycleUs);
line("bms.step10ms_us", cc.stepUs);
// The same cycle with the per-group SPKF of estimate/ behind the estimation seam.
line("bms.cycle100ms_spkf_us", spkf.cycleUs);
// The baseline controller alone (every performance function off): the difference is their cost.
line("bms.cycle100ms_baseline_us", baseline.cycleUs);
