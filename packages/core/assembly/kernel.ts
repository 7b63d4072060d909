/**
 * The pack twin's hot loops over cells in AssemblyScript, compiled to WebAssembly by `npm run build:kernel`
 * (scripts/build-kernel.mjs). Each function is a line-for-line port of a JavaScript loop and must stay one:
 *   commitCells   FastCells.commitCells   (packages/core/src/cell/fast.ts)
 *   solveCells    the cell loop of one pass of Pack.solveGroups   (packages/core/src/twin/pack.ts)
 *   thermalCells  the cell loop of Pack.thermalGroup
 * Same IEEE operations in the same order (WebAssembly neither fuses nor reorders them) and e^x from
 * JavaScript's Math.exp, so both paths give bit-identical results; test twin-kernel runs them side by side.
 *
 * Arrays are pointers into the imported memory. The inputs and outputs that are not arguments pass through a
 * header at address 0 (see src/cell/kernel.ts, which keeps the same layout): 32-bit slots from byte 0,
 * doubles from byte 256.
 */
@external("env", "exp") declare function jsExp(x: f64): f64;

// The header (src/cell/kernel.ts, enums Slot and Dbl, keeps the same layout; test twin-kernel compares them):
// 32-bit slots S_name at byte 4·index, doubles D_name at byte 8·index.
const S_CO = 4 * 0, S_MODE = 4 * 1, S_CURRENT = 4 * 2, S_SOC = 4 * 3, S_T_CELL = 4 * 4, S_T_CASE = 4 * 5,
  S_LEAK = 4 * 6, S_HYS = 4 * 7, S_SIGN = 4 * 8, S_V0 = 4 * 9, S_V1 = 4 * 10, S_V2 = 4 * 11,
  S_EMF = 4 * 12, S_RESISTANCE = 4 * 13, S_ELECTRICAL_J = 4 * 14, S_HEAT_J = 4 * 15, S_HEAT_W = 4 * 16,
  S_VOLTAGE = 4 * 17, S_SERIES = 4 * 18, S_DISCONNECTED = 4 * 19, S_CONDUCTANCE = 4 * 20,
  S_STRIDE = 4 * 21, S_DIR_STRIDE = 4 * 22, S_N_RC = 4 * 23, S_HAS_HYS = 4 * 24, S_WINDOW_LO = 4 * 25,
  S_WINDOW_HI = 4 * 26, S_CROSSING = 4 * 27, S_COMMITTED = 4 * 28, S_FLIPPED_AT = 4 * 29, S_FLIPS = 4 * 30,
  S_THROUGHPUT = 4 * 31, S_INTERCONNECT = 4 * 32, S_V3 = 4 * 33, D_DT = 8 * 32, D_GAMMA = 8 * 33, D_ETA = 8 * 34,
  D_CORE_C = 8 * 35, D_CORE_G = 8 * 36, D_STAMP = 8 * 37, D_G = 8 * 38, D_EG = 8 * 39, D_CROSS_U = 8 * 40,
  D_CROSS_D = 8 * 41, D_CHARGE_MIN = 8 * 42, D_DISCHARGE_MAX = 8 * 43, D_REST_MIN = 8 * 44,
  D_REST_MAX = 8 * 45, D_SUM_CASE = 8 * 46, D_HEAT_IC = 8 * 47;

// Constants of the pair path (f64x2).
const zeroV = f64x2(0, 0), oneV = f64x2(1, 1), minusOneV = f64x2(-1, -1), halfV = f64x2(0.5, 0.5);
const seriesLimitV = f64x2(0.03, 0.03);
const c6V = f64x2(1.0 / 6, 1.0 / 6), c24V = f64x2(1.0 / 24, 1.0 / 24), c120V = f64x2(1.0 / 120, 1.0 / 120);
const c720V = f64x2(1.0 / 720, 1.0 / 720), c5040V = f64x2(1.0 / 5040, 1.0 / 5040);

/** The doubles at byte offset `at` of blocks a and b, as the two lanes of one vector. */
@inline function gather(a: usize, b: usize, at: usize): v128 {
  return v128.load64_lane(b + at, v128.load64_zero(a + at), 1);
}

@inline function hi32(o: usize): i32 { return load<i32>(o); }
@inline function hf(o: usize): f64 { return load<f64>(o); }
@inline function f(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function sf(p: usize, i: i32, v: f64): void { store<f64>(p + (<usize>i << 3), v); }

// A cell's coefficient block (enum Co, Dir and Br of fast.ts).
const DT = 0, STAMP = 1, INV_Q = 2, Z_LO = 5, Z_HI = 6, T_LO = 7, T_HI = 8, P0 = 9, P1 = 10, P2 = 11, P3 = 12,
  M = 13, M0 = 14, DIR = 15;
const R0 = 0, RSUM = 1, BRANCHES = 2;
const BR = 0, BA = 1, BW = 2, BHC = 3, BSIZE = 4;

/** FastCells.commitCells: see there. Returns hi or the cell it stopped at. */
export function commitCells(from: i32, hi: i32, ahead: i32): i32 {
  const dt = hf(D_DT);
  const invDt = 1 / dt;
  const gammaDt = hf(D_GAMMA) * dt;
  const co = <usize>hi32(S_CO);
  const stride = hi32(S_STRIDE);
  const dirStride = hi32(S_DIR_STRIDE);
  const nRc = hi32(S_N_RC);
  const v0 = <usize>hi32(S_V0);
  const v1 = <usize>hi32(S_V1);
  const v2 = <usize>hi32(S_V2);
  const v3 = <usize>hi32(S_V3);
  const etaCharge = hf(D_ETA);
  const modes = <usize>hi32(S_MODE);
  const current = <usize>hi32(S_CURRENT);
  const soc = <usize>hi32(S_SOC);
  const tCellK = <usize>hi32(S_T_CELL);
  const leakA = <usize>hi32(S_LEAK);
  const hasHys = hi32(S_HAS_HYS) != 0;
  const hys = <usize>hi32(S_HYS);
  const sign = <usize>hi32(S_SIGN);
  const electricalJ = <usize>hi32(S_ELECTRICAL_J);
  const heatJ = <usize>hi32(S_HEAT_J);
  const heatW = <usize>hi32(S_HEAT_W);
  const voltageV = <usize>hi32(S_VOLTAGE);
  const emf = <usize>hi32(S_EMF);
  const resistance = <usize>hi32(S_RESISTANCE);
  const crossingCell = hi32(S_CROSSING);
  const tCaseK = <usize>hi32(S_T_CASE);
  const coreC = hf(D_CORE_C);
  const coreG = hf(D_CORE_G);
  const invCore = 1 / (coreC + dt * coreG);
  const windowLo = hi32(S_WINDOW_LO);
  const windowHi = hi32(S_WINDOW_HI);
  const stamp = hf(D_STAMP);
  const seriesOhm = <usize>hi32(S_SERIES);
  const disconnected = <usize>hi32(S_DISCONNECTED);
  const conductance = <usize>hi32(S_CONDUCTANCE);
  let sumG = hf(D_G);
  let sumEG = hf(D_EG);
  // The pair path's constants.
  const chargeBlock = <usize>(DIR + dirStride) << 3;
  const dtV = f64x2.splat(dt);
  const invDtV = f64x2.splat(invDt);
  const gammaDtV = f64x2.splat(gammaDt);
  const coreCV = f64x2.splat(coreC);
  const coreGV = f64x2.splat(coreG);
  const invCoreV = f64x2.splat(invCore);
  for (let i = from; i < hi; i++) {
    // Two cells at once (f64x2, the same operations per lane as the scalar code below) when both take the
    // common path: linearised ahead, inside their OCV box, not a crossing, outside the refresh window, connected,
    // a hysteresis decay by its series. Nothing is stored until both are known to; else the scalar code takes
    // cell i.
    if (ahead && i + 1 < hi && i + 1 != crossingCell && i != crossingCell && (i + 1 < windowLo || i >= windowHi)
      && load<u16>(disconnected + i) == 0) {
      const x8 = <usize>i << 3;
      const oA = co + (<usize>(i * stride) << 3);
      const oB = oA + (<usize>stride << 3);
      const mA = <i32>load<i8>(modes + i);
      const mB = <i32>load<i8>(modes + i + 1);
      const odA = mA > 0 ? oA + chargeBlock : oA + (DIR << 3);
      const odB = mB > 0 ? oB + chargeBlock : oB + (DIR << 3);
      const currentA = v128.load(current + x8);
      const eta = f64x2.replace_lane(f64x2.splat(mA > 0 ? etaCharge : 1.0), 1, mB > 0 ? etaCharge : 1.0);
      const z = v128.load(soc + x8);
      const tK = v128.load(tCellK + x8);
      const leak = v128.load(leakA + x8);
      const invQ = gather(oA, oB, INV_Q << 3);
      const zLo = gather(oA, oB, Z_LO << 3);
      const zHi = gather(oA, oB, Z_HI << 3);
      const netA = f64x2.sub(f64x2.mul(eta, currentA), leak);
      const z1 = f64x2.add(z, f64x2.mul(f64x2.mul(netA, invQ), dtV));
      const inBox = v128.and(f64x2.ge(z1, zLo), f64x2.le(z1, zHi));
      if (i64x2.all_true(inBox)) {
        const p0 = gather(oA, oB, P0 << 3);
        const p1 = gather(oA, oB, P1 << 3);
        const p2 = gather(oA, oB, P2 << 3);
        const p3 = gather(oA, oB, P3 << 3);
        const zm = f64x2.mul(halfV, f64x2.add(z, z1));
        const jD = f64x2.mul(f64x2.add(p2, f64x2.mul(p3, zm)), dtV);
        const jU = f64x2.add(f64x2.mul(f64x2.add(p0, f64x2.mul(p1, zm)), dtV), f64x2.mul(tK, jD));
        const ohmicJ = f64x2.mul(f64x2.mul(f64x2.mul(gather(odA, odB, R0 << 3), currentA), currentA), dtV);
        let elec = f64x2.add(f64x2.mul(currentA, jU), ohmicJ);
        let heat = f64x2.add(
          f64x2.add(ohmicJ, f64x2.mul(f64x2.add(f64x2.mul(f64x2.sub(oneV, eta), currentA), leak), jU)),
          f64x2.mul(f64x2.mul(netA, tK), jD),
        );
        let v0New = zeroV, v1New = zeroV, v2New = zeroV, v3New = zeroV, a0 = zeroV, a1 = zeroV, a2 = zeroV, a3 = zeroV;
        if (nRc > 0) {
          const b = BRANCHES << 3;
          const vOld = v128.load(v0 + x8);
          const vInf = f64x2.mul(gather(odA, odB, b + (BR << 3)), currentA);
          const d = f64x2.sub(vOld, vInf);
          a0 = gather(odA, odB, b + (BA << 3));
          v0New = f64x2.add(vInf, f64x2.mul(a0, d));
          const branchJ = f64x2.mul(currentA, f64x2.add(f64x2.mul(vInf, dtV), f64x2.mul(d, gather(odA, odB, b + (BW << 3)))));
          elec = f64x2.add(elec, branchJ);
          heat = f64x2.add(heat, f64x2.sub(branchJ, f64x2.mul(f64x2.mul(gather(odA, odB, b + (BHC << 3)), f64x2.sub(v0New, vOld)), f64x2.add(v0New, vOld))));
          if (nRc > 1) {
            const b = (BRANCHES + BSIZE) << 3;
            const vOld = v128.load(v1 + x8);
            const vInf = f64x2.mul(gather(odA, odB, b + (BR << 3)), currentA);
            const d = f64x2.sub(vOld, vInf);
            a1 = gather(odA, odB, b + (BA << 3));
            v1New = f64x2.add(vInf, f64x2.mul(a1, d));
            const branchJ = f64x2.mul(currentA, f64x2.add(f64x2.mul(vInf, dtV), f64x2.mul(d, gather(odA, odB, b + (BW << 3)))));
            elec = f64x2.add(elec, branchJ);
            heat = f64x2.add(heat, f64x2.sub(branchJ, f64x2.mul(f64x2.mul(gather(odA, odB, b + (BHC << 3)), f64x2.sub(v1New, vOld)), f64x2.add(v1New, vOld))));
            if (nRc > 2) {
              const b = (BRANCHES + 2 * BSIZE) << 3;
              const vOld = v128.load(v2 + x8);
              const vInf = f64x2.mul(gather(odA, odB, b + (BR << 3)), currentA);
              const d = f64x2.sub(vOld, vInf);
              a2 = gather(odA, odB, b + (BA << 3));
              v2New = f64x2.add(vInf, f64x2.mul(a2, d));
              const branchJ = f64x2.mul(currentA, f64x2.add(f64x2.mul(vInf, dtV), f64x2.mul(d, gather(odA, odB, b + (BW << 3)))));
              elec = f64x2.add(elec, branchJ);
              heat = f64x2.add(heat, f64x2.sub(branchJ, f64x2.mul(f64x2.mul(gather(odA, odB, b + (BHC << 3)), f64x2.sub(v2New, vOld)), f64x2.add(v2New, vOld))));
              if (nRc > 3) {
                const b = (BRANCHES + 3 * BSIZE) << 3;
                const vOld = v128.load(v3 + x8);
                const vInf = f64x2.mul(gather(odA, odB, b + (BR << 3)), currentA);
                const d = f64x2.sub(vOld, vInf);
                a3 = gather(odA, odB, b + (BA << 3));
                v3New = f64x2.add(vInf, f64x2.mul(a3, d));
                const branchJ = f64x2.mul(currentA, f64x2.add(f64x2.mul(vInf, dtV), f64x2.mul(d, gather(odA, odB, b + (BW << 3)))));
                elec = f64x2.add(elec, branchJ);
                heat = f64x2.add(heat, f64x2.sub(branchJ, f64x2.mul(f64x2.mul(gather(odA, odB, b + (BHC << 3)), f64x2.sub(v3New, vOld)), f64x2.add(v3New, vOld))));
              }
            }
          }
        }
        let sNew = zeroV, hNew = zeroV, hysM = zeroV, hysM0 = zeroV;
        let seriesOk = true;
        if (hasHys) {
          // sgn(I) and the held sign, lane by lane as the scalar code (a 0 mode keeps the stored sign).
          const sgn = v128.bitselect(oneV, v128.bitselect(minusOneV, zeroV, f64x2.lt(currentA, zeroV)), f64x2.gt(currentA, zeroV));
          const modeV = f64x2.replace_lane(f64x2.splat(<f64>mA), 1, <f64>mB);
          sNew = v128.bitselect(modeV, v128.load(sign + x8), f64x2.ne(modeV, zeroV));
          const x = f64x2.mul(f64x2.mul(eta, f64x2.abs(currentA)), f64x2.mul(gammaDtV, invQ));
          seriesOk = i64x2.all_true(f64x2.lt(x, seriesLimitV));
          hysM = gather(oA, oB, M << 3);
          hysM0 = gather(oA, oB, M0 << 3);
          const x2 = f64x2.mul(x, x);
          const phi = f64x2.add(
            f64x2.add(f64x2.sub(oneV, f64x2.mul(halfV, x)), f64x2.mul(x2, f64x2.sub(c6V, f64x2.mul(c24V, x)))),
            f64x2.mul(f64x2.mul(x2, x2), f64x2.add(f64x2.sub(c120V, f64x2.mul(c720V, x)), f64x2.mul(c5040V, x2))),
          );
          const decay = f64x2.sub(oneV, f64x2.mul(x, phi));
          const d = f64x2.sub(v128.load(hys + x8), sgn);
          hNew = f64x2.add(sgn, f64x2.mul(d, decay));
          const eHys = f64x2.mul(f64x2.mul(currentA, f64x2.add(f64x2.mul(hysM0, sNew), f64x2.mul(hysM, f64x2.add(sgn, f64x2.mul(d, phi))))), dtV);
          elec = f64x2.add(elec, eHys);
          heat = f64x2.add(heat, eHys);
        }
        const heatRate = f64x2.mul(heat, invDtV);
        const t1 = f64x2.mul(
          f64x2.add(f64x2.mul(coreCV, tK), f64x2.mul(dtV, f64x2.add(f64x2.mul(coreGV, v128.load(tCaseK + x8)), heatRate))),
          invCoreV,
        );
        const inT = v128.and(f64x2.ge(t1, gather(oA, oB, T_LO << 3)), f64x2.le(t1, gather(oA, oB, T_HI << 3)));
        if (seriesOk && i64x2.all_true(inT)) {
          // Commit both cells and linearise them for the next step (mode kept: neither is open).
          if (nRc > 0) v128.store(v0 + x8, v0New);
          if (nRc > 1) v128.store(v1 + x8, v1New);
          if (nRc > 2) v128.store(v2 + x8, v2New);
          if (nRc > 3) v128.store(v3 + x8, v3New);
          if (hasHys) {
            v128.store(sign + x8, sNew);
            v128.store(hys + x8, hNew);
          }
          v128.store(soc + x8, z1);
          v128.store(electricalJ + x8, f64x2.add(v128.load(electricalJ + x8), elec));
          v128.store(heatJ + x8, f64x2.add(v128.load(heatJ + x8), heat));
          v128.store(heatW + x8, heatRate);
          v128.store(voltageV + x8, f64x2.add(v128.load(emf + x8), f64x2.mul(v128.load(resistance + x8), currentA)));
          v128.store(tCellK + x8, t1);
          const dtInvQ = f64x2.mul(dtV, invQ);
          const slope = f64x2.add(p1, f64x2.mul(p3, t1));
          let eNext = f64x2.add(f64x2.add(p0, f64x2.mul(p2, t1)), f64x2.mul(slope, f64x2.sub(z1, f64x2.mul(leak, dtInvQ))));
          if (nRc > 0) {
            eNext = f64x2.add(eNext, f64x2.mul(a0, v0New));
            if (nRc > 1) {
              eNext = f64x2.add(eNext, f64x2.mul(a1, v1New));
              if (nRc > 2) {
                eNext = f64x2.add(eNext, f64x2.mul(a2, v2New));
                if (nRc > 3) eNext = f64x2.add(eNext, f64x2.mul(a3, v3New));
              }
            }
          }
          if (hasHys) eNext = f64x2.add(eNext, f64x2.add(f64x2.mul(hysM0, sNew), f64x2.mul(hysM, hNew)));
          const r = f64x2.add(gather(odA, odB, RSUM << 3), f64x2.mul(slope, f64x2.mul(eta, dtInvQ)));
          v128.store(emf + x8, eNext);
          v128.store(resistance + x8, r);
          const g = f64x2.div(oneV, f64x2.add(r, v128.load(seriesOhm + x8)));
          v128.store(conductance + x8, g);
          const eg = f64x2.mul(eNext, g);
          sumG += f64x2.extract_lane(g, 0);
          sumG += f64x2.extract_lane(g, 1);
          sumEG += f64x2.extract_lane(eg, 0);
          sumEG += f64x2.extract_lane(eg, 1);
          i++;
          continue;
        }
      }
    }
    const currentA = f(current, i);
    const o = co + (<usize>(i * stride) << 3);
    const mode = <i32>load<i8>(modes + i);
    const charging = mode > 0;
    const od = charging ? o + (<usize>(DIR + dirStride) << 3) : o + (DIR << 3);
    const eta = charging ? etaCharge : 1.0;
    const z = f(soc, i);
    const tK = f(tCellK, i);
    const leak = f(leakA, i);
    const invQ = load<f64>(o, INV_Q << 3);
    const zLo = load<f64>(o, Z_LO << 3);
    const zHi = load<f64>(o, Z_HI << 3);
    const p0 = load<f64>(o, P0 << 3);
    const p1 = load<f64>(o, P1 << 3);
    const p2 = load<f64>(o, P2 << 3);
    const p3 = load<f64>(o, P3 << 3);
    const netA = eta * currentA - leak;
    const zRate = netA * invQ;
    const z1 = z + zRate * dt;
    let jU: f64;
    let jD: f64;
    if (z1 >= zLo && z1 <= zHi) {
      const zm = 0.5 * (z + z1);
      jD = (p2 + p3 * zm) * dt;
      jU = (p0 + p1 * zm) * dt + tK * jD;
    } else if (i == crossingCell) {
      jU = hf(D_CROSS_U);
      jD = hf(D_CROSS_D);
    } else {
      store<f64>(D_G, sumG);
      store<f64>(D_EG, sumEG);
      return i;
    }
    const ohmicJ = load<f64>(od, R0 << 3) * currentA * currentA * dt;
    let elec = currentA * jU + ohmicJ;
    let heat = ohmicJ + ((1 - eta) * currentA + leak) * jU + netA * tK * jD;
    let v0New = 0.0, v1New = 0.0, v2New = 0.0, v3New = 0.0, a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    let sNew = 0.0, hNew = 0.0, hysM = 0.0, hysM0 = 0.0;
    if (nRc > 0) {
      const b = od + (BRANCHES << 3);
      const vOld = f(v0, i);
      const vInf = load<f64>(b, BR << 3) * currentA;
      const d = vOld - vInf;
      a0 = load<f64>(b, BA << 3);
      const vNew = vInf + a0 * d;
      sf(v0, i, vNew);
      v0New = vNew;
      const branchJ = currentA * (vInf * dt + d * load<f64>(b, BW << 3));
      elec += branchJ;
      heat += branchJ - load<f64>(b, BHC << 3) * (vNew - vOld) * (vNew + vOld);
      if (nRc > 1) {
        const b = od + ((BRANCHES + BSIZE) << 3);
        const vOld = f(v1, i);
        const vInf = load<f64>(b, BR << 3) * currentA;
        const d = vOld - vInf;
        a1 = load<f64>(b, BA << 3);
        const vNew = vInf + a1 * d;
        sf(v1, i, vNew);
        v1New = vNew;
        const branchJ = currentA * (vInf * dt + d * load<f64>(b, BW << 3));
        elec += branchJ;
        heat += branchJ - load<f64>(b, BHC << 3) * (vNew - vOld) * (vNew + vOld);
        if (nRc > 2) {
          const b = od + ((BRANCHES + 2 * BSIZE) << 3);
          const vOld = f(v2, i);
          const vInf = load<f64>(b, BR << 3) * currentA;
          const d = vOld - vInf;
          a2 = load<f64>(b, BA << 3);
          const vNew = vInf + a2 * d;
          sf(v2, i, vNew);
          v2New = vNew;
          const branchJ = currentA * (vInf * dt + d * load<f64>(b, BW << 3));
          elec += branchJ;
          heat += branchJ - load<f64>(b, BHC << 3) * (vNew - vOld) * (vNew + vOld);
          if (nRc > 3) {
            const b = od + ((BRANCHES + 3 * BSIZE) << 3);
            const vOld = f(v3, i);
            const vInf = load<f64>(b, BR << 3) * currentA;
            const d = vOld - vInf;
            a3 = load<f64>(b, BA << 3);
            const vNew = vInf + a3 * d;
            sf(v3, i, vNew);
            v3New = vNew;
            const branchJ = currentA * (vInf * dt + d * load<f64>(b, BW << 3));
            elec += branchJ;
            heat += branchJ - load<f64>(b, BHC << 3) * (vNew - vOld) * (vNew + vOld);
          }
        }
      }
    }
    if (hasHys) {
      const sgn: f64 = currentA > 0 ? 1 : currentA < 0 ? -1 : 0;
      sNew = <f64>mode;
      if (mode != 0) sf(sign, i, <f64>mode);
      else sNew = f(sign, i);
      const x = eta * Math.abs(currentA) * (gammaDt * invQ);
      hysM = load<f64>(o, M << 3);
      hysM0 = load<f64>(o, M0 << 3);
      let phi: f64;
      let decay: f64;
      if (x < 0.03) {
        const x2 = x * x;
        phi = 1 - 0.5 * x + x2 * (1.0 / 6 - (1.0 / 24) * x) + x2 * x2 * (1.0 / 120 - (1.0 / 720) * x + (1.0 / 5040) * x2);
        decay = 1 - x * phi;
      } else {
        decay = jsExp(-x);
        phi = (1 - decay) / x;
      }
      const d = f(hys, i) - sgn;
      hNew = sgn + d * decay;
      sf(hys, i, hNew);
      const eHys = currentA * (hysM0 * sNew + hysM * (sgn + d * phi)) * dt;
      elec += eHys;
      heat += eHys;
    }
    sf(soc, i, z1);
    sf(electricalJ, i, f(electricalJ, i) + elec);
    sf(heatJ, i, f(heatJ, i) + heat);
    const heatRate = heat * invDt;
    sf(heatW, i, heatRate);
    sf(voltageV, i, f(emf, i) + f(resistance, i) * currentA);
    if (!ahead) continue;
    const t1 = (coreC * tK + dt * (coreG * f(tCaseK, i) + heatRate)) * invCore;
    sf(tCellK, i, t1);
    if (
      (i >= windowLo && i < windowHi && load<f64>(o, STAMP << 3) != stamp) ||
      z1 < zLo || z1 > zHi || t1 < load<f64>(o, T_LO << 3) || t1 > load<f64>(o, T_HI << 3)
    ) {
      store<f64>(D_G, sumG);
      store<f64>(D_EG, sumEG);
      store<i32>(S_COMMITTED, i);
      return i;
    }
    const open = load<u8>(disconnected + i) != 0;
    const next = open ? 0 : mode;
    let odNext = od;
    if (open) {
      store<i8>(modes + i, 0);
      odNext = o + (DIR << 3);
      if (nRc > 0) a0 = load<f64>(odNext, (BRANCHES + BA) << 3);
      if (nRc > 1) a1 = load<f64>(odNext, (BRANCHES + BSIZE + BA) << 3);
      if (nRc > 2) a2 = load<f64>(odNext, (BRANCHES + 2 * BSIZE + BA) << 3);
      if (nRc > 3) a3 = load<f64>(odNext, (BRANCHES + 3 * BSIZE + BA) << 3);
    }
    const dtInvQ = dt * invQ;
    const slope = p1 + p3 * t1;
    let eNext = p0 + p2 * t1 + slope * (z1 - leak * dtInvQ);
    if (nRc > 0) {
      eNext += a0 * v0New;
      if (nRc > 1) {
        eNext += a1 * v1New;
        if (nRc > 2) {
          eNext += a2 * v2New;
          if (nRc > 3) eNext += a3 * v3New;
        }
      }
    }
    if (hasHys) eNext += hysM0 * (next != 0 ? <f64>next : sNew) + hysM * hNew;
    const r = load<f64>(odNext, RSUM << 3) + slope * ((next > 0 ? etaCharge : 1.0) * dtInvQ);
    sf(emf, i, eNext);
    sf(resistance, i, r);
    const g = open ? 0.0 : 1 / (r + f(seriesOhm, i));
    sf(conductance, i, g);
    sumG += g;
    sumEG += eNext * g;
  }
  store<f64>(D_G, sumG);
  store<f64>(D_EG, sumEG);
  return hi;
}

/**
 * One pass of Pack.solveGroups over cells base … end−1 at the group voltage vGroup: each cell's current, the
 * cells whose current left their mode's band (mode changed, listed at the flips pointer; returns how many) and
 * the current extremes by mode (into the header).
 */
export function solveCells(base: i32, end: i32, vGroup: f64, pass: i32, stepCount: i32, band: f64, threshold: f64): i32 {
  const current = <usize>hi32(S_CURRENT);
  const modes = <usize>hi32(S_MODE);
  const conductance = <usize>hi32(S_CONDUCTANCE);
  const emf = <usize>hi32(S_EMF);
  const flippedAt = <usize>hi32(S_FLIPPED_AT);
  const flips = <usize>hi32(S_FLIPS);
  let chargeMin = Infinity;
  let dischargeMax = -Infinity;
  let restMin = Infinity;
  let restMax = -Infinity;
  let flipped = 0;
  for (let i = base; i < end; i++) {
    const gi = f(conductance, i);
    if (gi == 0) {
      sf(current, i, 0);
      continue;
    }
    const ii = (vGroup - f(emf, i)) * gi;
    sf(current, i, ii);
    const mode = <i32>load<i8>(modes + i);
    const accepted = mode > 0 ? ii > -band : mode < 0 ? ii < band : Math.abs(ii) <= band;
    const at = flippedAt + (<usize>i << 2);
    if (!accepted && pass < 3 && load<i32>(at) != stepCount) {
      store<i32>(at, stepCount);
      store<i8>(modes + i, <i8>(ii > threshold ? 1 : ii < -threshold ? -1 : 0));
      store<i32>(flips + (<usize>flipped << 2), i);
      flipped++;
    }
    if (mode > 0) {
      if (ii < chargeMin) chargeMin = ii;
    } else if (mode < 0) {
      if (ii > dischargeMax) dischargeMax = ii;
    } else {
      if (ii < restMin) restMin = ii;
      if (ii > restMax) restMax = ii;
    }
  }
  store<f64>(D_CHARGE_MIN, chargeMin);
  store<f64>(D_DISCHARGE_MAX, dischargeMax);
  store<f64>(D_REST_MIN, restMin);
  store<f64>(D_REST_MAX, restMax);
  return flipped;
}

/**
 * The cell loop of Pack.thermalGroup over one group's cases base … base + np − 1 (see there): steps each case,
 * adds the interconnect heat and the charge throughput; Σ case temperatures and Σ interconnect heat into the
 * header.
 */
export function thermalCells(
  base: i32,
  np: i32,
  hasBefore: bool,
  hasAfter: bool,
  dt: f64,
  c2: f64,
  gcc: f64,
  gn: f64,
  fixedW: f64,
  invInner: f64,
  invEnd: f64,
  beforeInner: f64,
  beforeEnd: f64,
): void {
  const tc = <usize>hi32(S_T_CELL);
  const tk = <usize>hi32(S_T_CASE);
  const current = <usize>hi32(S_CURRENT);
  const interconnect = <usize>hi32(S_INTERCONNECT);
  const throughput = <usize>hi32(S_THROUGHPUT);
  const last = base + np - 1;
  let sumCase = 0.0;
  let heatIc = 0.0;
  let before = 0.0;
  let own = f(tk, base);
  for (let i = base; i <= last; i++) {
    const next = i < last ? f(tk, i + 1) : 0;
    let sumGT = gcc * f(tc, i) + fixedW + gn * next;
    if (hasBefore) sumGT += gn * f(tk, i - np);
    if (hasAfter) sumGT += gn * f(tk, i + np);
    const ii = f(current, i);
    const icW = f(interconnect, i) * ii * ii;
    heatIc += icW;
    sf(throughput, i, f(throughput, i) + Math.abs(ii) * dt);
    const inner = i > base && i < last;
    const t = (c2 * own + dt * (sumGT + icW)) * (inner ? invInner : invEnd) + (inner ? beforeInner : beforeEnd) * before;
    sf(tk, i, t);
    sumCase += t;
    before = t;
    own = next;
  }
  store<f64>(D_SUM_CASE, sumCase);
  store<f64>(D_HEAT_IC, heatIc);
}
