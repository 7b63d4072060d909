/**
 * Active balancing as consensus on the balancing network's graph.
 *
 * Groups are the nodes; each converter is an edge (i, j) that moves charge between its two groups. Commanding
 * each converter with a current proportional to the SOC difference across it,
 *   I_ij = k·(z_i − z_j),  clipped to ±I_max,
 * gives, while no converter saturates and with lossless converters, Q·dz/dt = −k·L·z, L the graph Laplacian and
 * Q the group capacity in A·s. The SOC spread then dies out as e^(−λ₂·k·t/Q) (slowest mode), λ₂ the algebraic
 * connectivity: the second-smallest eigenvalue of L. For a chain of N groups, λ₂ = 2·(1 − cos(π/N)); for a ring
 * 2·(1 − cos(2π/N)); for the complete graph N.
 *
 * The gain is chosen so that the largest expected difference does not saturate a converter, k = I_max / Δz_sat,
 * which keeps the prediction valid; once differences are small the converters work in their linear range.
 */

/** An undirected edge between groups a and b (converter k moves charge from a to b when its current is > 0). */
export interface Edge {
  a: number;
  b: number;
}

/** The converters of a chain: converter k between groups k and k+1 (the twin's layout). */
export function chainEdges(groups: number): Edge[] {
  const out: Edge[] = [];
  for (let k = 0; k + 1 < groups; k++) out.push({ a: k, b: k + 1 });
  return out;
}

/** Dense Laplacian L = D − A of an undirected graph, row-major. */
export function laplacian(groups: number, edges: readonly Edge[]): Float64Array {
  const l = new Float64Array(groups * groups);
  for (const [k, e] of edges.entries()) {
    for (const [name, v] of [
      ["a", e.a],
      ["b", e.b],
    ] as const)
      if (!(Number.isInteger(v) && v >= 0 && v < groups))
        throw new Error(`edges[${k}].${name}: got ${v}, expected a group index 0…${groups - 1}`);
    if (e.a === e.b)
      throw new Error(`edges[${k}]: got a loop on group ${e.a}, expected two different groups`);
    l[e.a * groups + e.a] += 1;
    l[e.b * groups + e.b] += 1;
    l[e.a * groups + e.b] -= 1;
    l[e.b * groups + e.a] -= 1;
  }
  return l;
}

/**
 * Eigenvalues of a symmetric matrix (row-major, n × n), ascending, by cyclic Jacobi rotations. For the small
 * dense Laplacians of a balancing network (n up to a few hundred), run once at configuration time.
 */
export function symmetricEigenvalues(matrix: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(matrix);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  const ev = new Float64Array(n);
  for (let i = 0; i < n; i++) ev[i] = a[i * n + i];
  return ev.sort();
}

/** Algebraic connectivity λ₂ of the graph (0 when it is not connected). */
export function algebraicConnectivity(groups: number, edges: readonly Edge[]): number {
  if (groups < 2) return 0;
  const ev = symmetricEigenvalues(laplacian(groups, edges), groups);
  return Math.max(0, ev[1]);
}

export interface ActiveBalancingConfig {
  /** Largest converter current, A (the twin's transferMaxA). */
  converterMaxA: number;
  /** SOC difference across a converter at which it saturates (sets the gain k = converterMaxA / this). */
  saturationSocDifference: number;
  /** Differences below this are left alone (estimation noise), SOC fraction. */
  deadband: number;
}

export class ActiveBalancer {
  readonly groups: number;
  readonly edges: readonly Edge[];
  readonly config: ActiveBalancingConfig;
  /** Gain, A per unit SOC difference. */
  readonly gainA: number;
  readonly lambda2: number;
  /** Commanded converter currents, one per edge, A (> 0 moves charge from edge.a to edge.b). */
  readonly transferA: Float64Array;

  constructor(groups: number, edges: readonly Edge[], config: ActiveBalancingConfig) {
    for (const [name, v] of [
      ["converterMaxA", config.converterMaxA],
      ["saturationSocDifference", config.saturationSocDifference],
    ] as const)
      if (!(v > 0 && Number.isFinite(v))) throw new Error(`${name}: got ${v}, expected a number > 0`);
    if (!(config.deadband >= 0)) throw new Error(`deadband: got ${config.deadband}, expected a number ≥ 0`);
    this.groups = groups;
    this.edges = edges;
    this.config = config;
    this.gainA = config.converterMaxA / config.saturationSocDifference;
    this.lambda2 = algebraicConnectivity(groups, edges);
    this.transferA = new Float64Array(edges.length);
  }

  /**
   * The decay rate of the SOC spread the consensus predicts for groups of capacity `groupCapacityAh`, 1/s:
   * λ₂·k / (3600·Q) (linear range, lossless converters).
   */
  predictedRatePerS(groupCapacityAh: number): number {
    return (this.lambda2 * this.gainA) / (3600 * groupCapacityAh);
  }

  /** Converter commands from the estimated SOC of every group. */
  update(soc: ArrayLike<number>): Float64Array {
    const c = this.config;
    for (let k = 0; k < this.edges.length; k++) {
      const e = this.edges[k];
      const dz = soc[e.a] - soc[e.b];
      let i = 0;
      if (Number.isFinite(dz) && Math.abs(dz) > c.deadband) i = this.gainA * dz;
      this.transferA[k] = Math.max(-c.converterMaxA, Math.min(c.converterMaxA, i));
    }
    return this.transferA;
  }
}
