/**
 * The boundary between the plant (the twin, or real hardware) and the BMS controller (DESIGN.md §2).
 *
 * The controller sees only `Measurements` (what sensors report, with validity and age so stale or dropped data
 * is visible) and acts only through `Commands`. Both are plain data so that a transport can carry them over CAN
 * unchanged. Truth (cell SOC, temperatures, currents) never crosses this boundary: it goes to the recorder.
 *
 * Units are SI (V, A, K, Ω, W, s); current positive = charging the pack.
 */

/** One scalar reading with its validity and age. */
export interface Reading {
  /** The reported value (the last good one when `valid` is false, NaN if there never was one). */
  value: number;
  /** False when the sensor reports a fault, or the value was dropped or is older than its timeout. */
  valid: boolean;
  /** Time since the value was sampled, s (grows while readings are dropped). */
  ageS: number;
}

/** A bank of readings of one kind (one per series group, or one per temperature sensor). */
export interface ReadingBank {
  value: Float64Array;
  /** 1 = valid, 0 = invalid (sensor fault, open wire, dropped or timed out). */
  valid: Uint8Array;
  ageS: Float64Array;
}

/** Where a temperature sensor sits: on cell `cell` (0 … Np−1) of series group `group` (0 … Ns−1). */
export interface SensorPosition {
  group: number;
  cell: number;
}

/** Contactor feedback (auxiliary contacts): true = closed. */
export interface ContactorState {
  positive: boolean;
  negative: boolean;
  precharge: boolean;
}

export interface Measurements {
  /** Time the frame was assembled, s since the start of the run. */
  timeS: number;
  /** Series-group voltages, V, one per group. */
  groupVoltageV: ReadingBank;
  /** Cell-temperature sensors, K, one per entry of `PackInfo.tempSensors`. */
  temperatureK: ReadingBank;
  /** Pack current, A, positive = charge. */
  packCurrentA: Reading;
  /** Voltage across the cell string (battery side of the contactors), V. */
  packVoltageV: Reading;
  /** Voltage across the DC link (load side of the contactors), V. */
  linkVoltageV: Reading;
  /** Insulation resistance between the HV system and chassis, Ω (from the insulation monitor). */
  insulationOhm: Reading;
  /** Coolant inlet temperature, K. */
  coolantInletK: Reading;
  /** Contactor auxiliary-contact feedback. */
  contactors: ContactorState;
  /** False while the communication link to the monitoring hardware is lost (every reading then ages). */
  commsOk: boolean;
}

/** Limits the BMS gives the host (inverter, motor drive, charger). Currents are magnitudes, ≥ 0. */
export interface HostLimits {
  chargeCurrentMaxA: number;
  dischargeCurrentMaxA: number;
  /** The host must not charge the pack above this voltage, V. */
  chargeVoltageMaxV: number;
  /** The host must not discharge the pack below this voltage, V. */
  dischargeVoltageMinV: number;
}

export interface Commands {
  /** Contactor coil requests: true = close. Precharge closes through the precharge resistor. */
  contactors: ContactorState;
  /** Passive balancing: 1 closes the bleed resistor across group g. Length Ns. */
  bleed: Uint8Array;
  /**
   * Active balancing: current drawn by converter k from group k and delivered (less its losses) to group k+1;
   * negative moves charge the other way, A. Length Ns − 1 (empty when the pack has no converters).
   */
  transferA: Float64Array;
  /** Coolant pump flow as a fraction of its maximum, 0 … 1 (acts after the pump's delay). */
  coolantFlow: number;
  /** Heater power, W (clamped to the heater's rating). */
  heaterW: number;
  /** Limits for the host. */
  limits: HostLimits;
}

/** What a controller may know about the pack it runs: its configuration, never its state. */
export interface PackInfo {
  seriesGroups: number;
  parallelCells: number;
  /** Nominal cell capacity, A·h. */
  cellCapacityAh: number;
  cellVoltageMinV: number;
  cellVoltageMaxV: number;
  cellChargeCurrentMaxA: number;
  cellDischargeCurrentMaxA: number;
  chargeTempMinK: number;
  chargeTempMaxK: number;
  dischargeTempMinK: number;
  dischargeTempMaxK: number;
  tempSensors: readonly SensorPosition[];
  /** Number of active-balancing converters (Ns − 1 or 0). */
  transferConverters: number;
  /** Bleed resistor per group, Ω. */
  bleedOhm: number;
  /** Period of the measurement frames, s. */
  samplePeriodS: number;
}

/** The cell-level fields of PackInfo, taken from a cell model's capacity and limits. */
export function cellPackInfo(model: {
  capacityAh: number;
  limits: {
    voltageMinV: number;
    voltageMaxV: number;
    chargeCurrentMaxA: number;
    dischargeCurrentMaxA: number;
    chargeTempMinK: number;
    chargeTempMaxK: number;
    dischargeTempMinK: number;
    dischargeTempMaxK: number;
  };
}) {
  const l = model.limits;
  return {
    cellCapacityAh: model.capacityAh,
    cellVoltageMinV: l.voltageMinV,
    cellVoltageMaxV: l.voltageMaxV,
    cellChargeCurrentMaxA: l.chargeCurrentMaxA,
    cellDischargeCurrentMaxA: l.dischargeCurrentMaxA,
    chargeTempMinK: l.chargeTempMinK,
    chargeTempMaxK: l.chargeTempMaxK,
    dischargeTempMinK: l.dischargeTempMinK,
    dischargeTempMaxK: l.dischargeTempMaxK,
  };
}

/** Controller status reported alongside its commands (for the record and the dashboard). */
export interface ControllerStatus {
  /** A short state name, e.g. "idle", "precharge", "drive", "charge", "fault". */
  mode: string;
  /** Active alarms, stable identifiers. */
  alarms: string[];
}

export interface ControllerOutput<S> {
  state: S;
  commands: Commands;
  status: ControllerStatus;
}

/**
 * A BMS controller as a pure step: (state, measurements, time) → (state, commands, status). The runner calls
 * `step` every `periodS` with the latest measurement frame.
 */
export interface Controller<S = unknown> {
  readonly name: string;
  readonly periodS: number;
  init(pack: PackInfo): S;
  step(state: S, measurements: Measurements, timeS: number): ControllerOutput<S>;
}

/** Commands that keep everything open and off, sized for a pack. */
export function idleCommands(pack: Pick<PackInfo, "seriesGroups" | "transferConverters">): Commands {
  return {
    contactors: { positive: false, negative: false, precharge: false },
    bleed: new Uint8Array(pack.seriesGroups),
    transferA: new Float64Array(pack.transferConverters),
    coolantFlow: 0,
    heaterW: 0,
    limits: { chargeCurrentMaxA: 0, dischargeCurrentMaxA: 0, chargeVoltageMaxV: 0, dischargeVoltageMinV: 0 },
  };
}
