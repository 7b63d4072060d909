/**
 * The dashboard: pack overview, heat maps, plots, alarms with explanations, limits with reasons, balancing,
 * contactors, and the scenario and fault controls. Frames may arrive faster than the screen refreshes; only the
 * newest is drawn, once per animation frame.
 */
import { kelvinToCelsius } from "@coxswain/core/units";
import { HeatMap } from "./heatmap.ts";
import { RollingPlot } from "./plots.ts";
import type { FaultKind, Hello, SessionEvent, TelemetryFrame, TelemetrySource } from "./source.ts";
import { TOKEN_KEY } from "./source.ts";

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
};

const fmt = (v: number | null | undefined, digits: number, unit = ""): string =>
  v === null || v === undefined || !Number.isFinite(v)
    ? "–"
    : `${v.toFixed(digits)}${unit ? ` ${unit}` : ""}`;
const pct = (v: number | null): number | null => (v === null ? null : v * 100);
const degC = (v: number | null): number | null => (v === null ? null : kelvinToCelsius(v));

function extreme(values: (number | null)[], pick: (a: number, b: number) => number): number | null {
  let out: number | null = null;
  for (const v of values) if (v !== null) out = out === null ? v : pick(out, v);
  return out;
}

function clock(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
}

export function mountDashboard(root: HTMLElement, source: TelemetrySource, title: string): void {
  let latest: TelemetryFrame | undefined;
  let drawnSeq = -1;
  let faultKinds: FaultKind[] = [];
  const events: SessionEvent[] = [];
  let eventsDirty = false;

  // ---- layout
  const status = el("span", { id: "connection", class: "badge" }, "connecting");
  const mode = el("span", { id: "mode", class: "badge" }, "–");
  const time = el("span", { id: "session-time" }, "–");
  const info = el("span", { id: "pack-info", class: "muted" });
  root.append(el("header", {}, el("h1", {}, title), mode, status, el("span", {}, "t = ", time), info));

  const overview = el("section", { id: "overview", class: "cards" });
  const card = (id: string, label: string): HTMLElement => {
    const v = el("div", { class: "value", id }, "–");
    overview.append(el("div", { class: "card" }, el("div", { class: "label" }, label), v));
    return v;
  };
  const vPack = card("pack-voltage", "pack voltage");
  const iPack = card("pack-current", "current (+ charge)");
  const pPack = card("pack-power", "power");
  const socEst = card("soc-estimate", "SOC (BMS estimate)");
  const socTrue = card("soc-true", "SOC (twin truth)");
  const soh = card("soh", "SOH");
  const spread = card("cell-spread", "group voltage min … max");
  const temps = card("temp-range", "temperature min … max");
  const contactors = card("contactors", "contactors + / − / pre");
  root.append(overview);

  const maps = el("section", { id: "heatmaps", class: "maps" });
  root.append(maps);
  const mapV = new HeatMap(maps, {
    title: "group voltage (as measured)",
    display: (v) => v,
    unit: "V",
    digits: 3,
    minSpan: 0.01,
  });
  const mapT = new HeatMap(maps, {
    title: "hottest cell of group",
    display: kelvinToCelsius,
    unit: "°C",
    digits: 1,
    minSpan: 1,
  });
  const mapS = new HeatMap(maps, {
    title: "group SOC (truth)",
    display: (v) => v * 100,
    unit: "%",
    digits: 1,
    minSpan: 1,
  });

  const side = el("section", { class: "panels" });
  const alarmList = el("ul", { id: "alarms" });
  const limitsBox = el("table", { id: "limits" });
  const balancing = el("div", { id: "balancing" }, "–");
  side.append(
    el("div", { class: "panel" }, el("h2", {}, "Alarms"), alarmList),
    el("div", { class: "panel" }, el("h2", {}, "Limits to the host"), limitsBox),
    el("div", { class: "panel" }, el("h2", {}, "Balancing"), balancing),
  );
  root.append(side);

  const plots = el("section", { class: "plots" });
  root.append(plots);
  const pV = new RollingPlot(plots, {
    title: "pack voltage and current",
    unit: "V",
    unit2: "A",
    series: [
      { label: "voltage V", colour: "#4fc3f7" },
      { label: "current A", colour: "#ffb74d", scale: "y2" },
    ],
  });
  const pS = new RollingPlot(plots, {
    title: "state of charge: truth vs estimate",
    unit: "%",
    series: [
      { label: "truth", colour: "#81c784" },
      { label: "estimate", colour: "#e57373", dash: [6, 4] },
    ],
  });
  const pT = new RollingPlot(plots, {
    title: "temperatures",
    unit: "°C",
    series: [
      { label: "max", colour: "#ef5350" },
      { label: "min", colour: "#42a5f5" },
      { label: "ambient", colour: "#9e9e9e", dash: [4, 4] },
    ],
  });
  const pL = new RollingPlot(plots, {
    title: "current limits",
    unit: "A",
    series: [
      { label: "charge max", colour: "#81c784" },
      { label: "discharge max", colour: "#e57373" },
      { label: "|current|", colour: "#ffb74d" },
    ],
  });

  // ---- controls
  const controlError = el("div", { id: "control-error", class: "error" });
  const report = (r: { ok: true } | { ok: false; error: string }): void => {
    controlError.textContent = r.ok ? "" : r.error;
  };
  const controls = el("section", { id: "controls", class: "panel" }, el("h2", {}, "Scenario and faults"));
  if (source.needsToken) {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
    if (fromHash) localStorage.setItem(TOKEN_KEY, fromHash);
    const tokenInput = el("input", {
      id: "token",
      type: "password",
      placeholder: "control token",
      size: "30",
    });
    tokenInput.value = localStorage.getItem(TOKEN_KEY) ?? "";
    tokenInput.addEventListener("change", () => localStorage.setItem(TOKEN_KEY, tokenInput.value.trim()));
    controls.append(el("label", {}, "token ", tokenInput));
  }
  const pause = el("button", { id: "pause" }, "pause");
  pause.addEventListener("click", async () => report(await source.setPaused(!latest?.paused)));
  const speed = el("select", { id: "speed" });
  for (const s of [1, 10, 60, 300]) speed.append(el("option", { value: String(s) }, `${s}×`));
  speed.addEventListener("change", async () => report(await source.setSpeed(Number(speed.value))));
  const ambient = el("input", {
    id: "ambient",
    type: "number",
    step: "1",
    value: "25",
    min: "-40",
    max: "60",
  });
  const setAmbient = el("button", { id: "set-ambient" }, "set ambient °C");
  setAmbient.addEventListener("click", async () => report(await source.setAmbientC(Number(ambient.value))));
  controls.append(el("div", { class: "row" }, pause, speed, ambient, setAmbient));

  const faultKind = el("select", { id: "fault-kind" });
  const faultTarget = el("input", { id: "fault-target", type: "number", min: "0", step: "1", value: "0" });
  const faultValue = el("input", { id: "fault-value", type: "number", step: "any" });
  const faultHelp = el("div", { id: "fault-help", class: "muted" });
  const inject = el("button", { id: "inject-fault" }, "inject fault");
  const clearAll = el("button", { id: "clear-faults" }, "clear faults");
  const activeFaults = el("ul", { id: "active-faults" });
  const describeKind = (): void => {
    const k = faultKinds.find((x) => x.kind === faultKind.value);
    if (!k) return;
    faultTarget.disabled = k.target === "pack";
    faultValue.disabled = !k.value;
    faultValue.value = k.value ? String(k.value.default) : "";
    faultTarget.value = k.target === "pack" ? "" : faultTarget.value || "0";
    faultHelp.textContent = `${k.description}${k.target === "pack" ? "" : ` (target: ${k.target} index)`}${
      k.value ? `; ${k.value.name} ${k.value.min} … ${k.value.max} ${k.value.unit}` : ""
    }`;
  };
  faultKind.addEventListener("change", describeKind);
  inject.addEventListener("click", async () => {
    const k = faultKinds.find((x) => x.kind === faultKind.value);
    if (!k) return;
    report(
      await source.injectFault({
        kind: k.kind,
        ...(k.target === "group" ? { group: Number(faultTarget.value) } : {}),
        ...(k.target === "sensor" ? { sensor: Number(faultTarget.value) } : {}),
        ...(k.value ? { value: Number(faultValue.value) } : {}),
      }),
    );
  });
  clearAll.addEventListener("click", async () => report(await source.clearFaults()));
  controls.append(
    el("div", { class: "row" }, faultKind, faultTarget, faultValue, inject, clearAll),
    faultHelp,
    activeFaults,
    controlError,
  );
  const eventList = el("ol", { id: "events" });
  root.append(controls, el("section", { class: "panel" }, el("h2", {}, "Events"), eventList));

  // ---- rendering
  function render(f: TelemetryFrame): void {
    const lagging = !f.paused && f.achievedSpeed < 0.8 * f.speed;
    time.textContent =
      clock(f.timeS) +
      (f.paused
        ? " (paused)"
        : ` at ${f.speed}×${lagging ? ` (this machine keeps up ${f.achievedSpeed.toFixed(1)}×)` : ""}`);
    mode.textContent = f.mode;
    mode.className = `badge mode-${f.mode}`;
    pause.textContent = f.paused ? "resume" : "pause";
    if (document.activeElement !== speed && speed.value !== String(f.speed)) {
      if (![...speed.options].some((o) => o.value === String(f.speed)))
        speed.append(el("option", { value: String(f.speed) }, `${f.speed}×`));
      speed.value = String(f.speed);
    }
    vPack.textContent = fmt(f.pack.voltageV, 1, "V");
    iPack.textContent = fmt(f.pack.currentA, 1, "A");
    pPack.textContent =
      f.pack.voltageV === null || f.pack.currentA === null
        ? "–"
        : fmt((f.pack.voltageV * f.pack.currentA) / 1000, 1, "kW");
    socEst.textContent = fmt(pct(f.pack.socEstimate), 1, "%");
    socTrue.textContent = fmt(pct(f.pack.socTrue), 1, "%");
    soh.textContent = fmt(pct(f.pack.soh), 1, "%");
    const vMin = extreme(f.groups.voltageV, Math.min);
    const vMax = extreme(f.groups.voltageV, Math.max);
    spread.textContent = `${fmt(vMin, 3)} … ${fmt(vMax, 3, "V")} (Δ ${fmt(vMin === null || vMax === null ? null : (vMax - vMin) * 1000, 0, "mV")})`;
    const tMin = degC(extreme(f.groups.tempK, Math.min));
    const tMax = degC(extreme(f.groups.tempK, Math.max));
    temps.textContent = `${fmt(tMin, 1)} … ${fmt(tMax, 1, "°C")}`;
    const c = f.contactors;
    contactors.textContent = [c.positive, c.negative, c.precharge]
      .map((x) => (x ? "closed" : "open"))
      .join(" / ");

    mapV.draw(f.groups.voltageV, f.groups.bleed);
    mapT.draw(f.groups.tempK);
    mapS.draw(f.groups.soc);

    alarmList.replaceChildren(
      ...(f.alarms.length
        ? f.alarms.map((a) =>
            el(
              "li",
              { class: `alarm ${a.severity}` },
              el("b", {}, `${a.severity} ${a.id}`),
              el("div", {}, a.text),
            ),
          )
        : [el("li", { class: "muted" }, "no active alarms")]),
    );
    const l = f.limits;
    limitsBox.replaceChildren(
      el(
        "tr",
        {},
        el("th", {}, "charge current"),
        el("td", { id: "limit-charge" }, fmt(l.chargeCurrentMaxA, 1, "A")),
        el("td", { id: "reason-charge", class: "muted" }, l.chargeReason),
      ),
      el(
        "tr",
        {},
        el("th", {}, "discharge current"),
        el("td", { id: "limit-discharge" }, fmt(l.dischargeCurrentMaxA, 1, "A")),
        el("td", { id: "reason-discharge", class: "muted" }, l.dischargeReason),
      ),
      el(
        "tr",
        {},
        el("th", {}, "charge voltage"),
        el("td", {}, fmt(l.chargeVoltageMaxV, 1, "V")),
        el("td", {}),
      ),
      el(
        "tr",
        {},
        el("th", {}, "discharge voltage"),
        el("td", {}, fmt(l.dischargeVoltageMinV, 1, "V")),
        el("td", {}),
      ),
    );
    const bleeding = f.groups.bleed.flatMap((b, g) => (b ? [g] : []));
    balancing.textContent = bleeding.length
      ? `${bleeding.length} group${bleeding.length > 1 ? "s" : ""} bleeding: ${bleeding.slice(0, 20).join(", ")}${bleeding.length > 20 ? " …" : ""}`
      : "no group bleeding";
    activeFaults.replaceChildren(
      ...f.faults.map((x) => {
        const clear = el("button", { class: "small" }, "clear");
        clear.addEventListener("click", async () => report(await source.clearFaults(x.id)));
        const where =
          x.group !== undefined ? ` group ${x.group}` : x.sensor !== undefined ? ` sensor ${x.sensor}` : "";
        return el(
          "li",
          { class: "fault" },
          `#${x.id} ${x.kind}${where}${x.value !== undefined ? ` = ${x.value}` : ""} since ${clock(x.sinceS)} `,
          clear,
        );
      }),
    );
    for (const p of [pV, pS, pT, pL]) p.redraw();
  }

  function renderEvents(): void {
    eventList.replaceChildren(
      ...events
        .slice(-30)
        .reverse()
        .map((e) => el("li", {}, `${clock(e.timeS)} ${e.kind} ${e.name}`)),
    );
  }

  // Render cost, kept for the benchmark and for anyone wondering whether the page keeps up.
  const stats = { framesIn: 0, renders: 0, renderMsTotal: 0, renderMsMax: 0 };
  (window as unknown as { coxswainStats: typeof stats }).coxswainStats = stats;

  function loop(): void {
    if (latest && latest.seq !== drawnSeq) {
      drawnSeq = latest.seq;
      const t0 = performance.now();
      render(latest);
      const ms = performance.now() - t0;
      stats.renders++;
      stats.renderMsTotal += ms;
      stats.renderMsMax = Math.max(stats.renderMsMax, ms);
    }
    if (eventsDirty) {
      eventsDirty = false;
      renderEvents();
    }
    requestAnimationFrame(loop);
  }

  source.start({
    hello(h: Hello) {
      const p = h.info.pack;
      info.textContent = `${p.seriesGroups}s${p.parallelCells}p · ${h.info.scenario} · controller: ${h.info.controller}`;
      faultKinds = h.faultKinds;
      faultKind.replaceChildren(...faultKinds.map((k) => el("option", { value: k.kind }, k.kind)));
      describeKind();
    },
    frame(f: TelemetryFrame) {
      latest = f;
      stats.framesIn++;
      // Plots take every frame (cheap pushes); drawing waits for the animation frame.
      pV.push(f.timeS, [f.pack.voltageV, f.pack.currentA]);
      pS.push(f.timeS, [pct(f.pack.socTrue), pct(f.pack.socEstimate)]);
      pT.push(f.timeS, [
        degC(extreme(f.groups.tempK, Math.max)),
        degC(extreme(f.groups.tempK, Math.min)),
        kelvinToCelsius(f.ambientK),
      ]);
      pL.push(f.timeS, [
        f.limits.chargeCurrentMaxA,
        f.limits.dischargeCurrentMaxA,
        f.pack.currentA === null ? null : Math.abs(f.pack.currentA),
      ]);
    },
    history(series, stored) {
      const v = series.values;
      const toC = (k: (number | null)[]) => k.map(degC);
      pV.prefill(series.timeS, [v.packVoltageV, v.packCurrentA]);
      pS.prefill(series.timeS, [v.socTrue.map(pct), v.socEstimate.map(pct)]);
      pT.prefill(series.timeS, [
        toC(v.temperatureMaxK),
        toC(v.temperatureMinK),
        series.timeS.map(() => null),
      ]);
      pL.prefill(series.timeS, [
        v.chargeCurrentMaxA,
        v.dischargeCurrentMaxA,
        v.packCurrentA.map((x) => (x === null ? null : Math.abs(x))),
      ]);
      const first = events[0]?.timeS ?? Number.POSITIVE_INFINITY;
      events.unshift(...stored.filter((e) => e.timeS < first));
      eventsDirty = true;
    },
    event(e: SessionEvent) {
      events.push(e);
      if (events.length > 200) events.shift();
      eventsDirty = true;
    },
    connection(state) {
      status.textContent = state;
      status.className = `badge conn-${state}`;
    },
  });
  requestAnimationFrame(loop);
}
