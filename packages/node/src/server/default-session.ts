/** The live simulation of a named (or file) scenario, with its cell model and drive cycles read from disk. */

import { type ControllerChoice, controllerFor } from "@coxswain/core/live/controllers";
import { TwinSimulation } from "@coxswain/core/live/twin-session";
import { loadScenarioWithResources } from "../scenarios.ts";

export const DEFAULT_SCENARIO = "default";

export interface LiveSimulationOptions {
  scenario?: string;
  controller?: ControllerChoice;
  seed?: number;
  /** The scenario's phases run this many times back to back. */
  repeatPhases?: number;
}

export function createLiveSimulation(o: LiveSimulationOptions = {}): TwinSimulation {
  const { scenario, model, resources } = loadScenarioWithResources(o.scenario ?? DEFAULT_SCENARIO, o.seed);
  return new TwinSimulation({
    scenario,
    model,
    resources,
    ...controllerFor(o.controller ?? "bms", model),
    repeatPhases: o.repeatPhases ?? 100,
  });
}
