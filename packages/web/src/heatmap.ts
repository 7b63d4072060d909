/**
 * Heat maps of one value per series group, drawn on a canvas (hundreds of tiles at 10 updates per second
 * would be too many DOM nodes). Each map scales its colours to the spread it shows, so a 5 mV imbalance is as
 * visible as a 500 mV one; the legend says what the colours span.
 */

/** Viridis-like stops, dark (low) to bright (high). */
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function colour(fraction: number): string {
  const x = Math.min(1, Math.max(0, fraction)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return `rgb(${Math.round(a[0] + (b[0] - a[0]) * f)},${Math.round(a[1] + (b[1] - a[1]) * f)},${Math.round(a[2] + (b[2] - a[2]) * f)})`;
}

export interface HeatMapSpec {
  title: string;
  /** Converts an SI value to what is shown (e.g. K → °C). */
  display: (v: number) => number;
  unit: string;
  digits: number;
  /** The smallest colour span, in display units (so noise does not look like a gradient). */
  minSpan: number;
}

export class HeatMap {
  readonly canvas: HTMLCanvasElement;
  readonly legend: HTMLElement;
  private values: (number | null)[] = [];
  private marks: number[] = [];
  private columns = 1;

  constructor(
    parent: HTMLElement,
    readonly spec: HeatMapSpec,
  ) {
    const box = document.createElement("div");
    box.className = "heatmap";
    const h = document.createElement("h3");
    h.textContent = spec.title;
    this.canvas = document.createElement("canvas");
    this.legend = document.createElement("div");
    this.legend.className = "legend";
    box.append(h, this.canvas, this.legend);
    parent.append(box);
    this.canvas.addEventListener("mousemove", (e) => {
      const g = this.groupAt(e.offsetX, e.offsetY);
      const v = g === undefined ? undefined : this.values[g];
      this.canvas.title =
        g === undefined
          ? ""
          : `group ${g}: ${v === null || v === undefined ? "unknown" : `${spec.display(v).toFixed(spec.digits)} ${spec.unit}`}`;
    });
  }

  private tileSize(): number {
    return this.canvas.clientWidth / this.columns;
  }

  groupAt(x: number, y: number): number | undefined {
    const s = this.tileSize();
    const g = Math.floor(y / s) * this.columns + Math.floor(x / s);
    return g >= 0 && g < this.values.length && x >= 0 ? g : undefined;
  }

  /** Draws values (SI, one per group); `marks` (1 per group) get a white dot, e.g. groups that are bleeding. */
  draw(values: (number | null)[], marks?: number[]): void {
    this.values = values;
    this.marks = marks ?? [];
    const n = values.length;
    if (n === 0) return;
    const width = this.canvas.clientWidth || 300;
    this.columns = Math.min(n, Math.max(1, Math.round(Math.sqrt(n * 4))));
    const rows = Math.ceil(n / this.columns);
    const size = width / this.columns;
    const dpr = window.devicePixelRatio || 1;
    const height = Math.ceil(rows * size);
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.canvas.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of values) {
      if (v === null) continue;
      const d = this.spec.display(v);
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
    if (hi - lo < this.spec.minSpan) {
      const mid = (hi + lo) / 2;
      lo = mid - this.spec.minSpan / 2;
      hi = mid + this.spec.minSpan / 2;
    }
    for (let g = 0; g < n; g++) {
      const v = values[g];
      const x = (g % this.columns) * size;
      const y = Math.floor(g / this.columns) * size;
      ctx.fillStyle = v === null ? "#555" : colour((this.spec.display(v) - lo) / (hi - lo));
      ctx.fillRect(x + 0.5, y + 0.5, size - 1, size - 1);
      if (this.marks[g]) {
        ctx.fillStyle = "#fff";
        ctx.beginPath();
        ctx.arc(x + size / 2, y + size / 2, Math.max(1.5, size / 6), 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    const f = (d: number) => `${d.toFixed(this.spec.digits)} ${this.spec.unit}`;
    this.legend.textContent = Number.isFinite(lo) ? `${f(lo)} … ${f(hi)}` : "no data";
  }
}
