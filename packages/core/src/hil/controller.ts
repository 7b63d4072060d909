/**
 * The twin presented as cell-monitoring units (CMU) on a CAN link, and the BMS reading them through the same
 * protocol (packages/core/dbc/coxswain-cmu.dbc).
 *
 * `cmuLinkController(inner, link)` is a `Controller` the twin runs like any other. At each call it does what the
 * hardware would: the twin's measurement frame goes out as CMU frames (`encodeMeasurements`), the BMS side
 * assembles what arrived in a `CmuMonitor` and hands the inner controller the monitor's `Measurements` (validity
 * and age from arrival times, `commsOk` from the data age), and the inner controller's bleed switches go back as
 * `BMS_BalancingCommand` frames that the plant side applies. Everything else the controller commands (contactor
 * coils, host limits, cooling) is wired directly in a real pack, so it stays in memory.
 *
 * Every call is recorded as a `Decision`, so runs over different links can be compared step by step.
 */
import type { CanFrame } from "../can/frame.ts";
import { applyBalancingFrame, CmuMonitor, encodeBalancing, encodeMeasurements } from "../protocols/cmu.ts";
import type { Commands, Controller, ControllerOutput, Measurements, PackInfo } from "../twin/interfaces.ts";
import type { HilLink } from "./link.ts";

/** What the controller decided at one call. */
export interface Decision {
  timeS: number;
  /** Contactor coil requests as "positive negative precharge", e.g. "110". */
  contactors: string;
  chargeCurrentMaxA: number;
  dischargeCurrentMaxA: number;
  chargeVoltageMaxV: number;
  dischargeVoltageMinV: number;
  coolantFlow: number;
  heaterW: number;
  /** Bleed switches, one character per group ("0" / "1"). */
  bleed: string;
  mode: string;
  alarms: string;
}

export function decisionOf<S>(timeS: number, out: ControllerOutput<S>, bleed = out.commands.bleed): Decision {
  const c = out.commands;
  const b = (x: boolean) => (x ? "1" : "0");
  return {
    timeS,
    contactors: b(c.contactors.positive) + b(c.contactors.negative) + b(c.contactors.precharge),
    chargeCurrentMaxA: c.limits.chargeCurrentMaxA,
    dischargeCurrentMaxA: c.limits.dischargeCurrentMaxA,
    chargeVoltageMaxV: c.limits.chargeVoltageMaxV,
    dischargeVoltageMinV: c.limits.dischargeVoltageMinV,
    coolantFlow: c.coolantFlow,
    heaterW: c.heaterW,
    bleed: Array.from(bleed, (x) => (x ? "1" : "0")).join(""),
    mode: out.status.mode,
    alarms: out.status.alarms.join(" "),
  };
}

/** Decisions as CSV, numbers in full (shortest round-trip) precision so a last-bit difference shows. */
export function decisionsCsv(decisions: readonly Decision[]): string {
  const head =
    "time_s,contactors,charge_current_max_A,discharge_current_max_A,charge_voltage_max_V,discharge_voltage_min_V,coolant_flow,heater_W,bleed,mode,alarms";
  const rows = decisions.map((d) =>
    [
      String(d.timeS),
      d.contactors,
      String(d.chargeCurrentMaxA),
      String(d.dischargeCurrentMaxA),
      String(d.chargeVoltageMaxV),
      String(d.dischargeVoltageMinV),
      String(d.coolantFlow),
      String(d.heaterW),
      d.bleed,
      d.mode,
      d.alarms,
    ].join(","),
  );
  return `${[head, ...rows].join("\n")}\n`;
}

/** Wraps a controller so that every call is appended to `decisions` (the in-memory reference path). */
export function recordingController<S>(inner: Controller<S>, decisions: Decision[]): Controller<S> {
  return {
    name: inner.name,
    periodS: inner.periodS,
    init: (pack) => inner.init(pack),
    step(state, m, t) {
      const out = inner.step(state, m, t);
      decisions.push(decisionOf(t, out));
      return out;
    },
  };
}

/** The monitoring boards' side: one batch of frames per measurement frame, with a rolling counter. */
export class CmuSender {
  private counter = 0;
  framesSent = 0;
  /** Boards that stopped sending (a pulled connector, a dead board): from then on nothing goes out. */
  stopped = false;

  frames(m: Measurements): CanFrame[] {
    // Boards that cannot talk (the twin's comms-lost fault, or unplugged) are silent on the bus.
    if (this.stopped || !m.commsOk) return [];
    const out = encodeMeasurements(m, this.counter);
    this.counter = (this.counter + 1) & 15;
    this.framesSent += out.length;
    return out;
  }
}

export interface CmuLinkOptions {
  /** A reading older than this is invalid, and `commsOk` false (use the twin's sensor timeout), s. */
  timeoutS: number;
  /** Stop the monitoring boards' sender from this time on (unplug the link), s. */
  unplugAtS?: number;
  /** Every call's decision is appended here. */
  decisions?: Decision[];
}

export interface CmuLinkController<S> extends Controller<S> {
  readonly sender: CmuSender;
  /** The BMS side's monitor (undefined until `init`). */
  monitor(): CmuMonitor | undefined;
  /** The measurements the inner controller saw at its last call (what arrived over the link). */
  lastMeasurements(): Measurements | undefined;
}

export function cmuLinkController<S>(
  inner: Controller<S>,
  link: HilLink,
  opts: CmuLinkOptions,
): CmuLinkController<S> {
  if (!(opts.timeoutS > 0)) throw new RangeError(`timeoutS: got ${opts.timeoutS}, expected a number > 0`);
  const sender = new CmuSender();
  let monitor: CmuMonitor | undefined;
  let plantBleed = new Uint8Array(0);
  let balanceCounter = 0;
  let seen: Measurements | undefined;
  return {
    name: `${inner.name} over ${link.name} CAN`,
    periodS: inner.periodS,
    sender,
    monitor: () => monitor,
    lastMeasurements: () => seen,
    init(pack: PackInfo): S {
      monitor = new CmuMonitor(pack.seriesGroups, Math.max(1, pack.tempSensors.length));
      plantBleed = new Uint8Array(pack.seriesGroups);
      return inner.init(pack);
    },
    step(state: S, m: Measurements, t: number): ControllerOutput<S> {
      if (!monitor) throw new Error("cmuLinkController: step before init");
      if (opts.unplugAtS !== undefined && t >= opts.unplugAtS - 1e-9) sender.stopped = true;
      // Frames are stamped with the simulation time of this call, not the transport's clock.
      for (const f of link.carry("toBms", sender.frames(m))) monitor.receive(f, t);
      seen = monitor.measurements(t, opts.timeoutS);
      const out = inner.step(state, seen, t);
      for (const f of link.carry("toPlant", encodeBalancing(out.commands.bleed, balanceCounter)))
        applyBalancingFrame(f, plantBleed);
      balanceCounter = (balanceCounter + 1) & 15;
      // The inner controller may reuse its commands object: hand the plant a copy with the bleed it received.
      const commands: Commands = { ...out.commands, bleed: plantBleed };
      const result = { state: out.state, commands, status: out.status };
      opts.decisions?.push(decisionOf(t, out));
      return result;
    },
  };
}
