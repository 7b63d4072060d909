/**
 * The plant of twin.bench.ts with the loops over cells in JavaScript (Pack's kernel = false) instead of the
 * WebAssembly kernel: the same arithmetic bit for bit, so the ratio to twin.cellSteps_per_s is the kernel's gain.
 *
 *   twin.js.cellSteps_per_s / twin.js.cellSteps_per_cpu_s / twin.js.peakRss_MB / twin.js.heapUsed_MB
 */
import { benchPlant } from "./twin-plant.ts";

benchPlant(false, "twin.js");
