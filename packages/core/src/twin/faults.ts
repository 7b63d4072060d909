/**
 * Fault injection: each scenario fault switches on at atS and (optionally) off at untilS. Faults act on the
 * plant (cells, contactors, insulation, pump), on the sensors, or on the host; the controller only ever sees
 * their signature in the measurements.
 */
import type { Pack } from "./pack.ts";
import type { FaultSpec } from "./scenario.ts";
import type { Sensors } from "./sensors.ts";

/** Host-side state a fault can change. */
export interface HostFaults {
  ignoresLimits: boolean;
}

/** Switches fault `f` on (on = true) or off. */
export function applyFault(f: FaultSpec, on: boolean, pack: Pack, sensors: Sensors, host: HostFaults): void {
  const cellIndex = (f.group ?? 0) * pack.np + (f.cell ?? 0);
  switch (f.kind) {
    case "sensor-stuck":
      if (on) sensors.stick(f.signal ?? "current", f.index ?? 0);
      else sensors.unstick(f.signal ?? "current", f.index ?? 0);
      break;
    case "sensor-dropped":
      sensors.setDropped(f.signal ?? "current", f.index ?? 0, on);
      break;
    case "open-wire":
      sensors.openWire[f.group ?? 0] = on ? 1 : 0;
      break;
    case "temperature-bias":
      sensors.tempBiasK[f.index ?? 0] = on ? (f.biasK ?? 0) : 0;
      break;
    case "internal-short":
      pack.setShort(cellIndex, on ? (f.ohm ?? 0) : 0);
      break;
    case "open-cell":
      pack.openCell[cellIndex] = on ? 1 : 0;
      break;
    case "welded-contactor":
      pack.welded[f.contactor ?? "positive"] = on;
      break;
    case "insulation":
      pack.insulationOhm = on ? (f.ohm ?? pack.config.insulationOhm) : pack.config.insulationOhm;
      break;
    case "pump-failure":
      pack.pumpFailed = on;
      break;
    case "comms-lost":
      sensors.commsLost = on;
      break;
    case "host-ignores-limits":
      host.ignoresLimits = on;
      break;
  }
}

/** A short human-readable description of a fault, for the record. */
export function describeFault(f: FaultSpec): string {
  const where = [
    f.signal,
    f.index !== undefined ? `#${f.index}` : undefined,
    f.group !== undefined ? `group ${f.group}` : undefined,
    f.cell !== undefined ? `cell ${f.cell}` : undefined,
    f.ohm !== undefined ? `${f.ohm} Ω` : undefined,
    f.biasK !== undefined ? `${f.biasK} K` : undefined,
    f.contactor,
  ]
    .filter((x) => x !== undefined)
    .join(", ");
  return `${f.kind}${where ? ` (${where})` : ""}`;
}
