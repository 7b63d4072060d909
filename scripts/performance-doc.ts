/** Builds docs/performance.md from the experiments' results (see performance.ts). */

// biome-ignore lint/suspicious/noExplicitAny: results are the JSON the sections wrote.
type Json = any;

const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "—");
const pct = (x: number, digits = 2) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)} %` : "—");

function sopSection(r: Json): string {
  if (!r) return "_Not run yet: `npm run performance -- --only sop`._\n";
  const rows: string[] = [];
  for (const dir of ["discharge", "charge"])
    for (const [reason, t] of Object.entries(r.result[dir] as Record<string, Json>))
      rows.push(
        `| ${dir} | ${reason} | ${t.count} | ${reason === "cell current" || reason === "zero" ? "exact" : pct(t.meanGapFraction, 3)} | ${reason === "cell current" || reason === "zero" ? "exact" : pct(t.maxGapFraction, 3)} | ${t.worstPastFraction > 0 ? pct(t.worstPastFraction, 6) : "never"} |`,
      );
  return `${r.pack}. The binding quantity's extreme over the 10 s in the twin, against its limit ("zero": the state
was already at a limit and the prediction allowed no current).

| direction | binding | states | mean gap to limit | largest gap | past the limit |
|---|---|---:|---:|---:|---:|
${rows.join("\n")}

The only excursions past a limit are of the SOC, by about 1e-8 (the cells' self-discharge, which no BMS sees).
Cell current binds exactly (the host holds the current). The acceptance test
\`packages/core/test/sop-plant.test.ts\` repeats this for 1000 states on a 4s3p pack of the same cells with a
4 C peak window and asserts within 2 % and never past.
`;
}

/** A relative change with its sign, one decimal (no "−0.0 %"). */
const gainPct = (x: number) => (Math.abs(x) < 0.0005 ? "0.0 %" : `${x > 0 ? "+" : ""}${pct(x, 1)}`);

/** The drive runs of one ambient without the θ/bias variant, by mode. */
function driveRun(runs: Json[], ambientC: number, mode: string): Json {
  return runs.find(
    (r) => r.options.ambientC === ambientC && r.options.mode === mode && !r.options.delayAwareCooling,
  );
}

/** Discharged energy over the first `fixed` repetitions (the same schedule, pack not yet empty), kWh. */
const fixedKWh = (r: Json, fixed: number) =>
  (r.repetitions as Json[]).slice(0, fixed).reduce((sum: number, x: Json) => sum + x.dischargedKWh, 0);
const fixedDemandKWh = (r: Json, fixed: number) =>
  (r.repetitions as Json[]).slice(0, fixed).reduce((sum: number, x: Json) => sum + x.demandKWh, 0);

function driveSection(drive: Json): string {
  if (!drive?.runs) return "_Not run yet: `npm run performance -- --only drive`._\n";
  const runs: Json[] = drive.runs;
  const fixed: number = drive.fixedRepetitions;
  const o0 = runs[0].options;
  const setup = (r: Json) => {
    const o = r.options;
    return `${o.ambientC} °C${o.pumpDelayS !== 2 ? `, θ = ${o.pumpDelayS} s` : ""}${o.sensorBiasK ? `, sensors ${o.sensorBiasK} K low` : ""}${o.delayAwareCooling ? ", delay-aware cooling" : ""}`;
  };
  const energyRows = runs.map((r) => {
    const reps = (r.repetitions as Json[]).map((x) => f(x.dischargedKWh, 2)).join(" / ");
    const last = r.repetitions[r.repetitions.length - 1];
    return `| ${setup(r)} | ${r.options.mode} | ${f(fixedKWh(r, fixed), 3)} (${pct(fixedKWh(r, fixed) / fixedDemandKWh(r, fixed), 0)}) | ${f(r.dischargedKWh, 3)} | ${f(r.regenKWh, 3)} | ${reps} | ${pct(last.socEnd, 1)} |`;
  });
  const safetyRows = runs.map(
    (r) =>
      `| ${setup(r)} | ${r.options.mode} | ${f(r.minCellV, 3)} | ${f(r.maxCellV, 3)} | ${f(r.maxCellTempC, 2)} | ${Number.isFinite(r.maxChargingCellTempC) ? f(r.maxChargingCellTempC, 2) : "no charging"} | ${f(r.maxPackDischargeA, 1)} | ${f(r.maxCellDischargeA, 2)} | ${f(r.cellOverCurrentS, 1)} | ${r.alarms.join(", ") || "none"} |`,
  );
  const shortRows = runs.map((r) => {
    const by = Object.entries(r.shortOfDemandS as Record<string, number>).sort((a, b) => b[1] - a[1]);
    const total = by.reduce((sum, [, t]) => sum + t, 0);
    return `| ${setup(r)} | ${r.options.mode} | ${f(total, 0)} (${f(r.dischargeDemandS, 0)}) | ${by.map(([k, t]) => `${k} ${f(t, 1)}`).join(", ")} |`;
  });
  const m = runs[0].msl;
  const gain = (amb: number, mode: string, measure: (r: Json) => number) => {
    const b = driveRun(runs, amb, "baseline");
    const p = driveRun(runs, amb, mode);
    return b && p ? measure(p) / measure(b) - 1 : Number.NaN;
  };
  const overSchedule = (r: Json) => fixedKWh(r, fixed);
  const untilEmpty = (r: Json) => r.dischargedKWh;
  const gainLine = (amb: number) => {
    const est = gain(amb, "predictive", overSchedule);
    const core = gain(amb, "predictive, true core temperature", overSchedule);
    const estE = gain(amb, "predictive", untilEmpty);
    const coreE = gain(amb, "predictive, true core temperature", untilEmpty);
    const b = driveRun(runs, amb, "baseline");
    const p = driveRun(runs, amb, "predictive");
    const c = driveRun(runs, amb, "predictive, true core temperature");
    const bc = "predictive, baseline current";
    return `| ${amb} °C | ${gainPct(est)} | ${gainPct(core)} | ${gainPct(gain(amb, bc, overSchedule))} | ${gainPct(estE)} | ${gainPct(coreE)} | ${gainPct(gain(amb, bc, untilEmpty))} | ${f(b?.regenKWh, 3)} / ${f(p?.regenKWh, 3)} / ${f(c?.regenKWh, 3)} |`;
  };
  const hot = runs.find((r) => r.options.delayAwareCooling);
  const thermal = hot
    ? `**θ = ${hot.options.pumpDelayS} s, every temperature sensor ${hot.options.sensorBiasK} K low** (40 °C, the same ${o0.repeat} × US06, predictive
limits budgeting both, delay-aware cooling): the hottest cell reached ${f(hot.maxCellTempC, 2)} °C against its maximum
of ${f(m.dischargeTempHighC, 0)} °C${Number.isFinite(hot.maxChargingCellTempC) ? `, and ${f(hot.maxChargingCellTempC, 2)} °C while charging from regenerative braking against the charge maximum of ${f(m.chargeTempHighC, 0)} °C` : " (it never charged)"}. ${
        hot.maxCellTempC < m.dischargeTempHighC && !(hot.maxChargingCellTempC >= m.chargeTempHighC)
          ? "No cell exceeded its maximum temperature."
          : "**A cell exceeded its maximum temperature.**"
      } The cycle does not heat these cells much (at most about 0.6 W per cell at the current limit, and the coolant
enters at the ambient 40 °C), so this run shows that the bias and delay budgets do not push the limits past the
window, not that the cooling rescued a cell from overheating.`
    : "";
  return `${drive.pack}: a ${drive.vehicle}, US06 from the committed speed schedules, ${o0.repeat} times back to back from
${pct(o0.initialSoc, 0)} SOC, ambient and coolant at the same temperature, the pack soaked at it and rested (every cell at the
same SOC: the cells of a parallel group have equalized; the twin's default draws each cell's SOC on its own, which
sends up to 30 % more than its share through some cells in the first minutes of a drive, in every run alike). The US06 asks for up to
${f(drive.peakDemandKW, 0)} kW; the pack's maximum operating current (${f(drive.dischargeCurrentMolA, 1)} A) allows about
${f(drive.molPowerKW, 0)} kW at its nominal voltage: an aggressive cycle for this pack, where the limits bind on every
acceleration. The twin steps at 10 ms, the BMS controller's period.

- **Baseline**: the BMS controller (\`bms/\`) with its default configuration: current at 95 % of the maximum
  operating limit (MOL), derated linearly toward the MOLs of temperature, cell voltage and SOC, halved on an MOL
  warning, recovering at 10 % per second; the pack voltage floor keeps the lowest group at its MOL.
- **Predictive**: the same controller wrapped by \`withPredictiveLimits\` (\`sop/controller.ts\`): its current and
  voltage limits replaced by the 2 s state of power, re-predicted every 100 ms (2 candidate groups per criterion,
  10 mV voltage margin), except where the controller stops a direction outright (open contactors, no data,
  faults, RSL alarms). The SOP window is the recommended safety limits (RSL) for voltage and temperature and the
  MOL for current: the baseline needs the buffer between its MOLs and the maximum safety limits (MSL) because it
  only reacts to what it measures; the SOP predicts the next seconds of every candidate group.
- **BMS performance functions**: the controller's own default configuration, where \`bms/performance.ts\` is on
  (host current limits min(baseline, SOP at the MOL), predictive cooling, the cold usable-empty point, charging
  profile): for comparison; it never allows more current than the baseline.
- **Predictive, baseline current**: the predictive run with the baseline's current (95 % of the MOL) as the SOP's
  current limit: the gain that needs no more current than the baseline gives.
- **True core temperature**: the predictive run fed the twin's hottest core per group instead of its estimate
  (nearest sensor plus the heat over the core-to-case conductance): what a better temperature estimate unlocks.

Energy is measured through the pack terminals at every plant step, in two ways: **over the same schedule**, the
first ${fixed} US06 (the pack is still far from empty, so only power differs: a run whose limits cannot meet the demand
delivers less; the share of the demand met in brackets), and **until empty**, all ${o0.repeat} US06: every run ends near
1 % SOC, and what it delivers in the last repetitions is mostly what regenerative braking put back.

| setup | limits | discharged, first ${fixed} US06, kWh (demand met) | discharged until empty, kWh | regen accepted, kWh | discharged per US06, kWh | SOC at the end |
|---|---|---:|---:|---:|---|---:|
${energyRows.join("\n")}

What held each run back while it gave less than the drive asked (by more than 0.5 %): the reason behind the
discharge current limit when the current sat at it (for the baseline, "nominal" is its current without derating, 95 % of
the MOL), else the pack voltage floor.

| setup | limits | s short of the demand (of s asked) | held back by, s |
|---|---|---:|---|
${shortRows.join("\n")}

Predictive over baseline, discharged energy:

| ambient | over the schedule | with true core temperature | with the baseline's current | until empty | until empty, true core temperature | until empty, baseline's current | regen accepted, kWh: baseline / predictive / true core |
|---|---:|---:|---:|---:|---:|---:|---|
${gainLine(-10)}
${gainLine(40)}

Safety, watched at every 10 ms plant step against the MSLs of the configuration: cell voltage ${m.cellVoltageLowV}…${m.cellVoltageHighV} V,
cell temperature ${f(m.dischargeTempHighC, 0)} °C (${f(m.chargeTempHighC, 0)} °C while charging), pack discharge current ${f(m.packDischargeCurrentA, 1)} A
(the cell's datasheet maximum, ${f(m.cellDischargeCurrentA, 3)} A, times ${o0.parallelCells}).

| setup | limits | lowest cell V | highest cell V | hottest cell °C | hottest while charging °C | peak pack discharge A | peak cell discharge A | s with a cell above its datasheet current | controller alarms |
|---|---|---:|---:|---:|---:|---:|---:|---:|---|
${safetyRows.join("\n")}

${thermal}

${driveFindings(runs, m, runs[0].levels, fixed)}
`;
}

/** What the drive tables do and do not show, read from the numbers themselves. */
function driveFindings(runs: Json[], m: Json, lv: Json, fixed: number): string {
  const out: string[] = [];
  const name = (r: Json) =>
    `${r.options.ambientC} °C ${r.options.mode}${r.options.delayAwareCooling ? " (θ, bias)" : ""}`;
  const unsafe = runs.filter(
    (r) =>
      r.minCellV <= m.cellVoltageLowV ||
      r.maxCellV >= m.cellVoltageHighV ||
      r.maxCellTempC >= m.dischargeTempHighC ||
      r.maxChargingCellTempC >= m.chargeTempHighC ||
      r.maxPackDischargeA >= m.packDischargeCurrentA,
  );
  const rslAlarms = new Set(runs.flatMap((r) => (r.alarms as string[]).filter((a) => a.endsWith(".rsl"))));
  const rslText = [...rslAlarms]
    .map(
      (a) =>
        `\`${a}\` in ${runs
          .filter((r) => r.alarms.includes(a))
          .map(name)
          .join(", ")}`,
    )
    .join("; ");
  out.push(
    unsafe.length
      ? `**Not equally safe:** ${unsafe.map(name).join(", ")} passed an MSL.`
      : `**Equal safety at the MSLs:** no run took a cell past the MSL of voltage or temperature, or the pack past its current MSL. RSL alarms (which stop a direction): ${rslText || "none"}.${rslAlarms.has("chargeTempHigh.rsl") ? " At 40 °C ambient the charge RSL (41 °C) is passed by the ambient itself: the alarm stops regenerative braking, which is its job, in the baseline too." : ""}`,
  );
  const cellOver = runs.filter((r) => r.maxCellDischargeA > m.cellDischargeCurrentA);
  const sameCurrent = runs.filter(
    (r) =>
      r.options.mode === "predictive, baseline current" && r.maxCellDischargeA <= m.cellDischargeCurrentA,
  );
  if (!cellOver.length)
    out.push(
      `**Cell current.** The BMS limits the pack current; inside a group the cells share it unevenly (each has its own resistance, interconnect and temperature). The busiest cell peaked at ${runs.map((r) => `${f(r.maxCellDischargeA, 2)} A (${name(r)})`).join(", ")}, all under the cell's datasheet maximum of ${f(m.cellDischargeCurrentA, 3)} A, but the predictive runs, riding 5 % more pack current, leave almost no room there: a per-cell current margin would have to come from an estimate of the sharing inside a group.`,
    );
  else {
    const base = cellOver.filter((r) => r.options.mode === "baseline");
    out.push(
      `**Not equal at the cell current.** The BMS limits the pack current (its MSL is the cell's maximum times ${runs[0].options.parallelCells}, its MOL 90 % of that); inside a group the cells share it unevenly in the twin (each has its own resistance, interconnect and temperature): the busiest cell carried up to ${pct(Math.max(...runs.map((r) => r.maxCellDischargeA / (r.maxPackDischargeA / r.options.parallelCells))) - 1, 1)} more than its group's mean share. Above the cell's datasheet maximum: ${cellOver.map((r) => `${name(r)} ${f(r.cellOverCurrentS, 1)} s, peak ${f(r.maxCellDischargeA, 2)} A${r.cellOverCurrentS > 0 ? `, never above ${pct(r.cellOverCurrentSocMax, 0)} mean SOC` : ""}`).join("; ")}. ${base.length ? `The baseline does this too (${base.map(name).join(", ")}), and the predictive runs, riding 5 % more pack current, more.` : "The baseline does not: its 95 % of the MOL leaves room for the uneven sharing, the predictive runs ride the MOL itself."} No limit on the pack current can see this; a per-cell current margin would have to come from an estimate of the sharing inside a group (or a default MOL further from the MSL).${
        sameCurrent.length
          ? ` With the baseline's current in the SOP window (no more current than the baseline): ${sameCurrent
              .map((r) => {
                const b = driveRun(runs, r.options.ambientC, "baseline");
                return `${r.options.ambientC} °C peak cell ${f(r.maxCellDischargeA, 2)} A, ${gainPct(fixedKWh(r, fixed) / fixedKWh(b, fixed) - 1)} over the schedule and ${gainPct(r.dischargedKWh / b.dischargedKWh - 1)} until empty`;
              })
              .join("; ")}.`
          : ""
      }`,
    );
  }
  for (const amb of [-10, 40]) {
    const b = driveRun(runs, amb, "baseline");
    const p = driveRun(runs, amb, "predictive");
    const c = driveRun(runs, amb, "predictive, true core temperature");
    if (!b || !p) continue;
    const gFixed = fixedKWh(p, fixed) / fixedKWh(b, fixed) - 1;
    const gEmpty = p.dischargedKWh / b.dischargedKWh - 1;
    const parts = [
      gFixed > 0
        ? `over the schedule the predictive run delivers ${pct(gFixed, 1)} more, at a peak pack current of ${f(p.maxPackDischargeA, 1)} A against ${f(b.maxPackDischargeA, 1)} A: the current limit holds the baseline back for ${f(b.shortOfDemandS.nominal ?? 0, 0)} s at 95 % of the MOL and the predictive run for ${f(p.shortOfDemandS["cell current"] ?? 0, 0)} s at the MOL itself (the rest of the time either falls short is mostly near empty: the table above)`
        : `**not demonstrated over the schedule** (${pct(gFixed, 1)})`,
      `until empty ${pct(gEmpty, 1)}, with ${f(p.regenKWh, 3)} kWh of regenerative braking accepted against ${f(b.regenKWh, 3)} kWh`,
    ];
    if (amb < 0 && p.regenKWh > b.regenKWh + 0.05)
      parts.push(
        `the driving warms the cells to about ${f(p.maxCellTempC, 0)} °C: above the charge RSL (${f(lv.chargeTempLowRslC, 0)} °C), where the SOP allows charging, but inside the baseline's charge derating band (${f(lv.chargeTempLowMolC, 0)} °C to ${f(lv.chargeTempLowMolC + 5, 0)} °C); the braking energy the predictive run keeps is driven away later (its window has no anode-potential margin: a plating-aware limit on regenerative charging, as in the charging section, would take some of this back)`,
      );
    if (amb > 0)
      parts.push(
        `the baseline stops charging once a sensor reads its charge MOL (${f(lv.chargeTempHighMolC, 0)} °C; derating from 5 K below), the SOP while the predicted core after the horizon would pass the charge RSL (${f(lv.chargeTempHighRslC, 0)} °C)`,
      );
    if (c) {
      const extra = c.dischargedKWh / p.dischargedKWh - 1;
      parts.push(
        Math.abs(extra) < 0.001
          ? "the true core temperature changes nothing here"
          : `the true core temperature adds ${pct(extra, 1)} until empty (regen ${f(c.regenKWh, 3)} kWh): the estimate (nearest sensor plus heat) reads the core hotter than it is, and that is what a better temperature estimate unlocks`,
      );
    }
    out.push(`**At ${amb} °C:** ${parts.join("; ")}.`);
  }
  const perfMode = "BMS performance functions (default configuration)";
  const perfText = [-10, 40].flatMap((amb) => {
    const b = driveRun(runs, amb, "baseline");
    const q = driveRun(runs, amb, perfMode);
    return b && q
      ? [
          `${amb} °C: ${gainPct(fixedKWh(q, fixed) / fixedKWh(b, fixed) - 1)} over the schedule, ${gainPct(q.dischargedKWh / b.dischargedKWh - 1)} until empty`,
        ]
      : [];
  });
  if (perfText.length)
    out.push(
      `**The controller's own performance functions** against the baseline: ${perfText.join("; ")}. Taking the smaller of the baseline and the SOP, they cannot give more power than the baseline; what they change is the empty point, cooling and charging.`,
    );
  out.push(
    `Near empty the baseline derates from 50 mV above the voltage MOL and halves its limit on the MOL warning; the predictive run goes on to 10 mV above the RSL (${lv.cellVoltageLowRslV} V). Its lowest cell came to ${f(1000 * (Math.min(...runs.filter((r) => r.options.mode !== "baseline").map((r) => r.minCellV)) - lv.cellVoltageLowRslV), 0)} mV above the RSL: the 10 mV margin is what the group model cannot see (the spread inside a group), and it is nearly used up. These cells gain little from that band, because their OCV falls steeply in the last per cent of charge.`,
  );
  return out.join("\n\n");
}

function chargeSection(r: Json): string {
  if (!r) return "_Not run yet: `npm run performance -- --only charge`._\n";
  const rows = (r.runs as Json[]).map(
    (x) =>
      `| ${x.profile} | ${f(x.firstCurrentPerCellA, 3)} | ${f(x.minutesTo80, 1)} | ${f(x.minutesToComplete, 1)} | ${f(1000 * x.minGroupAnodeV, 1)} | ${f(1000 * x.minCellAnodeV, 1)} |`,
  );
  const [aware, fixed] = r.runs as Json[];
  const saved = fixed && aware ? 1 - aware.minutesTo80 / fixed.minutesTo80 : Number.NaN;
  const savedFull = fixed && aware ? 1 - aware.minutesToComplete / fixed.minutesToComplete : Number.NaN;
  return `${r.pack}. The anode potential is U_a(z) − f·(V − OCV) (\`charging/anode.ts\`), per group as the BMS
estimates it and per cell from each cell's own state (which the BMS cannot see).

| profile | first current, A/cell | minutes to 80 % | minutes to complete | lowest group anode potential, mV | lowest cell anode potential, mV |
|---|---:|---:|---:|---:|---:|
${rows.join("\n")}

The plating-aware profile keeps the estimated anode potential at the margin (30 mV, with 1 mV kept for the
spread inside a group) and reaches 80 % in ${pct(saved, 0)} less time than the fastest fixed current that is
equally safe (${pct(savedFull, 0)} less to the end of the charge); the
datasheet's maximum current without the plating limit reaches 80 % a little sooner but takes the anode to
about 10 mV. Cell by cell the spread inside a group costs a few millivolts, which is what the margin is for.
`;
}

function balanceSection(r: Json): string {
  if (!r) return "_Not run yet: `npm run performance -- --only balance`._\n";
  const rows = (r.runs as Json[]).map(
    (x) => `| ${x.method} | ${f(x.hoursToHalfPoint, 1)} | ${f(x.energyLostKWh, 3)} |`,
  );
  const lossless = (r.rate as Json[]).find((x) => x.efficiency === 1);
  return `${r.pack}.

| method | hours until the spread is under 0.5 points | energy turned into heat, kWh |
|---|---:|---:|
${rows.join("\n")}

Active consensus on the 110-group chain in its linear range (k = 200 A per unit SOC, ±1-point disagreement
along the chain's slowest mode, lossless converters): predicted rate λ₂·k/Q = ${lossless ? lossless.predictedPerS.toExponential(4) : "—"} /s
(λ₂ = 2(1 − cos(π/110)) = 8.156e-4), measured ${lossless ? lossless.measuredPerS.toExponential(4) : "—"} /s: ratio
${lossless ? f(lossless.ratio, 3) : "—"}. A chain's λ₂ falls as 1/N², which is why a chain of neighbour-to-neighbour
converters balances a long string slowly once the converters leave saturation: closing the chain into a ring
makes λ₂ four times larger, and a module bus (complete graph) makes it N. The test \`packages/core/test/balancing-active.test.ts\` checks the
rate within 10 % on a 10-group pack and λ₂ against the closed forms.
`;
}

export function writeDocument(results: Record<string, Json>): string {
  return `# Performance: getting the most from every cell

Generated by \`npm run performance\` (sections: \`npm run performance -- --only sop|drive|charge|balance\`)
from the twin experiments of \`scripts/performance-*.ts\`; do not edit by hand. The algorithms are in
\`packages/core/src/{sop,balancing,charging,thermal}/\`; their unit and twin tests in
\`packages/core/test/{sop,balancing,charging,thermal}-*.test.ts\`; \`npm run bench\` prints
\`bms.sopPredictions_per_100ms\` for the default pack.

## State of power against the twin

${sopSection(results.sop)}
## Drive cycles: predictive limits against the baseline derating

${driveSection(results.drive)}
## Plating-aware charging at 0 °C

${chargeSection(results.charge)}
## Balancing

${balanceSection(results.balance)}`;
}
