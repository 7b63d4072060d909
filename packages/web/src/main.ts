// The dashboard served by `coxswain start`: live data from the server, control with the token.
import "./style.css";
import { mountDashboard } from "./dashboard.ts";
import { ServerSource, TOKEN_KEY } from "./source.ts";

mountDashboard(
  document.getElementById("app")!,
  new ServerSource(() => localStorage.getItem(TOKEN_KEY) ?? ""),
  "coxswain",
);
