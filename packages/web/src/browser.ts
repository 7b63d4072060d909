// The static in-browser page: the twin and the BMS in a worker, the same dashboard on top.
import "./style.css";
import { mountDashboard } from "./dashboard.ts";
import { WorkerSource } from "./source.ts";

const worker = new Worker(new URL("./twin-worker.ts", import.meta.url), { type: "module" });
mountDashboard(document.getElementById("app")!, new WorkerSource(worker), "coxswain · in your browser");
