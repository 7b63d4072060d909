/** A plausible host status of a 16-cell LFP home battery (51.2 V nominal). */
import { celsiusToKelvin, type HostStatus, noAlarms } from "../src/index.ts";

export function homeBatteryStatus(overrides: Partial<HostStatus> = {}): HostStatus {
  return {
    packVoltage_V: 53.21,
    packCurrent_A: -12.3,
    soc: 0.67,
    soh: 0.98,
    minCellVoltage_V: 3.3241,
    minCellVoltageGroup: 4,
    maxCellVoltage_V: 3.3317,
    maxCellVoltageGroup: 11,
    minTemp_K: celsiusToKelvin(21.5),
    minTempSensor: 0,
    maxTemp_K: celsiusToKelvin(24.25),
    maxTempSensor: 3,
    chargeVoltageLimit_V: 56.8,
    dischargeVoltageLimit_V: 48,
    chargeCurrentLimit_A: 100,
    dischargeCurrentLimit_A: 150,
    warnings: noAlarms(),
    alarms: noAlarms(),
    requests: { chargeEnable: true, dischargeEnable: true, forceCharge: false, fullCharge: false },
    contactors: "closed",
    moduleCount: 2,
    groupVoltages_V: Float64Array.from({ length: 16 }, (_, i) => 3.325 + 0.0005 * i),
    ...overrides,
  };
}
