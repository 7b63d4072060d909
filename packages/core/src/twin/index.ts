export * from "../cell/fast.ts";
export * from "./ageing.ts";
export * from "./faults.ts";
// ContactorState is also a name in protocols/: import it from "./twin/interfaces.ts" directly.
export {
  type Commands,
  type ContactorState as TwinContactorState,
  type Controller,
  type ControllerOutput,
  type ControllerStatus,
  type HostLimits,
  idleCommands,
  type Measurements,
  type PackInfo,
  type Reading,
  type ReadingBank,
  type SensorPosition,
} from "./interfaces.ts";
export * from "./pack.ts";
export * from "./reference-controller.ts";
export * from "./runner.ts";
export * from "./scenario.ts";
export * from "./sensors.ts";
export * from "./vehicle.ts";
