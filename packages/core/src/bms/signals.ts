/**
 * The signals that diagnosis entries watch. Each is one number per evaluation (the worst over its groups or
 * sensors) plus where that worst value sits, so an alarm can say which group or sensor it is about.
 *
 * Units are SI except in configuration files, where the absolute temperatures (`cellTempMax`, `cellTempMin`,
 * `coolantInlet`) are written in °C and converted once when the configuration is compiled.
 */

export const SIGNALS = [
  "cellVoltageMax",
  "cellVoltageMin",
  "cellTempMax",
  "cellTempMin",
  "chargeCurrent",
  "dischargeCurrent",
  "voltageInvalid",
  "tempInvalid",
  "currentInvalid",
  "packVoltageInvalid",
  "voltageAge",
  "tempAge",
  "commsLost",
  "insulation",
  "voltageStuck",
  "groupResistanceRatio",
  "socDeviation",
  "tempDeviation",
  "packVoltageMismatch",
  "coolantInlet",
  "coolingDeltaT",
  "contactorFeedback",
  "contactorWelded",
  "prechargeFailed",
  "taskOverrun",
  "cycleLate",
] as const;

export type SignalName = (typeof SIGNALS)[number];

/** What a signal measures, in the units of configuration files (for messages and docs). */
export const SIGNAL_INFO: Record<
  SignalName,
  { unit: string; what: string; where: "group" | "sensor" | "contactor" | "task" | "pack" }
> = {
  cellVoltageMax: { unit: "V", what: "highest series-group voltage", where: "group" },
  cellVoltageMin: { unit: "V", what: "lowest series-group voltage", where: "group" },
  cellTempMax: { unit: "°C", what: "highest cell temperature", where: "sensor" },
  cellTempMin: { unit: "°C", what: "lowest cell temperature", where: "sensor" },
  chargeCurrent: { unit: "A", what: "pack charge current", where: "pack" },
  dischargeCurrent: { unit: "A", what: "pack discharge current", where: "pack" },
  voltageInvalid: { unit: "count", what: "group-voltage readings reported invalid", where: "group" },
  tempInvalid: { unit: "count", what: "temperature readings reported invalid", where: "sensor" },
  currentInvalid: { unit: "0/1", what: "pack-current reading invalid", where: "pack" },
  packVoltageInvalid: { unit: "0/1", what: "pack-voltage reading invalid", where: "pack" },
  voltageAge: { unit: "s", what: "age of the oldest group-voltage reading", where: "group" },
  tempAge: { unit: "s", what: "age of the oldest temperature reading", where: "sensor" },
  commsLost: { unit: "0/1", what: "link to the monitoring hardware lost", where: "pack" },
  insulation: { unit: "Ω", what: "insulation resistance to chassis", where: "pack" },
  voltageStuck: {
    unit: "count",
    what: "group-voltage readings frozen while the pack current changed",
    where: "group",
  },
  groupResistanceRatio: {
    unit: "ratio",
    what: "largest group resistance (ΔV/ΔI over a current step) over the pack mean",
    where: "group",
  },
  socDeviation: {
    unit: "fraction",
    what: "largest deviation of a group's OCV-equivalent SOC (its voltage read through the OCV curve) from the mean",
    where: "group",
  },
  tempDeviation: {
    unit: "K",
    what: "largest deviation of a temperature reading from the mean",
    where: "sensor",
  },
  packVoltageMismatch: { unit: "V", what: "|pack voltage − sum of group voltages|", where: "pack" },
  coolantInlet: { unit: "°C", what: "coolant inlet temperature", where: "pack" },
  coolingDeltaT: {
    unit: "K",
    what: "highest cell temperature above the coolant inlet after full coolant flow for the settle time",
    where: "sensor",
  },
  contactorFeedback: {
    unit: "0/1",
    what: "contactor feedback disagreed with its coil command",
    where: "contactor",
  },
  contactorWelded: {
    unit: "0/1",
    what: "contactor welded (closed or conducting after opening)",
    where: "contactor",
  },
  prechargeFailed: { unit: "0/1", what: "precharge failed after every retry", where: "pack" },
  taskOverrun: { unit: "ratio", what: "task execution time over its budget", where: "task" },
  cycleLate: { unit: "ratio", what: "time between controller calls over the base period", where: "task" },
};

/** Signals whose values are absolute temperatures (°C in files, K inside). */
export const TEMPERATURE_SIGNALS: ReadonlySet<SignalName> = new Set([
  "cellTempMax",
  "cellTempMin",
  "coolantInlet",
]);

const SIGNAL_INDEX = new Map<string, number>(SIGNALS.map((s, i) => [s, i]));
export const signalIndex = (s: SignalName): number => SIGNAL_INDEX.get(s) as number;

export const CONTACTOR_NAMES = ["positive", "negative", "precharge"] as const;
export const TASK_NAMES = ["10ms", "100ms", "1s"] as const;
export type TaskName = (typeof TASK_NAMES)[number];
