/** Time-series plots (uPlot) over a rolling window of frames. */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface SeriesSpec {
  label: string;
  colour: string;
  /** "y" (left axis) or "y2" (right axis). */
  scale?: string;
  dash?: number[];
}

export interface PlotSpec {
  title: string;
  unit: string;
  series: SeriesSpec[];
  /** Unit of the right axis, if any series uses it. */
  unit2?: string;
}

function clockLabel(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0
    ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`
    : `${m}:${String(sec).padStart(2, "0")}`;
}

/** A plot with its own ring of points; `push` adds one x and one value per series, `redraw` shows them. */
export class RollingPlot {
  private readonly plot: uPlot;
  private readonly columns: number[][];
  private dirty = false;

  constructor(
    parent: HTMLElement,
    readonly spec: PlotSpec,
    private readonly capacity = 3000,
  ) {
    const box = document.createElement("div");
    box.className = "plot";
    parent.append(box);
    this.columns = [[], ...spec.series.map(() => [])];
    const width = Math.max(280, box.clientWidth || 420);
    const axes: uPlot.Axis[] = [
      { stroke: "#aaa", grid: { stroke: "#333" }, values: (_u, ticks) => ticks.map(clockLabel) },
      { stroke: "#aaa", grid: { stroke: "#333" }, label: spec.unit, size: 60 },
    ];
    if (spec.unit2)
      axes.push({ scale: "y2", side: 1, stroke: "#aaa", grid: { show: false }, label: spec.unit2, size: 60 });
    this.plot = new uPlot(
      {
        title: spec.title,
        width,
        height: 200,
        scales: { x: { time: false } },
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [
          { label: "time" },
          ...spec.series.map((s) => ({
            label: s.label,
            stroke: s.colour,
            width: 1.5,
            scale: s.scale ?? "y",
            ...(s.dash ? { dash: s.dash } : {}),
          })),
        ],
        axes,
      },
      this.columns as uPlot.AlignedData,
      box,
    );
    new ResizeObserver(() => {
      const w = box.clientWidth;
      if (w > 0 && Math.abs(w - this.plot.width) > 4) this.plot.setSize({ width: w, height: 200 });
    }).observe(box);
  }

  push(x: number, ys: (number | null)[]): void {
    const xs = this.columns[0];
    // A session restarted from an earlier time starts a fresh plot.
    if (xs.length && x < xs[xs.length - 1]) for (const c of this.columns) c.length = 0;
    xs.push(x);
    ys.forEach((y, i) => {
      this.columns[i + 1].push(y as number);
    });
    if (xs.length > this.capacity) for (const c of this.columns) c.splice(0, xs.length - this.capacity);
    this.dirty = true;
  }

  /** Puts earlier points (from history) in front of those already pushed. */
  prefill(xs: number[], ys: (number | null)[][]): void {
    const first = this.columns[0].length ? this.columns[0][0] : Number.POSITIVE_INFINITY;
    let n = 0;
    while (n < xs.length && xs[n] < first) n++;
    this.columns[0].unshift(...xs.slice(0, n));
    ys.forEach((y, i) => {
      this.columns[i + 1].unshift(...(y.slice(0, n) as number[]));
    });
    this.dirty = true;
  }

  redraw(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.plot.setData(this.columns as uPlot.AlignedData);
  }
}
