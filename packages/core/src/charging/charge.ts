/**
 * Charging: constant current from a table over SOC × temperature, constant voltage, and an optional
 * plating-aware limit, all per cell and evaluated on every series group's estimated state; the smallest wins and
 * names itself.
 *
 *  - Table current: the allowed charge current per cell at the group's SOC and temperature (bilinear, held at
 *    the edges); cold cells and full cells take less.
 *  - Constant voltage: the largest current that keeps every group at or below the CV setpoint over the next
 *    `horizonS` (the state-of-power voltage solve with the setpoint as the maximum): CV falls out of the model
 *    instead of a PI loop, and the current tapers as the RC branches fill.
 *  - Plating-aware: the largest current that keeps every group's estimated anode potential at or above the
 *    margin (see anode.ts).
 * The charge is complete when the commanded current falls below `cutoffCurrentA` at the CV setpoint.
 */
import type { CellModel } from "../cell/params.ts";
import { Table } from "../cell/table.ts";
import { array, type Issue, number, object, optional, refine, validate } from "../schema.ts";
import { type GroupStates, SopSolver, sopWindowFromModel } from "../sop/predict.ts";
import { celsiusToKelvin } from "../units.ts";
import { DEFAULT_ANODE_SHARE, PlatingLimiter } from "./anode.ts";

export const CHARGE_REASONS = ["table", "constant voltage", "plating", "temperature", "complete"] as const;
export type ChargeReason = (typeof CHARGE_REASONS)[number];

export interface ChargeConfig {
  /** Per-cell constant-voltage setpoint, V. */
  cvVoltageV: number;
  /** Per-cell current below which the charge ends at the setpoint, A. */
  cutoffCurrentA: number;
  /** Per-cell charge current table: rows per temperature (°C at this edge), columns per SOC, A. */
  currentTable: { soc: number[]; tempC: number[]; currentA: number[][] };
  /** Plating-aware limit, or null for plain CC-CV. */
  plating: { marginV: number; anodeShare: number } | null;
  /** Look-ahead of the CV and plating solves, s (at least the control period). */
  horizonS: number;
  /** The controller's period, s (the first check inside the horizon). */
  periodS: number;
  /** Charge temperature window, K (default: the cell's). */
  tempMinK: number;
  tempMaxK: number;
}

const axis = (min: number, max: number) => array(number({ min, max }), { minLength: 2 });

export const chargeConfigSchema = refine(
  object({
    cvVoltageV: number({ gt: 0, max: 10 }),
    cutoffCurrentA: number({ gt: 0 }),
    currentTable: object({
      soc: axis(0, 1),
      tempC: axis(-60, 150),
      currentA: array(array(number({ min: 0 }), { minLength: 2 }), { minLength: 2 }),
    }),
    plating: optional(
      object({
        marginV: number({ min: 0, max: 1 }),
        anodeShare: optional(number({ gt: 0, max: 1 }), DEFAULT_ANODE_SHARE),
      }),
    ),
    horizonS: optional(number({ gt: 0, max: 3600 }), 1),
    periodS: optional(number({ gt: 0, max: 60 }), 1),
    /** Charge temperature window, °C (default: the cell's limits). */
    tempMinC: optional(number({ min: -60, max: 150 })),
    tempMaxC: optional(number({ min: -60, max: 150 })),
  }),
  (c) => {
    const out: Issue[] = [];
    const t = c.currentTable;
    for (const [name, xs] of [
      ["soc", t.soc],
      ["tempC", t.tempC],
    ] as const)
      for (let i = 1; i < xs.length; i++)
        if (!(xs[i] > xs[i - 1]))
          out.push({
            path: `currentTable.${name}[${i}]`,
            value: xs[i],
            expected: `a value above ${xs[i - 1]}`,
          });
    if (t.currentA.length !== t.tempC.length)
      out.push({
        path: "currentTable.currentA",
        value: `${t.currentA.length} rows`,
        expected: `${t.tempC.length} rows, one per tempC`,
      });
    t.currentA.forEach((row, r) => {
      if (row.length !== t.soc.length)
        out.push({
          path: `currentTable.currentA[${r}]`,
          value: `${row.length} values`,
          expected: `${t.soc.length} values, one per soc`,
        });
    });
    if (c.tempMinC !== undefined && c.tempMaxC !== undefined && c.tempMaxC <= c.tempMinC)
      out.push({
        path: "tempMaxC",
        value: c.tempMaxC,
        expected: `a temperature above tempMinC (${c.tempMinC} °C)`,
      });
    if ((c.horizonS ?? 1) < (c.periodS ?? 1))
      out.push({ path: "horizonS", value: c.horizonS, expected: `at least periodS (${c.periodS} s)` });
    return out.length ? out : undefined;
  },
);

/** Validates a charge configuration from a file for a cell; throws a ValidationError naming every bad field. */
export function parseChargeConfig(
  m: CellModel,
  json: unknown,
  source = "charge configuration",
): ChargeConfig {
  const c = validate(chargeConfigSchema, json, source);
  return {
    cvVoltageV: c.cvVoltageV,
    cutoffCurrentA: c.cutoffCurrentA,
    currentTable: c.currentTable,
    plating: c.plating
      ? { marginV: c.plating.marginV, anodeShare: c.plating.anodeShare ?? DEFAULT_ANODE_SHARE }
      : null,
    horizonS: c.horizonS ?? 1,
    periodS: c.periodS ?? 1,
    tempMinK: c.tempMinC === undefined ? m.limits.chargeTempMinK : celsiusToKelvin(c.tempMinC),
    tempMaxK: c.tempMaxC === undefined ? m.limits.chargeTempMaxK : celsiusToKelvin(c.tempMaxC),
  };
}

/**
 * A default profile from the cell's limits: the datasheet's maximum charge current from 25 °C up to 5 K below
 * the charge maximum, 30 % of it at the charge minimum and at the maximum; from 80 % SOC tapering to 30 % at
 * full. CV at the cell's maximum voltage, cut-off at C/20.
 */
export function defaultChargeConfig(m: CellModel, plating: ChargeConfig["plating"] = null): ChargeConfig {
  const l = m.file.limits;
  const i = l.chargeCurrentMaxA;
  const tMin = l.chargeTempMinC;
  const tMax = l.chargeTempMaxC;
  const temps = [tMin, tMin + 10, 25, tMax - 5, tMax];
  const tempFactor = [0.3, 0.6, 1, 1, 0.3];
  const soc = [0, 0.8, 0.9, 1];
  const socFactor = [1, 1, 0.6, 0.3];
  return {
    cvVoltageV: l.voltageMaxV,
    cutoffCurrentA: m.capacityAh / 20,
    currentTable: { soc, tempC: temps, currentA: tempFactor.map((f) => socFactor.map((g) => f * g * i)) },
    plating,
    horizonS: 1,
    periodS: 1,
    tempMinK: m.limits.chargeTempMinK,
    tempMaxK: m.limits.chargeTempMaxK,
  };
}

export class ChargeController {
  readonly model: CellModel;
  readonly config: ChargeConfig;
  readonly groups: number;
  readonly parallelCells: number;
  /** String charge current to command, A (≥ 0). */
  currentA = 0;
  reason: ChargeReason = "table";
  /** The group that sets the current. */
  group = 0;
  complete = false;
  private readonly table: Table;
  private readonly cv: SopSolver;
  private readonly plating: PlatingLimiter | null;

  constructor(model: CellModel, groups: number, parallelCells: number, config: ChargeConfig) {
    this.model = model;
    this.config = config;
    this.groups = groups;
    this.parallelCells = parallelCells;
    const t = config.currentTable;
    this.table = new Table(t.soc, t.tempC.map(celsiusToKelvin), t.currentA.flat());
    const window = {
      ...sopWindowFromModel(model, 0, 1),
      voltageMaxV: config.cvVoltageV,
      chargeTempMinK: config.tempMinK,
      chargeTempMaxK: config.tempMaxK,
    };
    this.cv = new SopSolver(model, window, { firstCheckS: config.periodS });
    this.plating = config.plating
      ? new PlatingLimiter(model, config.plating.marginV, config.plating.anodeShare, config.periodS)
      : null;
  }

  /** Starts a new charge (clears the completion latch). */
  reset(): void {
    this.complete = false;
  }

  /** One control period: the charge current from every group's estimated state. */
  update(s: GroupStates): number {
    const c = this.config;
    if (this.complete) return this.set(0, "complete", this.group);
    let x = Number.POSITIVE_INFINITY;
    let reason: ChargeReason = "table";
    let who = 0;
    for (let g = 0; g < this.groups; g++) {
      const tK = s.tempK[g];
      if (!(tK >= c.tempMinK && tK < c.tempMaxK)) return this.set(0, "temperature", g);
      const xt = this.table.at(s.soc[g], tK);
      if (xt < x) {
        x = xt;
        reason = "table";
        who = g;
      }
    }
    for (let g = 0; g < this.groups; g++) {
      this.cv.window.chargeCurrentMaxA = x;
      const xv = this.cv.limit(s, g, c.horizonS, 1);
      if (xv < x && this.cv.reason === "cell voltage") {
        x = xv;
        reason = "constant voltage";
        who = g;
      }
      if (this.plating) {
        const xp = this.plating.limit(s, g, c.horizonS, x);
        if (xp < x) {
          x = xp;
          reason = "plating";
          who = g;
        }
      }
    }
    if (reason === "constant voltage" && x < c.cutoffCurrentA) {
      this.complete = true;
      return this.set(0, "complete", who);
    }
    return this.set(x * this.parallelCells, reason, who);
  }

  private set(currentA: number, reason: ChargeReason, group: number): number {
    this.currentA = currentA;
    this.reason = reason;
    this.group = group;
    return currentA;
  }
}
