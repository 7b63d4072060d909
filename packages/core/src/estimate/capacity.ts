/**
 * Total capacity by total least squares (after Plett 2011, "Recursive approximate weighted total least squares
 * estimation of battery cell total capacity", J. Power Sources 196:2319).
 *
 * Each sample relates a SOC change x (from two SOC estimates, e.g. OCV readings at two rests, error σ_x) to the
 * charge y that flowed between them (coulomb count, error σ_y): y = Q·x. Both carry errors, so ordinary least
 * squares on y is biased low; weighted total least squares minimises
 *     χ²(Q) = Σ γ^age · (y_i − Q·x_i)² / (σ_yi² + Q²·σ_xi²)
 * (γ a forgetting factor so Q can follow ageing).
 *
 * - `wtls`: that cost exactly, minimised over the kept samples (a few hundred at most: one per partial cycle).
 * - `awtls`: recursive, six running sums. Each sample's weight 1/(σ_y² + Q²σ_x²) is replaced by its first-order
 *   Taylor expansion a + b·Q about the estimate Q₀ it arrives with (a = 1/d + 2Q₀²σ_x²/d², b = −2Q₀σ_x²/d²,
 *   d = σ_y² + Q₀²σ_x²). The cost becomes the cubic Σ(a + bQ)(y − Qx)², whose minimum is a root of a quadratic;
 *   the gradient's expectation vanishes at the true Q when Q₀ is the true Q, so the bias fades as Q₀ converges.
 * Both start from the nominal capacity as a prior sample (x = 1, y = Q_nom, σ_y = the prior's σ). The σ of Q is
 * √(2/χ²''), from the curvature of the cost at its minimum.
 */

export type CapacityMethod = "wtls" | "awtls";

export interface CapacitySample {
  /** SOC change, fraction (positive on charge). */
  dSoc: number;
  dSocSigma: number;
  /** Charge that flowed, A·h (positive on charge). */
  chargeAh: number;
  chargeSigmaAh: number;
  /**
   * The part of dSocSigma that every sample shares (OCV table, sensor offset, hysteresis law): it does not
   * average out over samples, so it bounds how well Q can be known however many samples arrive (default 0).
   */
  dSocSystematicSigma?: number;
  /**
   * Which kind of reading the sample comes from (default "rest"): shared errors repeat among samples of one
   * source but are independent between sources (a hysteresis error at rest, an overpotential error under load).
   */
  source?: string;
}

export interface CapacityEstimatorOptions {
  method: CapacityMethod;
  nominalAh: number;
  /** σ of the prior (nominal) capacity, A·h (default 10 % of nominal). */
  priorSigmaAh?: number;
  /** Forgetting factor per sample, (0, 1] (default 0.98: a memory of about 50 samples). */
  forgetting?: number;
  /** Samples kept by `wtls` (default 500). */
  maxSamples?: number;
}

export class CapacityEstimator {
  readonly method: CapacityMethod;
  capacityAh: number;
  /** σ of the capacity: the cost's curvature (random errors) and the shared errors together. */
  sigmaAh: number;
  /** The part of sigmaAh from the samples' shared (systematic) SOC errors. */
  systematicSigmaAh = 0;
  private readonly gamma: number;
  private readonly maxSamples: number;
  // awtls running sums.
  private c1 = 0;
  private c2 = 0;
  private c3 = 0;
  private c4 = 0;
  private c5 = 0;
  private c6 = 0;
  /** σ from the cost's curvature alone. */
  private randomSigmaAh: number;
  // Weighted sums for the shared-error bound: Σ w·|x|·σ_sys per source and Σ w·x² over all samples (w the
  // sample's TLS weight; forgotten like the samples).
  private readonly sysNum = new Map<string, number>();
  private sysDen = 0;
  // wtls kept samples (x, y, σx², σy², weight).
  private readonly kept: { x: number; y: number; vx: number; vy: number; w: number }[] = [];

  constructor(o: CapacityEstimatorOptions) {
    if (!(o.nominalAh > 0)) throw new Error(`nominalAh must be > 0, got ${o.nominalAh}`);
    const g = o.forgetting ?? 0.98;
    if (!(g > 0 && g <= 1)) throw new Error(`forgetting must be in (0, 1], got ${g}`);
    this.method = o.method;
    this.gamma = g;
    this.maxSamples = o.maxSamples ?? 500;
    this.capacityAh = o.nominalAh;
    this.sigmaAh = o.priorSigmaAh ?? 0.1 * o.nominalAh;
    this.randomSigmaAh = this.sigmaAh;
    this.addRaw(1, 0, o.nominalAh, this.sigmaAh ** 2, false);
    this.solve();
  }

  add(s: CapacitySample): void {
    if (!(Number.isFinite(s.dSoc) && Number.isFinite(s.chargeAh) && s.dSocSigma >= 0 && s.chargeSigmaAh > 0))
      throw new Error(
        `capacity sample needs finite dSoc and chargeAh, dSocSigma ≥ 0 and chargeSigmaAh > 0; got ${JSON.stringify(s)}`,
      );
    const sys = s.dSocSystematicSigma ?? 0;
    if (!(sys >= 0 && sys <= s.dSocSigma))
      throw new Error(
        `capacity sample dSocSystematicSigma must be in [0, dSocSigma = ${s.dSocSigma}], got ${sys}`,
      );
    // A shared SOC error β moves the weighted fit by δQ = −Q·Σ w·x·β / Σ w·x²; at worst every β has the size
    // σ_sys and the sign that shrinks |x| (as a hysteresis error does on both ends of every swing).
    const q0 = this.capacityAh;
    const w = 1 / (s.chargeSigmaAh ** 2 + q0 * q0 * s.dSocSigma ** 2);
    const source = s.source ?? "rest";
    if (!this.sysNum.has(source)) this.sysNum.set(source, 0);
    for (const [k, v] of this.sysNum)
      this.sysNum.set(k, this.gamma * v + (k === source ? w * Math.abs(s.dSoc) * sys : 0));
    this.sysDen = this.gamma * this.sysDen + w * s.dSoc * s.dSoc;
    this.addRaw(s.dSoc, s.dSocSigma ** 2, s.chargeAh, s.chargeSigmaAh ** 2, true);
    this.solve();
  }

  private addRaw(x: number, vx: number, y: number, vy: number, forget: boolean): void {
    const g = forget ? this.gamma : 1;
    if (this.method === "awtls") {
      const q0 = this.capacityAh;
      const d = vy + q0 * q0 * vx;
      const a = 1 / d + (2 * q0 * q0 * vx) / (d * d);
      const b = (-2 * q0 * vx) / (d * d);
      this.c1 = g * this.c1 + a * x * x;
      this.c2 = g * this.c2 + a * x * y;
      this.c3 = g * this.c3 + a * y * y;
      this.c4 = g * this.c4 + b * x * x;
      this.c5 = g * this.c5 + b * x * y;
      this.c6 = g * this.c6 + b * y * y;
    } else {
      for (const k of this.kept) k.w *= g;
      this.kept.push({ x, y, vx, vy, w: 1 });
      // Keep the prior (index 0) and the newest samples.
      if (this.kept.length > this.maxSamples) this.kept.splice(1, 1);
    }
  }

  private solve(): void {
    if (this.method === "awtls") this.solveAwtls();
    else this.solveWtls();
    // Sources' shared errors are independent of each other: their shifts add in quadrature.
    let sum2 = 0;
    for (const v of this.sysNum.values()) sum2 += v * v;
    this.systematicSigmaAh = this.sysDen > 0 ? (this.capacityAh * Math.sqrt(sum2)) / this.sysDen : 0;
    this.sigmaAh = Math.hypot(this.randomSigmaAh, this.systematicSigmaAh);
  }

  /**
   * J(Q) = Σ(a + bQ)(y − Qx)² = C4·Q³ + (C1 − 2C5)·Q² + (C6 − 2C2)·Q + C3; J' = 0 is a quadratic. The root with
   * positive curvature nearest the previous estimate wins.
   */
  private solveAwtls(): void {
    const { c1, c2, c4, c5, c6 } = this;
    const qa = 3 * c4;
    const qb = 2 * (c1 - 2 * c5);
    const qc = c6 - 2 * c2;
    const curv = (q: number) => 6 * c4 * q + 2 * (c1 - 2 * c5);
    const roots: number[] = [];
    if (Math.abs(qa) < 1e-15 * Math.abs(qb)) roots.push(-qc / qb);
    else {
      const disc = qb * qb - 4 * qa * qc;
      if (disc >= 0) {
        const sq = Math.sqrt(disc);
        // Numerically stable pair of roots.
        const t = -0.5 * (qb + Math.sign(qb || 1) * sq);
        roots.push(t / qa, qc / t);
      }
    }
    let best = Number.NaN;
    for (const r of roots)
      if (
        r > 0 &&
        curv(r) > 0 &&
        (Number.isNaN(best) || Math.abs(r - this.capacityAh) < Math.abs(best - this.capacityAh))
      )
        best = r;
    if (Number.isNaN(best)) return;
    this.capacityAh = best;
    this.randomSigmaAh = Math.sqrt(2 / curv(best));
  }

  private cost(q: number): number {
    let j = 0;
    for (const s of this.kept) {
      const e = s.y - q * s.x;
      j += (s.w * e * e) / (s.vy + q * q * s.vx);
    }
    return j;
  }

  /** Golden-section search around the previous estimate, then the curvature for σ. */
  private solveWtls(): void {
    let a = 0.2 * this.capacityAh;
    let b = 3 * this.capacityAh;
    const r = (Math.sqrt(5) - 1) / 2;
    let c = b - r * (b - a);
    let d = a + r * (b - a);
    let fc = this.cost(c);
    let fd = this.cost(d);
    for (let it = 0; it < 120 && b - a > 1e-10 * this.capacityAh; it++) {
      if (fc < fd) {
        b = d;
        d = c;
        fd = fc;
        c = b - r * (b - a);
        fc = this.cost(c);
      } else {
        a = c;
        c = d;
        fc = fd;
        d = a + r * (b - a);
        fd = this.cost(d);
      }
    }
    const q = 0.5 * (a + b);
    const h = 1e-4 * q;
    const curv = (this.cost(q + h) - 2 * this.cost(q) + this.cost(q - h)) / (h * h);
    this.capacityAh = q;
    if (curv > 0) this.randomSigmaAh = Math.sqrt(2 / curv);
  }
}
