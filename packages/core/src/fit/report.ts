/**
 * The fit report: one self-contained HTML file with inline SVG plots (no scripts, no dependencies) of measured
 * against simulated voltage per validation file grouped by temperature, the same for the whole tests the tables
 * were refined on, the OCV per test temperature, the per-pulse fit quality, and the figures. Also the per-pulse fits as CSV.
 */
import { ocvAt } from "../cell/model.ts";
import type { CellModel } from "../cell/params.ts";
import { celsiusToKelvin, kelvinToCelsius } from "../units.ts";
import type { FitResult } from "./cell.ts";
import { type ValidationRun, validateAgainst } from "./validate.ts";

interface Line {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: string;
  label: string;
  dots?: boolean;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Indices that keep the shape of a long trace: first, min and max of each of `buckets` slices. */
function decimate(y: ArrayLike<number>, buckets: number): number[] {
  const n = y.length;
  if (n <= 3 * buckets) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const a = Math.floor((b * n) / buckets);
    const e = Math.floor(((b + 1) * n) / buckets);
    let lo = a;
    let hi = a;
    for (let i = a; i < e; i++) {
      if (y[i] < y[lo]) lo = i;
      if (y[i] > y[hi]) hi = i;
    }
    out.push(...[a, lo, hi].filter((v, i, arr) => arr.indexOf(v) === i).sort((p, q) => p - q));
  }
  return out;
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

export function svgPlot(
  title: string,
  xLabel: string,
  yLabel: string,
  lines: Line[],
  w = 820,
  h = 260,
): string {
  const m = { l: 60, r: 12, t: 24, b: 36 };
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const l of lines)
    for (let i = 0; i < l.x.length; i++) {
      if (!Number.isFinite(l.x[i]) || !Number.isFinite(l.y[i])) continue;
      x0 = Math.min(x0, l.x[i]);
      x1 = Math.max(x1, l.x[i]);
      y0 = Math.min(y0, l.y[i]);
      y1 = Math.max(y1, l.y[i]);
    }
  if (!(x1 > x0)) x1 = x0 + 1;
  if (!(y1 > y0)) y1 = y0 + 1;
  const pad = 0.04 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (w - m.l - m.r);
  const py = (y: number) => h - m.b - ((y - y0) / (y1 - y0)) * (h - m.t - m.b);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">`,
  ];
  parts.push(`<text x="${m.l}" y="15" font-weight="bold">${esc(title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${m.l}" x2="${w - m.r}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${m.l - 4}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1, 8))
    parts.push(`<text x="${px(t).toFixed(1)}" y="${h - m.b + 14}" text-anchor="middle">${t}</text>`);
  parts.push(
    `<rect x="${m.l}" y="${m.t}" width="${w - m.l - m.r}" height="${h - m.t - m.b}" fill="none" stroke="#888"/>`,
    `<text x="${(m.l + w - m.r) / 2}" y="${h - 4}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(12 ${(m.t + h - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  );
  lines.forEach((l, k) => {
    if (l.dots) {
      for (let i = 0; i < l.x.length; i++)
        parts.push(
          `<circle cx="${px(l.x[i]).toFixed(1)}" cy="${py(l.y[i]).toFixed(1)}" r="2" fill="${l.color}"/>`,
        );
    } else {
      const idx = decimate(l.y, 700);
      const d = idx
        .map((i, j) => `${j ? "L" : "M"}${px(l.x[i]).toFixed(1)} ${py(l.y[i]).toFixed(1)}`)
        .join("");
      parts.push(`<path d="${d}" fill="none" stroke="${l.color}" stroke-width="1"/>`);
    }
    parts.push(
      `<text x="${w - m.r - 4}" y="${m.t + 14 + 13 * k}" text-anchor="end" fill="${l.color}">${esc(l.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

export interface ReportInput {
  model: CellModel;
  fit: FitResult | null;
  validation: { name: string; run: ValidationRun }[];
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

export function fitReportHtml(r: ReportInput): string {
  const { model, fit } = r;
  const out: string[] = [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<title>coxswain fit report: ${esc(model.name)}</title>`,
    "<style>body{font-family:sans-serif;max-width:900px;margin:1em auto}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}h2{margin-top:1.5em}</style>",
    `</head><body><h1>${esc(model.name)}</h1>`,
    `<p>${esc(String(model.file.description ?? ""))} Capacity (SOC scale) ${model.capacityAh} Ah, ${model.rc.length} RC pair(s), hysteresis ${model.hysteresis ? `γ = ${model.hysteresis.gamma}` : "none"}.</p>`,
  ];

  if (r.validation.length) {
    out.push("<h2>Validation: measured against simulated voltage</h2>");
    out.push(
      "<table><tr><th>file</th><th>mean T [°C]</th><th>charge [Ah]</th><th>RMSE [mV]</th><th>max error [mV]</th><th>mean error [mV]</th></tr>",
    );
    const withT = r.validation.map((v) => {
      const t = v.run.simulation.tempK;
      let s = 0;
      for (const x of t) s += x;
      return { ...v, tempC: kelvinToCelsius(s / t.length) };
    });
    for (const v of withT) {
      const f = v.run.figures;
      out.push(
        `<tr><td style="text-align:left">${esc(v.name)}</td><td>${v.tempC.toFixed(1)}</td><td>${f.chargeAh.toFixed(3)}</td><td>${(f.rmseV * 1000).toFixed(1)}</td><td>${(f.maxErrV * 1000).toFixed(0)}</td><td>${(f.meanErrV * 1000).toFixed(1)}</td></tr>`,
      );
    }
    out.push("</table>");
    // One section per test temperature: the lowest cell temperature of a file (cells warm up while driving) to
    // the nearest 5 °C.
    const groups = new Map<number, typeof withT>();
    for (const v of withT) {
      let lowest = Number.POSITIVE_INFINITY;
      for (const x of v.run.simulation.tempK) lowest = Math.min(lowest, x);
      const key = Math.round(kelvinToCelsius(lowest) / 5) * 5;
      groups.set(key, [...(groups.get(key) ?? []), v]);
    }
    for (const [t, vs] of [...groups.entries()].sort((a, b) => b[0] - a[0])) {
      out.push(`<h3>${t} °C</h3>`);
      for (const v of vs) {
        const s = v.run.simulation;
        const hours = Array.from(s.timeS, (x) => (x - s.timeS[0]) / 3600);
        const measured = v.run.measuredV;
        const err = Array.from(s.voltageV, (x, i) => 1000 * (x - measured[i]));
        out.push(
          svgPlot(`${v.name}: voltage`, "time [h]", "V", [
            { x: hours, y: measured, color: "#000", label: "measured" },
            { x: hours, y: s.voltageV, color: "#d62728", label: "simulated" },
          ]),
          svgPlot(
            `${v.name}: error (simulated − measured)`,
            "time [h]",
            "mV",
            [
              {
                x: hours,
                y: err,
                color: "#1f77b4",
                label: `RMSE ${(v.run.figures.rmseV * 1000).toFixed(1)} mV`,
              },
            ],
            820,
            160,
          ),
        );
      }
    }
  }

  if (fit?.temperatures.some((t) => t.wholeTest)) {
    // The set against the tests it was identified from, each simulated whole as a validation file would be.
    out.push("<h2>The whole tests the tables were refined on</h2>");
    out.push(
      "<p>Open-loop with the measured current and cell temperature from the SOC of the first row; the set's RMSE here is per row, the refinement's score is time-weighted.</p>",
    );
    for (const t of fit.temperatures) {
      if (!t.wholeTest) continue;
      out.push(`<h3>${t.tempC} °C</h3>`);
      for (const tl of t.timelines) {
        const run = validateAgainst(model, tl, tl.initialSoc);
        const s = run.simulation;
        const hours = Array.from(s.timeS, (x) => (x - s.timeS[0]) / 3600);
        out.push(
          svgPlot(`${tl.source}: voltage`, "time [h]", "V", [
            { x: hours, y: tl.voltageV, color: "#000", label: "measured" },
            { x: hours, y: s.voltageV, color: "#d62728", label: "simulated" },
          ]),
          svgPlot(
            `${tl.source}: error (simulated − measured)`,
            "time [h]",
            "mV",
            [
              {
                x: hours,
                y: Array.from(s.voltageV, (x, i) => 1000 * (x - tl.voltageV[i])),
                color: "#1f77b4",
                label: `RMSE ${(run.figures.rmseV * 1000).toFixed(1)} mV`,
              },
            ],
            820,
            160,
          ),
        );
      }
    }
  }

  if (fit) {
    out.push("<h2>OCV per test temperature</h2>");
    const zs = Array.from({ length: 201 }, (_, i) => -0.05 + (1.05 * i) / 200);
    out.push(
      svgPlot(
        "OCV (model) and relaxed rest voltages (dots)",
        "SOC",
        "V",
        fit.temperatures.flatMap((t, k) => [
          {
            x: zs,
            y: zs.map((z) => ocvAt(model, z, celsiusToKelvin(t.tempC))),
            color: COLORS[k % 7],
            label: `${t.tempC} °C`,
          },
          {
            x: t.restPoints.map((p) => p.soc),
            y: t.restPoints.map((p) => p.voltageV),
            color: COLORS[k % 7],
            label: "",
            dots: true,
          },
        ]),
        820,
        320,
      ),
    );
    out.push("<h2>Pulse fits</h2>");
    out.push(
      svgPlot(
        "fit RMSE per pulse",
        "SOC at pulse start",
        "mV",
        fit.temperatures.map((t, k) => ({
          x: t.pulses.map((p) => p.soc),
          y: t.pulses.map((p) => p.rmsV * 1000),
          color: COLORS[k % 7],
          label: `${t.tempC} °C`,
          dots: true,
        })),
      ),
      svgPlot(
        "R0 per pulse",
        "SOC at pulse start",
        "mΩ",
        fit.temperatures.map((t, k) => ({
          x: t.pulses.map((p) => p.soc),
          y: t.pulses.map((p) => p.r0Ohm * 1000),
          color: COLORS[k % 7],
          label: `${t.tempC} °C`,
          dots: true,
        })),
      ),
    );
    out.push(`<p>Every pulse's parameters and fit quality are in pulses.csv next to this file.</p>`);
  }
  out.push("</body></html>\n");
  return out.join("\n");
}

/** Every pulse fit as CSV (one row per pulse). */
export function pulseFitsCsv(fit: FitResult): string {
  const n = Math.max(0, ...fit.temperatures.flatMap((t) => t.pulses.map((p) => p.rc.length)));
  const head = ["temp_C", "soc", "current_A", "duration_s", "r0_step_ohm", "r0_ohm"];
  for (let j = 1; j <= n; j++) head.push(`r${j}_ohm`, `tau${j}_s`);
  head.push("rms_mV", "max_err_mV", "points", "converged", "source");
  const lines = [head.join(",")];
  for (const t of fit.temperatures)
    for (const p of t.pulses) {
      const row: (string | number)[] = [
        t.tempC,
        p.soc.toFixed(4),
        p.currentA.toFixed(3),
        p.durationS.toFixed(2),
        p.r0StepOhm.toPrecision(5),
        p.r0Ohm.toPrecision(5),
      ];
      for (const rc of p.rc) row.push(rc.rOhm.toPrecision(5), rc.tauS.toPrecision(5));
      row.push(
        (p.rmsV * 1000).toFixed(3),
        (p.maxErrV * 1000).toFixed(3),
        p.points,
        p.converged ? 1 : 0,
        `"${p.source}"`,
      );
      lines.push(row.join(","));
    }
  return `${lines.join("\n")}\n`;
}
