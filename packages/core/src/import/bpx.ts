/**
 * Importer for BPX (Battery Parameter eXchange) JSON files: the legacy layout v0.1–0.5 of the BPX examples, and
 * the v1.x layout (State block, OCP branches per electrode) where it differs.
 *
 * BPX describes a physics model (DFN / SPM): electrode OCPs (numbers, Python expression strings or x/y tables),
 * stoichiometry windows, geometry, transport and kinetics. From it this importer derives an equivalent-circuit set:
 *
 *  - OCV(SOC) = U_pos(y(SOC)) − U_neg(x(SOC)), with x = x_min + SOC·(x_max − x_min) for the negative electrode and
 *    y = y_max − SOC·(y_max − y_min) for the positive (BPX's minimum/maximum stoichiometries are the 0 % / 100 %
 *    SOC end points of each electrode's window).
 *  - dU/dT(SOC) = dU_pos/dT(y) − dU_neg/dT(x) from the electrodes' entropic change coefficients.
 *  - R0(SOC) is an ESTIMATE (BPX has no ECM resistances): contact resistance (if given) + electrolyte ionic
 *    resistance (separator L/κ_eff, each electrode L/(3·κ_eff), the low-frequency limit of a transmission line) +
 *    solid-phase L/(3σ) + linearised Butler–Volmer charge transfer RT/(F·j0·a·L·A) with
 *    j0 = F·k·sqrt((c_e/c_e0)·θ·(1−θ)) at the electrode's stoichiometry θ(SOC).
 *  - One RC pair per electrode for solid diffusion (also an estimate): R_d = |dU/dθ|·R_p / (5·D·c_max·F·a·L·A)
 *    (the quasi-steady parabolic concentration profile in a sphere) with τ = R_p² / (35·D) (the first-order
 *    term of the spherical diffusion impedance).
 *  - The Arrhenius activation energy is the resistance-weighted mean of the terms' activation energies at 50 % SOC.
 *  - Thermal: heat capacity = specific heat × density × volume (95 % in the cell node, 5 % in the case node);
 *    cell-to-case conductance k·A_ext²/V (conduction over the volume-to-surface length); case-to-ambient
 *    h·A_ext with h = 10 W/(m²·K) (natural convection, assumed).
 *  - User-defined lithiation / delithiation OCPs (0th-order hysteresis) map to the instantaneous hysteresis M0
 *    (half the branch gap, dynamic M = 0); the mean of the branches is the OCP.
 * Each estimate and assumption is written into the set's `provenance`.
 */

import type { CellParamsFile } from "../cell/params.ts";
import { compileCellParams, parseCellParams } from "../cell/params.ts";
import { simulateCell } from "../cell/simulate.ts";
import { interp1 } from "../math/interp.ts";
import { type Issue, ValidationError } from "../schema.ts";
import { FARADAY, GAS_CONSTANT, kelvinToCelsius } from "../units.ts";
import { sig } from "./common.ts";
import { compileExpression } from "./expr.ts";

export interface BpxOptions {
  name: string;
  /** Replace the estimated R0 by this constant, Ω. */
  r0Ohm?: number;
  /** Charge and discharge current limits as C-rates (BPX has none; defaults 1 C and 3 C, assumed). */
  chargeCRate?: number;
  dischargeCRate?: number;
  /** Case-to-ambient heat transfer coefficient, W/(m²·K) (default 10: natural convection). */
  heatTransferWperM2K?: number;
  /** Points of the SOC grid (default 101). */
  socPoints?: number;
}

type Fn = (x: number) => number;
type Obj = Record<string, unknown>;

/** Field access with errors that name the BPX path, the value and what was expected. */
class Reader {
  constructor(readonly source: string) {}

  fail(path: string, value: unknown, expected: string): never {
    throw new ValidationError(this.source, [{ path, value, expected } satisfies Issue]);
  }

  obj(o: Obj, key: string, path: string): Obj {
    const v = o[key];
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(`${path}.${key}`, v, "an object");
    return v as Obj;
  }

  num(o: Obj, key: string, path: string, range: { gt?: number; min?: number; max?: number } = {}): number {
    const v = o[key];
    const ok =
      typeof v === "number" &&
      Number.isFinite(v) &&
      (range.gt === undefined || v > range.gt) &&
      (range.min === undefined || v >= range.min) &&
      (range.max === undefined || v <= range.max);
    if (!ok) {
      const parts = [
        range.gt !== undefined ? `> ${range.gt}` : "",
        range.min !== undefined ? `>= ${range.min}` : "",
        range.max !== undefined ? `<= ${range.max}` : "",
      ].filter(Boolean);
      this.fail(`${path}.${key}`, v, `a finite number${parts.length ? ` ${parts.join(" and ")}` : ""}`);
    }
    return v as number;
  }

  /** A BPX function of one variable x: a number, an expression string, or an {x, y} table. */
  fn(o: Obj, key: string, path: string): Fn {
    const v = o[key];
    const where = `${path}.${key}`;
    if (typeof v === "number" && Number.isFinite(v)) return () => v;
    if (typeof v === "string") {
      let f: ReturnType<typeof compileExpression>;
      try {
        f = compileExpression(v, ["x"]);
      } catch (e) {
        return this.fail(where, v, `an expression in x: ${(e as Error).message}`);
      }
      const args = [0];
      return (x) => {
        args[0] = x;
        return f(args);
      };
    }
    if (typeof v === "object" && v !== null && "x" in v && "y" in v) {
      const t = v as { x: unknown; y: unknown };
      const xs = t.x;
      const ys = t.y;
      if (
        !Array.isArray(xs) ||
        !Array.isArray(ys) ||
        xs.length !== ys.length ||
        xs.length < 2 ||
        ![...xs, ...ys].every((n) => typeof n === "number" && Number.isFinite(n))
      )
        this.fail(where, v, "a table {x: [...], y: [...]} of equal-length finite number arrays");
      const pts = (xs as number[]).map((x, i) => [x, (ys as number[])[i]]).sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < pts.length; i++)
        if (pts[i][0] === pts[i - 1][0]) this.fail(`${where}.x`, pts[i][0], "distinct x values");
      const px = pts.map((p) => p[0]);
      const py = pts.map((p) => p[1]);
      return (x) => interp1(px, py, x);
    }
    return this.fail(where, v, "a number, an expression string in x, or an {x, y} table");
  }
}

interface Electrode {
  name: "negative" | "positive";
  /** OCP (mean of the hysteresis branches when there are two). */
  ocp: Fn;
  /** Half the gap between the branches (0 without hysteresis), V. */
  halfGap: Fn | null;
  dUdT: Fn;
  stoMin: number;
  stoMax: number;
  /** Stoichiometry at SOC z. */
  sto: (z: number) => number;
  // Transport and kinetics (undefined when the model file leaves them out, e.g. an SPM has no electrolyte).
  thickness: number;
  area: number; // surface area per unit volume, 1/m
  radius: number;
  diffusivity: number;
  cMax: number;
  k: number;
  conductivity?: number;
  transportEfficiency?: number;
  eaDiffusion: number;
  eaReaction: number;
}

function readElectrode(
  r: Reader,
  p: Obj,
  key: "Negative electrode" | "Positive electrode",
  user: Obj | null,
): Electrode {
  const path = `Parameterisation.${key}`;
  let e = r.obj(p, key, "Parameterisation");
  let ePath = path;
  // Blended electrode: several particle populations; supported when they share the OCP and window.
  if (typeof e.Particle === "object" && e.Particle !== null) {
    const particles = Object.entries(e.Particle as Obj);
    if (particles.length === 0) r.fail(`${path}.Particle`, e.Particle, "at least one particle population");
    const first = particles[0][1] as Obj;
    for (const [name, q] of particles.slice(1)) {
      const o = q as Obj;
      for (const f of ["OCP [V]", "Minimum stoichiometry", "Maximum stoichiometry"])
        if (JSON.stringify(o[f]) !== JSON.stringify(first[f]))
          r.fail(
            `${path}.Particle.${name}.${f}`,
            o[f],
            `the same value as in "${particles[0][0]}" (blended electrodes with different OCPs or windows are not supported)`,
          );
    }
    // Geometry from the electrode, particle properties from the first population; surface areas add up.
    const area = particles.reduce(
      (s, [name, q]) =>
        s + r.num(q as Obj, "Surface area per unit volume [m-1]", `${path}.Particle.${name}`, { gt: 0 }),
      0,
    );
    e = { ...first, ...e, "Surface area per unit volume [m-1]": area };
    ePath = `${path}.Particle.${particles[0][0]}`;
  }
  // Two OCP branches: legacy files put them in User-defined, v1.x files in the electrode (or particle).
  const side = key === "Negative electrode" ? "Negative" : "Positive";
  const branches: [Obj, string, string, string] | null =
    e["OCP (lithiation) [V]"] !== undefined || e["OCP (delithiation) [V]"] !== undefined
      ? [e, "OCP (lithiation) [V]", "OCP (delithiation) [V]", ePath]
      : user?.[`${side} electrode lithiation OCP [V]`] !== undefined ||
          user?.[`${side} electrode delithiation OCP [V]`] !== undefined
        ? [
            user as Obj,
            `${side} electrode lithiation OCP [V]`,
            `${side} electrode delithiation OCP [V]`,
            "Parameterisation.User-defined",
          ]
        : null;
  let ocp: Fn;
  let halfGap: Fn | null = null;
  if (branches) {
    const [src, lithKey, delithKey, at] = branches;
    const a = r.fn(src, lithKey, at);
    const b = r.fn(src, delithKey, at);
    ocp = (x) => 0.5 * (a(x) + b(x));
    halfGap = (x) => 0.5 * Math.abs(a(x) - b(x));
  } else ocp = r.fn(e, "OCP [V]", ePath);
  const stoMin = r.num(e, "Minimum stoichiometry", ePath, { min: 0, max: 1 });
  const stoMax = r.num(e, "Maximum stoichiometry", ePath, { min: 0, max: 1 });
  if (!(stoMax > stoMin))
    r.fail(`${ePath}.Maximum stoichiometry`, stoMax, `a value above the minimum (${stoMin})`);
  const optional = (k: string, range: { gt?: number; min?: number } = { gt: 0 }, at = path) =>
    e[k] === undefined ? undefined : r.num(e, k, at, range);
  return {
    name: key === "Negative electrode" ? "negative" : "positive",
    ocp,
    halfGap,
    dUdT:
      e["Entropic change coefficient [V.K-1]"] === undefined
        ? () => 0
        : r.fn(e, "Entropic change coefficient [V.K-1]", ePath),
    stoMin,
    stoMax,
    sto:
      key === "Negative electrode"
        ? (z) => stoMin + z * (stoMax - stoMin)
        : (z) => stoMax - z * (stoMax - stoMin),
    thickness: r.num(e, "Thickness [m]", path, { gt: 0 }),
    area: r.num(e, "Surface area per unit volume [m-1]", ePath, { gt: 0 }),
    radius: r.num(e, "Particle radius [m]", ePath, { gt: 0 }),
    diffusivity: r.num(e, "Diffusivity [m2.s-1]", ePath, { gt: 0 }),
    cMax: r.num(e, "Maximum concentration [mol.m-3]", ePath, { gt: 0 }),
    k: r.num(e, "Reaction rate constant [mol.m-2.s-1]", ePath, { gt: 0 }),
    conductivity: optional("Conductivity [S.m-1]"),
    transportEfficiency: optional("Transport efficiency"),
    eaDiffusion: optional("Diffusivity activation energy [J.mol-1]", { min: 0 }, ePath) ?? 0,
    eaReaction: optional("Reaction rate constant activation energy [J.mol-1]", { min: 0 }, ePath) ?? 0,
  };
}

/** |dU/dθ| by a central difference inside the window. */
function ocpSlope(e: Electrode, theta: number): number {
  const h = 1e-4;
  const lo = Math.max(e.stoMin, theta - h);
  const hi = Math.min(e.stoMax, theta + h);
  return Math.abs((e.ocp(hi) - e.ocp(lo)) / (hi - lo));
}

/** Builds a validated coxswain parameter set from a parsed BPX document. */
export function importBpx(doc: unknown, o: BpxOptions, source = "BPX file"): CellParamsFile {
  const r = new Reader(source);
  if (typeof doc !== "object" || doc === null) r.fail("", doc, "a BPX JSON object");
  const root = doc as Obj;
  const header = r.obj(root, "Header", "");
  const version = String(header.BPX ?? "");
  if (!/^(0\.[0-5]|1\.\d+)(\.|$)/.test(version))
    r.fail("Header.BPX", header.BPX, 'a BPX version "0.1"…"0.5" (legacy layout) or "1.x"');
  // v1.x moved the initial electrolyte concentration to State and the thermal conductivity to User-defined.
  const state = root.State === undefined ? null : r.obj(root, "State", "");
  const initial = state?.["Initial conditions"] as Obj | undefined;
  const p = r.obj(root, "Parameterisation", "");
  const cell = r.obj(p, "Cell", "Parameterisation");
  const cp = "Parameterisation.Cell";
  const user = p["User-defined"] === undefined ? null : r.obj(p, "User-defined", "Parameterisation");
  const neg = readElectrode(r, p, "Negative electrode", user);
  const pos = readElectrode(r, p, "Positive electrode", user);

  const capacityAh = r.num(cell, "Nominal cell capacity [A.h]", cp, { gt: 0 });
  const vMin = r.num(cell, "Lower voltage cut-off [V]", cp, { gt: 0 });
  const vMax = r.num(cell, "Upper voltage cut-off [V]", cp, { gt: vMin });
  const tRefK = r.num(cell, "Reference temperature [K]", cp, { gt: 0 });
  const areaM2 =
    r.num(cell, "Electrode area [m2]", cp, { gt: 0 }) *
    r.num(cell, "Number of electrode pairs connected in parallel to make a cell", cp, { gt: 0 });
  const contactOhm =
    cell["Contact resistance [Ohm]"] === undefined
      ? 0
      : r.num(cell, "Contact resistance [Ohm]", cp, { min: 0 });

  // Electrolyte (absent in single-particle files).
  const el = p.Electrolyte === undefined ? null : r.obj(p, "Electrolyte", "Parameterisation");
  let electrolyteOhm = 0;
  let eaElectrolyte = 0;
  if (el) {
    const c0 =
      el["Initial concentration [mol.m-3]"] !== undefined
        ? r.num(el, "Initial concentration [mol.m-3]", "Parameterisation.Electrolyte", { gt: 0 })
        : initial?.["Initial electrolyte concentration [mol.m-3]"] !== undefined
          ? r.num(initial, "Initial electrolyte concentration [mol.m-3]", "State.Initial conditions", {
              gt: 0,
            })
          : 1000; // the usual 1 M electrolyte when a v1.x file leaves it to the simulator
    const kappa = r.fn(el, "Conductivity [S.m-1]", "Parameterisation.Electrolyte")(c0);
    if (!(kappa > 0))
      r.fail(
        "Parameterisation.Electrolyte.Conductivity [S.m-1]",
        kappa,
        `a positive conductivity at ${c0} mol/m³`,
      );
    eaElectrolyte =
      el["Conductivity activation energy [J.mol-1]"] === undefined
        ? 0
        : r.num(el, "Conductivity activation energy [J.mol-1]", "Parameterisation.Electrolyte", { min: 0 });
    const sep = r.obj(p, "Separator", "Parameterisation");
    const sepL = r.num(sep, "Thickness [m]", "Parameterisation.Separator", { gt: 0 });
    const sepB = r.num(sep, "Transport efficiency", "Parameterisation.Separator", { gt: 0 });
    electrolyteOhm = sepL / (kappa * sepB);
    for (const e of [neg, pos]) {
      const b =
        e.transportEfficiency ??
        r.fail(
          `Parameterisation.${e.name === "negative" ? "Negative" : "Positive"} electrode.Transport efficiency`,
          undefined,
          "a number > 0 (the file has an electrolyte)",
        );
      electrolyteOhm += e.thickness / (3 * kappa * b);
    }
    electrolyteOhm /= areaM2;
  }
  const solidOhm =
    [neg, pos].reduce((s, e) => s + (e.conductivity ? e.thickness / (3 * e.conductivity) : 0), 0) / areaM2;

  const rtf = (GAS_CONSTANT * tRefK) / FARADAY;
  const chargeTransfer = (e: Electrode, z: number) => {
    const th = e.sto(z);
    const j0 = FARADAY * e.k * Math.sqrt(Math.max(th * (1 - th), 1e-6));
    return rtf / (j0 * e.area * e.thickness * areaM2);
  };
  const diffusion = (e: Electrode, z: number) =>
    (ocpSlope(e, e.sto(z)) * e.radius) /
    (5 * e.diffusivity * e.cMax * FARADAY * e.area * e.thickness * areaM2);
  const tau = (e: Electrode) => (e.radius * e.radius) / (35 * e.diffusivity);

  const n = o.socPoints ?? 101;
  const soc = Array.from({ length: n }, (_, i) => sig(i / (n - 1), 9));
  const ocvAt = (z: number) => pos.ocp(pos.sto(z)) - neg.ocp(neg.sto(z));
  const ocv = soc.map((z) => sig(ocvAt(z)));
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(ocv[i]))
      r.fail(
        "Parameterisation",
        `OCV ${ocv[i]} at SOC ${soc[i]}`,
        "electrode OCPs that are finite inside the stoichiometry windows",
      );
  for (let i = 1; i < n; i++)
    if (ocv[i] < ocv[i - 1])
      r.fail(
        "Parameterisation",
        `OCV ${ocv[i]} V at SOC ${soc[i]} after ${ocv[i - 1]} V`,
        "electrode OCPs whose full-cell OCV rises with SOC",
      );
  const dUdT = soc.map((z) => sig(pos.dUdT(pos.sto(z)) - neg.dUdT(neg.sto(z))));
  const fixed = contactOhm + electrolyteOhm + solidOhm;
  const r0 = soc.map((z) => sig(o.r0Ohm ?? fixed + chargeTransfer(neg, z) + chargeTransfer(pos, z)));
  const rc = [neg, pos].map((e) => {
    const t = tau(e);
    // Flat OCPs (LFP) give a vanishing diffusion resistance; the floor keeps C = τ/R within the format's range.
    const rd = soc.map((z) => Math.max(diffusion(e, z), t * 1e-9));
    return { rOhm: { soc, values: rd.map((v) => sig(v)) }, cF: { soc, values: rd.map((v) => sig(t / v)) } };
  });

  // Activation energy: terms weighted by their share of the resistance at 50 % SOC.
  const terms: [number, number][] = [
    [electrolyteOhm, eaElectrolyte],
    [chargeTransfer(neg, 0.5), neg.eaReaction],
    [chargeTransfer(pos, 0.5), pos.eaReaction],
    [diffusion(neg, 0.5), neg.eaDiffusion],
    [diffusion(pos, 0.5), pos.eaDiffusion],
  ];
  const rSum = terms.reduce((s, [x]) => s + x, 0);
  const ea = rSum > 0 ? sig(terms.reduce((s, [x, a]) => s + x * a, 0) / rSum, 4) : 0;

  const hysteresisGap = (e: Electrode) => (e.halfGap ? (z: number) => e.halfGap!(e.sto(z)) : () => 0);
  const gapNeg = hysteresisGap(neg);
  const gapPos = hysteresisGap(pos);
  const hasHysteresis = neg.halfGap !== null || pos.halfGap !== null;

  const volume = r.num(cell, "Volume [m3]", cp, { gt: 0 });
  const massKg = r.num(cell, "Density [kg.m-3]", cp, { gt: 0 }) * volume;
  const heatCapacity = r.num(cell, "Specific heat capacity [J.K-1.kg-1]", cp, { gt: 0 }) * massKg;
  const extArea = r.num(cell, "External surface area [m2]", cp, { gt: 0 });
  // Nominal voltage: the mean OCV over SOC (energy / capacity), trapezoidal on the SOC grid.
  let meanOcv = 0;
  for (let i = 1; i < n; i++) meanOcv += 0.5 * (ocv[i] + ocv[i - 1]) * (soc[i] - soc[i - 1]);
  const kKey = "Thermal conductivity [W.m-1.K-1]";
  const conductivity =
    cell[kKey] !== undefined
      ? r.num(cell, kKey, cp, { gt: 0 })
      : user?.[kKey] !== undefined
        ? r.num(user, kKey, "Parameterisation.User-defined", { gt: 0 })
        : 1; // assumed lumped conductivity of a cell stack when the file gives none
  const h = o.heatTransferWperM2K ?? 10;
  const chargeC = o.chargeCRate ?? 1;
  const dischargeC = o.dischargeCRate ?? 3;
  const sampleCurve = (e: Electrode) => {
    const sto = Array.from({ length: 101 }, (_, i) => sig(e.stoMin + (i / 100) * (e.stoMax - e.stoMin), 9));
    return {
      ocp: { sto, voltageV: sto.map((x) => sig(e.ocp(x))) },
      stoAtSoc0: e.sto(0),
      stoAtSoc1: e.sto(1),
    };
  };
  const title = typeof header.Title === "string" ? header.Title : "";
  const file = {
    format: "coxswain-cell/1",
    name: o.name,
    description: title ? `from BPX: ${title}` : "imported from a BPX file",
    provenance: {
      importer: "coxswain import bpx",
      source: `BPX ${version} (${typeof header.Model === "string" ? header.Model : "model not stated"})${title ? `: ${title}` : ""}`,
      sourceDescription: typeof header.Description === "string" ? header.Description : "",
      ocv: "OCV(SOC) = U_pos(y) − U_neg(x) over the electrodes' stoichiometry windows (BPX minimum/maximum stoichiometry = the SOC 0/1 end points)",
      dUdT: "dU_pos/dT(y) − dU_neg/dT(x) from the electrodes' entropic change coefficients",
      resistances:
        o.r0Ohm !== undefined
          ? `ESTIMATE: R0 = ${o.r0Ohm} Ω given on the command line; RC pairs estimated as below`
          : `ESTIMATE, not measured (BPX carries no ECM resistances): R0(SOC) = contact ${sig(contactOhm)} Ω + electrolyte ${sig(electrolyteOhm)} Ω (separator L/κ_eff, electrodes L/(3κ_eff)) + solid ${sig(solidOhm)} Ω (L/(3σ)) + linearised Butler–Volmer charge transfer RT/(F·j0·a·L·A) of both electrodes, j0 = F·k·sqrt(θ(1−θ)) at c_e = c_e0`,
      rcPairs: `ESTIMATE: one pair per electrode (negative, positive) for solid diffusion, R = |dU/dθ|·R_p/(5·D·c_max·F·a·L·A), τ = R_p²/(35·D) = ${sig(tau(neg), 4)} s and ${sig(tau(pos), 4)} s`,
      arrhenius: "resistance-weighted mean of the activation energies of the terms at 50 % SOC",
      nominal: "mass = density × volume; nominal voltage = mean OCV over SOC",
      thermal: `heat capacity ${sig(heatCapacity, 4)} J/K = specific heat × density × volume, 95 % cell node / 5 % case node; cell-to-case k·A²/V; case-to-ambient ${h} W/(m²·K) × external area (assumed)`,
      limits: `voltage from the BPX cut-offs; current limits ${chargeC} C charge / ${dischargeC} C discharge and temperature limits 0…45 °C charge, −20…60 °C discharge are ASSUMED (not in BPX)`,
      hysteresis: hasHysteresis
        ? "lithiation/delithiation OCP branches (0th order; a v1.x hysteresis decay constant is dropped): their mean is the OCP, half their gap (absolute, per SOC) the instantaneous hysteresis M0 (0th order: dynamic M = 0); the branch with the higher negative-electrode potential is taken as the discharge branch"
        : "none",
      dropped:
        "electrolyte diffusivity and transference, particle-size distributions; the Validation section only feeds the set's `validation` figures",
    },
    capacityAh,
    nominalVoltageV: sig(meanOcv, 4),
    massKg: sig(massKg, 4),
    referenceTempC: sig(kelvinToCelsius(tRefK), 9),
    coulombicEfficiency: 1,
    ocv: { soc, voltageV: ocv },
    dUdT_VperK: { soc, values: dUdT },
    r0Ohm: { soc, values: r0 },
    rc,
    arrheniusEaJperMol: ea,
    ...(hasHysteresis
      ? { hysteresis: { mV: 0, m0V: { soc, values: soc.map((z) => sig(gapNeg(z) + gapPos(z))) }, gamma: 0 } }
      : {}),
    thermal: {
      cellHeatCapacityJperK: sig(0.95 * heatCapacity),
      caseHeatCapacityJperK: sig(0.05 * heatCapacity),
      cellToCaseWperK: sig((conductivity * extArea * extArea) / volume),
      caseToAmbientWperK: sig(h * extArea),
    },
    limits: {
      voltageMinV: vMin,
      voltageMaxV: vMax,
      chargeCurrentMaxA: sig(chargeC * capacityAh),
      dischargeCurrentMaxA: sig(dischargeC * capacityAh),
      chargeTempMinC: 0,
      chargeTempMaxC: 45,
      dischargeTempMinC: -20,
      dischargeTempMaxC: 60,
    },
    anode: sampleCurve(neg),
    cathode: sampleCurve(pos),
  };
  const set = parseCellParams(file, `parameter set imported from ${source}`);
  const validation = validateAgainstBpx(set, root.Validation, tRefK);
  return validation ? { ...set, validation } : set;
}

/**
 * Runs the derived set over each experiment in the BPX file's `Validation` section (the physics model's own
 * predictions, current negative on discharge as in coxswain) and reports the voltage error. The start SOC is the
 * OCV inverse of the first voltage (a rested cell); row 0 carries no current (a step of zero length). Rows after
 * the simulated SOC falls below 5 % are left out: there the diffusion-limited end of discharge, which an ECM does
 * not capture, dominates.
 */
function validateAgainstBpx(set: CellParamsFile, section: unknown, tRefK: number) {
  if (typeof section !== "object" || section === null) return undefined;
  const model = compileCellParams(set);
  const ocvZ = set.ocv.soc;
  const ocvV = set.ocv.voltageV as number[];
  const out: Record<string, unknown> = {};
  for (const [name, exp] of Object.entries(section as Obj)) {
    const e = exp as Obj;
    const t = e["Time [s]"];
    const i = e["Current [A]"];
    const v = e["Voltage [V]"];
    if (!Array.isArray(t) || !Array.isArray(i) || !Array.isArray(v) || t.length < 2) continue;
    const z0 = Math.min(1, Math.max(0, interp1(ocvV, ocvZ, v[0] as number)));
    const r = simulateCell(
      model,
      { timeS: t as number[], currentA: (i as number[]).map((x, k) => (k === 0 ? 0 : x)) },
      { initialSoc: z0, initialTempK: tRefK, ambientK: tRefK },
    );
    let se = 0;
    let max = 0;
    let n = 0;
    for (let k = 1; k < t.length; k++) {
      if (r.soc[k] < 0.05) continue;
      const err = r.voltageV[k] - (v[k] as number);
      se += err * err;
      max = Math.max(max, Math.abs(err));
      n++;
    }
    if (n > 0)
      out[`BPX validation "${name}"`] = {
        voltageRmseV: sig(Math.sqrt(se / n), 3),
        voltageMaxErrorV: sig(max, 3),
        points: n,
        method:
          "simulated from the OCV-inverse SOC of the first voltage; rows with simulated SOC < 5 % left out",
      };
  }
  return Object.keys(out).length ? out : undefined;
}
