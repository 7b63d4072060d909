/** Messages between the static page and its simulation worker. */
import type { FaultRequest, SessionEvent, TelemetryFrame } from "@coxswain/core/live/session";
import type { Hello } from "./source.ts";

export type ToWorker = { id_: number } & (
  | { action: "pause"; paused: boolean }
  | { action: "speed"; speed: number }
  | { action: "ambient"; ambientK: number }
  | { action: "inject"; request: FaultRequest }
  | { action: "clear"; id?: number }
);

export type FromWorker =
  | ({ type: "hello" } & Hello)
  | { type: "frame"; frame: TelemetryFrame }
  | { type: "event"; event: SessionEvent }
  | { type: "result"; id: number; ok: boolean; error?: string }
  | { type: "failed"; error: string };
