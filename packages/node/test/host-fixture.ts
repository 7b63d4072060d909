/** A plausible status of the default pack (110 series groups, 400 V, 180 Ah) for the adapter tests. */
import { celsiusToKelvin, type HostStatus, noAlarms } from "@coxswain/core";

export function packStatus(overrides: Partial<HostStatus> = {}): HostStatus {
  const groupVoltages_V = Float64Array.from({ length: 110 }, (_, i) => 3.65 + 0.001 * Math.sin(i));
  return {
    packVoltage_V: 401.7,
    packCurrent_A: -85.3,
    soc: 0.623,
    soh: 0.97,
    minCellVoltage_V: 3.649,
    minCellVoltageGroup: 4,
    maxCellVoltage_V: 3.6512,
    maxCellVoltageGroup: 57,
    minTemp_K: celsiusToKelvin(24.1),
    minTempSensor: 2,
    maxTemp_K: celsiusToKelvin(31.6),
    maxTempSensor: 80,
    chargeVoltageLimit_V: 459.8,
    dischargeVoltageLimit_V: 330,
    chargeCurrentLimit_A: 120,
    dischargeCurrentLimit_A: 360,
    warnings: noAlarms(),
    alarms: noAlarms(),
    requests: { chargeEnable: true, dischargeEnable: true, forceCharge: false, fullCharge: false },
    contactors: "closed",
    moduleCount: 10,
    groupVoltages_V,
    ...overrides,
  };
}
