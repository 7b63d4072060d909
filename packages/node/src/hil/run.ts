/**
 * Hardware-in-the-loop style runs of a scenario: the BMS controller reads the twin in memory, through the CMU
 * protocol on the in-process bus, or through the CMU protocol over socketcand TCP on 127.0.0.1, and the runs'
 * decisions are compared call by call.
 */

import type { LinkStats } from "@coxswain/core";
import {
  compareDecisions,
  type DecisionComparison,
  type HilControllerChoice,
  type HilRunResult,
  MemoryHilLink,
  runHil,
} from "@coxswain/core/hil/index";
import type { LoadedScenario } from "../scenarios.ts";
import { TcpHilLink } from "./tcp-link.ts";

export const HIL_LINKS = ["direct", "memory", "tcp"] as const;
/** `direct`: measurements in memory (no CAN); `memory`: CMU frames on the in-process bus; `tcp`: over socketcand. */
export type HilLinkChoice = (typeof HIL_LINKS)[number];

export interface HilRunSpec {
  link: HilLinkChoice;
  controller?: HilControllerChoice;
  unplugAtS?: number;
  endS?: number;
}

export interface HilLinkRun extends HilRunResult {
  /** Counters of the socketcand client (tcp only). */
  tcp: LinkStats | null;
  /** The port the socketcand server listened on (tcp only). */
  tcpPort: number | null;
}

/** Runs one scenario over one link. */
export async function runHilLink(loaded: LoadedScenario, spec: HilRunSpec): Promise<HilLinkRun> {
  const { scenario, model, resources } = loaded;
  const opts = { controller: spec.controller, unplugAtS: spec.unplugAtS, endS: spec.endS };
  if (spec.link === "direct") {
    if (spec.unplugAtS !== undefined) throw new Error("--unplug-at needs a CAN link (memory or tcp)");
    return { ...runHil(scenario, model, resources, opts), tcp: null, tcpPort: null };
  }
  if (spec.link === "memory") {
    const link = new MemoryHilLink();
    try {
      return { ...runHil(scenario, model, resources, { ...opts, link }), tcp: null, tcpPort: null };
    } finally {
      link.close();
    }
  }
  if (spec.link !== "tcp")
    throw new Error(`link: got "${spec.link}", expected one of ${HIL_LINKS.join(", ")}`);
  const link = await TcpHilLink.open();
  let r: HilRunResult;
  try {
    r = runHil(scenario, model, resources, { ...opts, link });
  } finally {
    await link.close();
  }
  return { ...r, tcp: link.tcpStats, tcpPort: link.port };
}

/** Compares two runs over the calls before `beforeS` (the unplug, when there is one). */
export function compareRuns(a: HilRunResult, b: HilRunResult, beforeS = Infinity): DecisionComparison {
  const cut = (r: HilRunResult) => r.decisions.filter((d) => d.timeS < beforeS - 1e-9);
  return compareDecisions(cut(a), cut(b));
}
