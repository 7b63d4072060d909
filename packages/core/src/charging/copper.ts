/**
 * Copper-dissolution cut-off on deep discharge. As a group empties, its graphite anode delithiates and the anode
 * potential climbs the steep end of its OCP curve toward the ≈3.3 V vs Li/Li⁺ at which the copper current
 * collector starts to dissolve. The cut-off watches every group's estimated anode potential (anode.ts: the OCP
 * at the estimated SOC, raised by the anode's share of the discharge overpotential seen in the measured
 * voltage) and stops the discharge when any group passes `thresholdV`, set on the steep rise of the curve
 * (default 1.5 V: past the rest potential at 0 % SOC, 1.19 V for the LG M50 of Chen 2020, far below copper's).
 * It guards against what the voltage limit misses: a group whose capacity faded so that it empties first while
 * the pack voltage still looks healthy, or a voltage floor configured too low.
 */
import type { CellModel } from "../cell/params.ts";
import type { GroupStates } from "../sop/predict.ts";
import { anodePotentialAt, DEFAULT_ANODE_SHARE, requireAnode } from "./anode.ts";

export const DEFAULT_COPPER_CUTOFF_V = 1.5;

export class CopperCutoff {
  readonly model: CellModel;
  readonly thresholdV: number;
  readonly anodeShare: number;
  /** Estimated anode potential per group from the last check, V vs Li/Li⁺. */
  readonly potentialV: Float64Array;
  /** The first group past the threshold in the last check, or −1. */
  tripped = -1;

  constructor(
    model: CellModel,
    groups: number,
    thresholdV = DEFAULT_COPPER_CUTOFF_V,
    anodeShare = DEFAULT_ANODE_SHARE,
  ) {
    requireAnode(model);
    if (!(thresholdV > 0 && thresholdV < 5))
      throw new Error(`thresholdV: got ${thresholdV}, expected 0 < V < 5 (vs Li/Li⁺)`);
    this.model = model;
    this.thresholdV = thresholdV;
    this.anodeShare = anodeShare;
    this.potentialV = new Float64Array(groups);
  }

  /** Returns true when the discharge must stop (some group's anode potential is past the threshold). */
  check(s: GroupStates, groupVoltageV: ArrayLike<number>): boolean {
    this.tripped = -1;
    for (let g = 0; g < this.potentialV.length; g++) {
      const phi = anodePotentialAt(this.model, s.soc[g], s.tempK[g], groupVoltageV[g], this.anodeShare);
      this.potentialV[g] = phi;
      if (this.tripped < 0 && phi > this.thresholdV) this.tripped = g;
    }
    return this.tripped >= 0;
  }
}
