/**
 * Levenberg–Marquardt for small nonlinear least-squares problems: minimise ½·Σ r_i(p)² over a few parameters,
 * optionally inside a box. Marquardt's scaling (damping proportional to diag JᵀJ) makes it insensitive to the
 * units of the parameters; the Jacobian is the caller's or a forward difference.
 *
 * Each iteration solves (JᵀJ + λ·D)·δ = −Jᵀr by Cholesky; a step that lowers the cost is taken and λ shrinks,
 * otherwise λ grows (Nielsen's update). Bounds are kept by projecting each trial point onto the box.
 */

export interface LmProblem {
  /** Number of residuals m (≥ number of parameters is usual, not required). */
  readonly residualCount: number;
  /** Writes r(p) into out (length m). */
  residuals(p: Float64Array, out: Float64Array): void;
  /** Optional analytic Jacobian: jac[i * n + j] = ∂r_i/∂p_j. */
  jacobian?(p: Float64Array, jac: Float64Array): void;
}

export interface LmOptions {
  maxIterations?: number;
  /** Stop when the relative cost decrease of an accepted step is below this. */
  costTolerance?: number;
  /** Stop when every parameter moves by less than this relative amount. */
  stepTolerance?: number;
  /** Stop when the largest scaled gradient component is below this. */
  gradientTolerance?: number;
  lower?: ArrayLike<number>;
  upper?: ArrayLike<number>;
  /** Initial damping λ, relative to the Marquardt scaling diag(JᵀJ). */
  initialDamping?: number;
}

export interface LmResult {
  params: Float64Array;
  /** ½·Σ r² at the solution. */
  cost: number;
  /** √(Σ r² / m). */
  rms: number;
  iterations: number;
  /** Why it stopped. */
  reason: "cost" | "step" | "gradient" | "max-iterations" | "stalled";
  converged: boolean;
}

export function levenbergMarquardt(
  problem: LmProblem,
  p0: ArrayLike<number>,
  opts: LmOptions = {},
): LmResult {
  const n = p0.length;
  const m = problem.residualCount;
  if (n === 0) throw new Error("levenbergMarquardt: no parameters");
  if (m === 0) throw new Error("levenbergMarquardt: no residuals");
  const maxIt = opts.maxIterations ?? 200;
  const fTol = opts.costTolerance ?? 1e-12;
  const xTol = opts.stepTolerance ?? 1e-10;
  const gTol = opts.gradientTolerance ?? 1e-12;
  const lo = opts.lower;
  const hi = opts.upper;
  const project = (p: Float64Array): void => {
    for (let j = 0; j < n; j++) {
      if (lo && p[j] < lo[j]) p[j] = lo[j];
      if (hi && p[j] > hi[j]) p[j] = hi[j];
    }
  };

  const p = Float64Array.from(p0);
  project(p);
  const r = new Float64Array(m);
  const rTrial = new Float64Array(m);
  const pTrial = new Float64Array(n);
  const jac = new Float64Array(m * n);
  const jtj = new Float64Array(n * n);
  const a = new Float64Array(n * n);
  const g = new Float64Array(n);
  const gFree = new Float64Array(n);
  const held = new Uint8Array(n);
  const delta = new Float64Array(n);
  const scale = new Float64Array(n);

  const costOf = (res: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < m; i++) s += res[i] * res[i];
    return 0.5 * s;
  };
  problem.residuals(p, r);
  let cost = costOf(r);
  if (!Number.isFinite(cost))
    throw new Error("levenbergMarquardt: residuals are not finite at the start point");

  const jacobian = (): void => {
    if (problem.jacobian) {
      problem.jacobian(p, jac);
      return;
    }
    for (let j = 0; j < n; j++) {
      const pj = p[j];
      let h = 1.5e-8 * Math.max(Math.abs(pj), 1e-6);
      // Step inward when the parameter sits on its upper bound.
      if (hi && pj + h > hi[j]) h = -h;
      p[j] = pj + h;
      problem.residuals(p, rTrial);
      p[j] = pj;
      const dh = 1 / h;
      for (let i = 0; i < m; i++) jac[i * n + j] = (rTrial[i] - r[i]) * dh;
    }
  };

  let lambda = -1;
  let nu = 2;
  let iterations = 0;
  let reason: LmResult["reason"] = "max-iterations";
  outer: while (iterations < maxIt) {
    iterations++;
    jacobian();
    // JᵀJ and gradient Jᵀr.
    jtj.fill(0);
    g.fill(0);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      const ri = r[i];
      for (let j = 0; j < n; j++) {
        const jij = jac[row + j];
        if (jij === 0) continue;
        g[j] += jij * ri;
        for (let k = 0; k <= j; k++) jtj[j * n + k] += jij * jac[row + k];
      }
    }
    for (let j = 0; j < n; j++) for (let k = 0; k < j; k++) jtj[k * n + j] = jtj[j * n + k];
    // Marquardt scaling, never shrinking, so a parameter that loses sensitivity keeps a sane damping.
    for (let j = 0; j < n; j++) scale[j] = Math.max(scale[j], jtj[j * n + j], 1e-300);
    // A parameter on its bound whose gradient points out of the box is held this iteration.
    for (let j = 0; j < n; j++) {
      const atLo = lo !== undefined && p[j] <= lo[j] && g[j] > 0;
      const atHi = hi !== undefined && p[j] >= hi[j] && g[j] < 0;
      held[j] = atLo || atHi ? 1 : 0;
    }
    let gMax = 0;
    for (let j = 0; j < n; j++) if (!held[j]) gMax = Math.max(gMax, Math.abs(g[j]) / Math.sqrt(scale[j]));
    if (gMax <= gTol * Math.max(Math.sqrt(2 * cost), 1e-300) || gMax === 0) {
      reason = "gradient";
      break;
    }
    if (lambda < 0) lambda = opts.initialDamping ?? 1e-3;

    // Inner loop: raise λ until a step lowers the cost.
    for (let tries = 0; tries < 60; tries++) {
      for (let j = 0; j < n; j++) {
        for (let k = 0; k < n; k++) a[j * n + k] = held[j] || held[k] ? 0 : jtj[j * n + k];
        a[j * n + j] = held[j] ? 1 : a[j * n + j] + lambda * scale[j];
        gFree[j] = held[j] ? 0 : g[j];
      }
      const ok = choleskySolve(a, gFree, delta, n);
      if (ok) {
        let stepSmall = true;
        for (let j = 0; j < n; j++) {
          pTrial[j] = p[j] - delta[j];
        }
        project(pTrial);
        for (let j = 0; j < n; j++)
          if (Math.abs(pTrial[j] - p[j]) > xTol * (Math.abs(p[j]) + xTol)) stepSmall = false;
        if (stepSmall) {
          reason = "step";
          break outer;
        }
        problem.residuals(pTrial, rTrial);
        const trialCost = costOf(rTrial);
        if (Number.isFinite(trialCost) && trialCost < cost) {
          // Gain ratio against the linear model's predicted decrease.
          let predicted = 0;
          for (let j = 0; j < n; j++) {
            const d = p[j] - pTrial[j];
            predicted += d * (lambda * scale[j] * d + gFree[j]);
          }
          const rho = predicted > 0 ? (cost - trialCost) / (0.5 * predicted) : 1;
          const relDecrease = (cost - trialCost) / Math.max(cost, 1e-300);
          p.set(pTrial);
          r.set(rTrial);
          cost = trialCost;
          lambda *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3);
          nu = 2;
          if (relDecrease < fTol || cost === 0) {
            reason = "cost";
            break outer;
          }
          continue outer;
        }
      }
      lambda *= nu;
      nu *= 2;
    }
    reason = "stalled";
    break;
  }
  return {
    params: p,
    cost,
    rms: Math.sqrt((2 * cost) / m),
    iterations,
    reason,
    converged: reason !== "max-iterations" && reason !== "stalled",
  };
}

/** Solves A·x = b for symmetric positive-definite A (n×n, row-major, overwritten). False if A is not SPD. */
function choleskySolve(a: Float64Array, b: Float64Array, x: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= a[i * n + k] * x[k];
    x[i] = s / a[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= a[k * n + i] * x[k];
    x[i] = s / a[i * n + i];
  }
  return true;
}
