/**
 * Controllers a live session can run (pure: the in-browser page uses the same choices).
 *
 * The BMS controller runs at its own timing (10 ms base period, 100 ms and 1 s tasks), so the twin steps and
 * samples its sensors every 10 ms under it: the twin consults its controller once per measurement frame, and a
 * slower frame rate would both trip the BMS's timing monitor and starve its step-based checks (a 100 ms frame
 * made its group-resistance check misfire on a healthy pack). The price is speed: the 110s36p pack then runs
 * about 6× faster than real time on a desktop core, not 60×.
 *
 * Its task-time monitor reads simulated time, which does not pass during a call: the wall-clock time a task
 * takes on a desktop JavaScript engine (JIT warm-up, garbage collection, other work) says nothing about the
 * target hardware, and would open the contactors of a healthy twin.
 */
import { defaultBmsConfig } from "../bms/config.ts";
import { createBmsController } from "../bms/controller.ts";
import type { Alarm } from "../bms/diagnosis.ts";
import type { CellModel } from "../cell/params.ts";
import type { Controller } from "../twin/interfaces.ts";

export const CONTROLLERS = ["bms", "reference"] as const;
export type ControllerChoice = (typeof CONTROLLERS)[number];

export interface ControllerSetup {
  /** Undefined: the twin's reference controller. */
  controller?: Controller<unknown>;
  explainAlarms?: (state: unknown) => Alarm[];
  /** The twin steps and samples at this period so the controller is called at its own rate, s. */
  controlPeriodS?: number;
}

export function controllerFor(choice: ControllerChoice, model: CellModel): ControllerSetup {
  if (choice === "reference") return {};
  const bms = createBmsController({ clock: () => 0, config: (pack) => defaultBmsConfig(pack, model) });
  return {
    controller: bms as unknown as Controller<unknown>,
    explainAlarms: (state) => bms.alarms(state as Parameters<typeof bms.alarms>[0]),
    controlPeriodS: bms.periodS,
  };
}
