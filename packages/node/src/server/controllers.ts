/**
 * Controllers a live session can run (pure: the in-browser page uses the same choices).
 *
 * The twin consults its controller once per measurement frame (the sensors' sample period, 100 ms by default),
 * so the BMS controller is configured with that base period (its 10 ms and 100 ms tasks then run on every call,
 * the 1 s task every 10th): otherwise its timing monitor would rightly see nine of every ten cycles missed.
 * Its task-time monitor reads simulated time, which does not pass during a call: the wall-clock time a task
 * takes on a desktop JavaScript engine (JIT warm-up, garbage collection, other work) says nothing about the
 * target hardware, and would open the contactors of a healthy twin.
 */
import { compileBmsConfig, defaultBmsConfigFile } from "@coxswain/core/bms/config";
import { createBmsController } from "@coxswain/core/bms/controller";
import type { Alarm } from "@coxswain/core/bms/diagnosis";
import type { CellModel } from "@coxswain/core/cell/params";
import type { Controller } from "@coxswain/core/twin/interfaces";

export const CONTROLLERS = ["bms", "reference"] as const;
export type ControllerChoice = (typeof CONTROLLERS)[number];

export interface ControllerSetup {
  /** Undefined: the twin's reference controller. */
  controller?: Controller<unknown>;
  explainAlarms?: (state: unknown) => Alarm[];
}

export function controllerFor(choice: ControllerChoice, model: CellModel): ControllerSetup {
  if (choice === "reference") return {};
  const bms = createBmsController({
    clock: () => 0,
    config: (pack) => {
      const file = defaultBmsConfigFile(pack, model);
      const slowEvery = Math.max(1, Math.round(1 / pack.samplePeriodS));
      return compileBmsConfig({
        ...file,
        timing: { ...file.timing, basePeriodS: pack.samplePeriodS, mediumEvery: 1, slowEvery },
      });
    },
  });
  return {
    controller: bms as unknown as Controller<unknown>,
    explainAlarms: (state) => bms.alarms(state as Parameters<typeof bms.alarms>[0]),
  };
}
