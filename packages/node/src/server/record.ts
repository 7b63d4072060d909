/** Records a live session into a history store: every frame offered as telemetry (the store downsamples), every event in full. */

import type { LiveSession, TelemetryFrame } from "@coxswain/core/live/session";
import type { HistoryStore, TelemetryChannel } from "../history/store.ts";

const orNaN = (v: number | null): number => (v === null ? Number.NaN : v);

function extreme(values: (number | null)[], pick: (a: number, b: number) => number): number {
  let out = Number.NaN;
  for (const v of values) if (v !== null) out = Number.isNaN(out) ? v : pick(out, v);
  return out;
}

export function telemetryValues(f: TelemetryFrame): Record<TelemetryChannel, number> {
  return {
    packVoltageV: orNaN(f.pack.voltageV),
    packCurrentA: orNaN(f.pack.currentA),
    socEstimate: orNaN(f.pack.socEstimate),
    socTrue: orNaN(f.pack.socTrue),
    soh: orNaN(f.pack.soh),
    groupVoltageMinV: extreme(f.groups.voltageV, Math.min),
    groupVoltageMaxV: extreme(f.groups.voltageV, Math.max),
    temperatureMinK: extreme(f.groups.tempK, Math.min),
    temperatureMaxK: extreme(f.groups.tempK, Math.max),
    chargeCurrentMaxA: f.limits.chargeCurrentMaxA,
    dischargeCurrentMaxA: f.limits.dischargeCurrentMaxA,
  };
}

/** Starts recording; returns a function that stops it. */
export function recordSession(session: LiveSession, store: HistoryStore): () => void {
  const offFrame = session.onFrame((f) =>
    store.recordTelemetry({
      timeS: f.timeS,
      wallMs: f.wallMs,
      values: telemetryValues(f),
      groupVoltageV: f.groups.voltageV.map(orNaN),
    }),
  );
  const offEvent = session.onEvent((e) => store.recordEvent({ ...e, wallMs: Date.now() }));
  return () => {
    offFrame();
    offEvent();
  };
}
