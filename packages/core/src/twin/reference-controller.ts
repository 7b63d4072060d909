/**
 * A simple reference controller with fixed limits, to drive the twin until the real BMS controller exists (and
 * as a baseline afterwards). It uses only measurements and acts only through commands:
 *  - contactors: negative, then precharge until the DC link is within 5 % of the pack voltage, then positive;
 *    everything opens, and stays open, on a fault it can see (over/under-voltage, over-temperature,
 *    insulation, lost communication or current reading);
 *  - limits: the cells' datasheet currents × Np and voltages × Ns, cut to zero for charge (discharge) when
 *    any group reads at or above the maximum (at or below the minimum) voltage, or a temperature is outside
 *    the charge (discharge) window; tapered near the voltage limits;
 *  - passive balancing of groups more than a threshold above the lowest, while no large current flows;
 *  - coolant pump above 30 °C, heater below 5 °C.
 */
import type { Commands, Controller, ControllerOutput, Measurements, PackInfo } from "./interfaces.ts";
import { idleCommands } from "./interfaces.ts";

export interface ReferenceControllerOptions {
  balancing: boolean;
  balanceThresholdV: number;
}

export interface ReferenceState {
  pack: PackInfo;
  /** "open", "precharge", "closed", "fault". */
  phase: string;
  phaseSinceS: number;
  faultReason: string;
}

const C30 = 303.15;
const C5 = 278.15;

export function referenceController(
  options: ReferenceControllerOptions = { balancing: true, balanceThresholdV: 0.01 },
): Controller<ReferenceState> {
  return {
    name: "reference",
    periodS: 0.1,
    init: (pack) => ({ pack, phase: "open", phaseSinceS: 0, faultReason: "" }),
    step(state, m, timeS): ControllerOutput<ReferenceState> {
      const p = state.pack;
      const cmd: Commands = idleCommands(p);
      const alarms: string[] = [];
      let vMax = -Infinity;
      let vMin = Infinity;
      let stale = false;
      const gv = m.groupVoltageV;
      for (let g = 0; g < p.seriesGroups; g++) {
        if (!gv.valid[g]) {
          stale = true;
          continue;
        }
        vMax = Math.max(vMax, gv.value[g]);
        vMin = Math.min(vMin, gv.value[g]);
      }
      let tMax = -Infinity;
      let tMin = Infinity;
      for (let k = 0; k < m.temperatureK.value.length; k++) {
        if (!m.temperatureK.valid[k]) {
          stale = true;
          continue;
        }
        tMax = Math.max(tMax, m.temperatureK.value[k]);
        tMin = Math.min(tMin, m.temperatureK.value[k]);
      }
      if (stale || !m.commsOk) alarms.push("measurement-invalid");
      const overV = vMax >= p.cellVoltageMaxV + 0.05;
      const underV = vMin <= p.cellVoltageMinV - 0.1;
      const overT = tMax >= p.dischargeTempMaxK;
      const insulationLow = m.insulationOhm.valid && m.insulationOhm.value < 100 * 500; // 100 Ω/V at 500 V
      if (overV) alarms.push("cell-overvoltage");
      if (underV) alarms.push("cell-undervoltage");
      if (overT) alarms.push("over-temperature");
      if (insulationLow) alarms.push("insulation-low");
      if (!m.commsOk || !m.packCurrentA.valid) alarms.push("comms-or-current-lost");

      let phase = state.phase;
      let since = state.phaseSinceS;
      let reason = state.faultReason;
      const severe = overV || underV || overT || insulationLow || !m.commsOk || !m.packCurrentA.valid;
      if (severe && phase !== "fault") {
        phase = "fault";
        since = timeS;
        reason = alarms.join(",");
      }
      // Faults latch: the reference controller never re-closes by itself.
      const closedFb = m.contactors.positive || m.contactors.negative;
      if (phase === "fault" && closedFb && timeS - since > 1) alarms.push("contactor-feedback-closed");
      if (phase === "open") {
        phase = "precharge";
        since = timeS;
      }
      if (phase === "precharge") {
        cmd.contactors.negative = true;
        cmd.contactors.precharge = true;
        const link = m.linkVoltageV.value;
        const packV = m.packVoltageV.value;
        if (timeS - since > 0.3 && Math.abs(packV - link) < 0.05 * packV) {
          phase = "closed";
          since = timeS;
        } else if (timeS - since > 5) {
          phase = "fault";
          since = timeS;
          reason = "precharge-timeout";
          alarms.push("precharge-timeout");
        }
      }
      if (phase === "closed") {
        cmd.contactors.negative = true;
        cmd.contactors.positive = true;
        cmd.contactors.precharge = timeS - since < 0.2;
        const l = cmd.limits;
        const taper = (x: number) => Math.max(0, Math.min(1, x));
        l.chargeCurrentMaxA =
          p.cellChargeCurrentMaxA * p.parallelCells * taper((p.cellVoltageMaxV - vMax) / 0.05);
        l.dischargeCurrentMaxA =
          p.cellDischargeCurrentMaxA * p.parallelCells * taper((vMin - p.cellVoltageMinV) / 0.1);
        if (tMax >= p.chargeTempMaxK || tMin <= p.chargeTempMinK) l.chargeCurrentMaxA = 0;
        if (tMax >= p.dischargeTempMaxK || tMin <= p.dischargeTempMinK) l.dischargeCurrentMaxA = 0;
        l.chargeVoltageMaxV = p.cellVoltageMaxV * p.seriesGroups;
        l.dischargeVoltageMinV = p.cellVoltageMinV * p.seriesGroups;
      }
      if (
        options.balancing &&
        !stale &&
        Math.abs(m.packCurrentA.value) < 0.2 * p.cellCapacityAh * p.parallelCells
      )
        for (let g = 0; g < p.seriesGroups; g++)
          cmd.bleed[g] = gv.valid[g] && gv.value[g] - vMin > options.balanceThresholdV ? 1 : 0;
      cmd.coolantFlow = tMax > C30 ? 1 : tMax > C30 - 2 ? 0.3 : 0;
      cmd.heaterW = tMin < C5 ? 2000 : 0;
      return {
        state: { pack: p, phase, phaseSinceS: since, faultReason: reason },
        commands: cmd,
        status: { mode: phase, alarms },
      };
    },
  };
}

/** The measurements a reference controller treats as its view of the worst cell (for tests and summaries). */
export function extremes(m: Measurements): { vMin: number; vMax: number; tMax: number } {
  let vMin = Infinity;
  let vMax = -Infinity;
  let tMax = -Infinity;
  m.groupVoltageV.value.forEach((v, g) => {
    if (!m.groupVoltageV.valid[g]) return;
    vMin = Math.min(vMin, v);
    vMax = Math.max(vMax, v);
  });
  m.temperatureK.value.forEach((t, k) => {
    if (m.temperatureK.valid[k]) tMax = Math.max(tMax, t);
  });
  return { vMin, vMax, tMax };
}
