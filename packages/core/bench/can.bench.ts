/**
 * CAN codec speed on the default pack's monitoring traffic (110 series groups): `can.cmu_encode_us` is the time
 * to encode one cycle of voltage and temperature frames (74 frames), `can.cmu_decode_us` the time for the BMS
 * side (CmuMonitor) to take them in, `can.pylon_encode_us` one cycle of the Pylontech-compatible frames.
 */
import {
  CmuMonitor,
  celsiusToKelvin,
  encodeCmuTemperatures,
  encodeCmuVoltages,
  noAlarms,
  PylonProtocol,
  Rng,
} from "../src/index.ts";

const GROUPS = 110;
const rng = new Rng(1);
const v = Float64Array.from({ length: GROUPS }, () => rng.range(3.5, 3.8));
const t = Float64Array.from({ length: GROUPS }, () => celsiusToKelvin(rng.range(20, 30)));

function time(name: string, runs: number, body: (k: number) => void): void {
  for (let k = 0; k < Math.min(200, runs); k++) body(k); // warm-up
  const t0 = performance.now();
  for (let k = 0; k < runs; k++) body(k);
  const us = ((performance.now() - t0) * 1000) / runs;
  console.log(JSON.stringify({ name, value: Number(us.toFixed(2)), unit: "us" }));
}

let frames = [...encodeCmuVoltages(v, 0), ...encodeCmuTemperatures(t, 0)];
time("can.cmu_encode_us", 2000, (k) => {
  frames = [...encodeCmuVoltages(v, k), ...encodeCmuTemperatures(t, k)];
});
const monitor = new CmuMonitor(GROUPS);
const cycles = Array.from({ length: 16 }, (_, k) => [
  ...encodeCmuVoltages(v, k),
  ...encodeCmuTemperatures(t, k),
]);
time("can.cmu_decode_us", 2000, (k) => {
  for (const f of cycles[k % 16]) monitor.receive(f, k);
});
const pylon = new PylonProtocol();
const status = {
  packVoltage_V: 401.7,
  packCurrent_A: -85.3,
  soc: 0.62,
  soh: 0.97,
  minCellVoltage_V: 3.649,
  minCellVoltageGroup: 4,
  maxCellVoltage_V: 3.651,
  maxCellVoltageGroup: 57,
  minTemp_K: celsiusToKelvin(24),
  minTempSensor: 2,
  maxTemp_K: celsiusToKelvin(31),
  maxTempSensor: 80,
  chargeVoltageLimit_V: 459.8,
  dischargeVoltageLimit_V: 330,
  chargeCurrentLimit_A: 120,
  dischargeCurrentLimit_A: 360,
  warnings: noAlarms(),
  alarms: noAlarms(),
  requests: { chargeEnable: true, dischargeEnable: true, forceCharge: false, fullCharge: false },
  contactors: "closed" as const,
  moduleCount: 10,
  groupVoltages_V: v,
};
time("can.pylon_encode_us", 5000, () => {
  pylon.encode(status);
});
if (frames.length !== 2 * Math.ceil(GROUPS / 3)) throw new Error("unexpected frame count");
