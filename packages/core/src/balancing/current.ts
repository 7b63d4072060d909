/**
 * The current balancing adds to each group, so that the SOC estimator integrates what each group really carries
 * (I_group = I_string + this) and balancing never turns into an estimation bias. Same conventions as the twin's
 * hardware: a closed bleed resistor draws V/R from its group; converter k takes |I| from its source group and
 * delivers η·V_src·|I|/V_dst to its destination (power balance with efficiency η).
 */
import type { Edge } from "./active.ts";

export function balancingCurrents(
  groupVoltageV: ArrayLike<number>,
  bleed: ArrayLike<number>,
  bleedOhm: number,
  edges: readonly Edge[],
  transferA: ArrayLike<number>,
  efficiency: number,
  out: Float64Array,
): Float64Array {
  for (let g = 0; g < out.length; g++) out[g] = bleed[g] ? -groupVoltageV[g] / bleedOhm : 0;
  for (let k = 0; k < edges.length; k++) {
    const i = transferA[k];
    if (!i) continue;
    const src = i > 0 ? edges[k].a : edges[k].b;
    const dst = i > 0 ? edges[k].b : edges[k].a;
    const iSrc = Math.abs(i);
    out[src] -= iSrc;
    const vDst = groupVoltageV[dst];
    if (vDst > 0) out[dst] += (efficiency * groupVoltageV[src] * iSrc) / vDst;
  }
  return out;
}
