/**
 * The schemas of the server's requests (pure: the in-browser page validates fault requests with the same rules).
 * Every problem names the field, the value and what is allowed.
 */
import {
  boolean,
  type Issue,
  literal,
  number,
  object,
  optional,
  refine,
  type Schema,
  string,
} from "../schema.ts";
import { type FaultKind, type FaultRequest, SPEED_MAX, SPEED_MIN } from "./session.ts";

export const AMBIENT_MIN_C = -40;
export const AMBIENT_MAX_C = 60;

export const integer = (min: number, max?: number): Schema<number> =>
  number({ integer: true, min, ...(max === undefined ? {} : { max }) });

export const TELEMETRY_QUERY = object({
  run: optional(integer(1)),
  from: optional(number()),
  to: optional(number()),
  maxPoints: optional(integer(1, 100_000)),
});

export const EVENT_QUERY = object({
  run: optional(integer(1)),
  from: optional(number()),
  to: optional(number()),
  kind: optional(string({ pattern: /^[a-z-]{1,40}$/ })),
  limit: optional(integer(1, 100_000)),
});

export const FAULT_ID = object({ id: integer(1) });
export const PAUSE = object({ paused: boolean() });
export const SPEED = object({ speed: number({ min: SPEED_MIN, max: SPEED_MAX }) });
export const AMBIENT = object({ ambientC: number({ min: AMBIENT_MIN_C, max: AMBIENT_MAX_C }) });

/** The fault-injection payload, from the simulation's own list of fault kinds and the pack's size. */
export function faultRequestSchema(
  kinds: readonly FaultKind[],
  pack: { seriesGroups: number; tempSensors: number },
): Schema<FaultRequest> {
  const shape = object({
    kind: literal(...kinds.map((k) => k.kind)),
    group: optional(integer(0, pack.seriesGroups - 1)),
    sensor: optional(integer(0, Math.max(0, pack.tempSensors - 1))),
    value: optional(number()),
  });
  return refine(shape, (r) => {
    const k = kinds.find((x) => x.kind === r.kind)!;
    const issues: Issue[] = [];
    if (k.target === "group" && r.group === undefined) {
      issues.push({
        path: "group",
        value: undefined,
        expected: `a series group 0 … ${pack.seriesGroups - 1} for ${k.kind}`,
      });
    }
    if (k.target === "sensor" && r.sensor === undefined) {
      issues.push({
        path: "sensor",
        value: undefined,
        expected: `a sensor 0 … ${pack.tempSensors - 1} for ${k.kind}`,
      });
    }
    if (k.target !== "group" && r.group !== undefined) {
      issues.push({ path: "group", value: r.group, expected: `nothing: ${k.kind} acts on the ${k.target}` });
    }
    if (k.target !== "sensor" && r.sensor !== undefined) {
      issues.push({
        path: "sensor",
        value: r.sensor,
        expected: `nothing: ${k.kind} acts on the ${k.target}`,
      });
    }
    if (r.value !== undefined) {
      if (!k.value)
        issues.push({ path: "value", value: r.value, expected: `nothing: ${k.kind} has no magnitude` });
      else if (r.value < k.value.min || r.value > k.value.max) {
        issues.push({
          path: "value",
          value: r.value,
          expected: `${k.value.name} from ${k.value.min} to ${k.value.max} ${k.value.unit}`,
        });
      }
    }
    return issues;
  }) as Schema<FaultRequest>;
}
