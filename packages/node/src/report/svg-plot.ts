/** Line plots as inline SVG text, for reports that must open anywhere with no script and no network. */

export interface PlotSeries {
  label: string;
  colour: string;
  y: ArrayLike<number | null>;
  dashed?: boolean;
}

export interface PlotSpec {
  title: string;
  unit: string;
  /** Time axis, s. */
  x: ArrayLike<number>;
  series: PlotSeries[];
  width?: number;
  height?: number;
  /** At most this many x buckets are drawn (each keeps its minimum and maximum, so spikes survive). */
  maxBuckets?: number;
}

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/** Index ranges of equal-width x buckets, each with the indices of its minimum and maximum y. */
function decimate(x: ArrayLike<number>, y: ArrayLike<number | null>, buckets: number): number[] {
  const n = x.length;
  if (n <= 2 * buckets) return Array.from({ length: n }, (_, i) => i).filter((i) => y[i] !== null);
  const x0 = x[0];
  const w = (x[n - 1] - x0) / buckets || 1;
  const keep: number[] = [];
  let i = 0;
  while (i < n) {
    const b = Math.floor((x[i] - x0) / w);
    let lo = -1;
    let hi = -1;
    for (; i < n && Math.floor((x[i] - x0) / w) === b; i++) {
      const v = y[i];
      if (v === null || !Number.isFinite(v)) continue;
      if (lo < 0 || v < (y[lo] as number)) lo = i;
      if (hi < 0 || v > (y[hi] as number)) hi = i;
    }
    if (lo >= 0) keep.push(...(lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]));
  }
  return keep;
}

export function svgPlot(p: PlotSpec): string {
  const width = p.width ?? 860;
  const height = p.height ?? 240;
  const m = { left: 64, right: 16, top: 28, bottom: 40 };
  const n = p.x.length;
  let yLo = Number.POSITIVE_INFINITY;
  let yHi = Number.NEGATIVE_INFINITY;
  for (const s of p.series)
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i];
      if (v === null || !Number.isFinite(v)) continue;
      yLo = Math.min(yLo, v);
      yHi = Math.max(yHi, v);
    }
  const title = `<text x="${m.left}" y="18" class="title">${escapeHtml(p.title)} (${escapeHtml(p.unit)})</text>`;
  if (n < 2 || !Number.isFinite(yLo)) {
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${title}<text x="${m.left}" y="${height / 2}">no data</text></svg>`;
  }
  if (yHi - yLo < 1e-9 * Math.max(1, Math.abs(yHi))) {
    yLo -= 0.5;
    yHi += 0.5;
  }
  const yTicks = niceTicks(yLo, yHi);
  yLo = Math.min(yLo, yTicks[0]);
  yHi = Math.max(yHi, yTicks[yTicks.length - 1]);
  const x0 = p.x[0];
  const x1 = p.x[n - 1];
  const px = (x: number) => m.left + ((x - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  const py = (y: number) => height - m.bottom - ((y - yLo) / (yHi - yLo)) * (height - m.top - m.bottom);
  const parts: string[] = [title];
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y}" y2="${y}" class="grid"/>`,
      `<text x="${m.left - 6}" y="${y}" class="ytick">${t}</text>`,
    );
  }
  // Time ticks on round minutes, or round hours for long runs.
  const [unitS, unitName] = x1 - x0 > 3 * 3600 ? [3600, "h"] : [60, "min"];
  for (const t of niceTicks(x0 / unitS, x1 / unitS, 8)) {
    parts.push(
      `<text x="${px(t * unitS).toFixed(1)}" y="${height - m.bottom + 16}" class="xtick">${t} ${unitName}</text>`,
    );
  }
  const buckets = p.maxBuckets ?? 800;
  p.series.forEach((s, k) => {
    const idx = decimate(p.x, s.y, buckets);
    const pts = idx.map((i) => `${px(p.x[i]).toFixed(1)},${py(s.y[i] as number).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${s.colour}" stroke-width="1.4"${s.dashed ? ' stroke-dasharray="6 4"' : ""}><title>${escapeHtml(s.label)}</title></polyline>`,
      `<text x="${m.left + 10 + k * 170}" y="${height - 6}" fill="${s.colour}" class="legend">— ${escapeHtml(s.label)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>`;
}
