import type { Command } from "commander";
import { addLiveOptions, runLive } from "./serve.ts";

export function registerStart(program: Command): void {
  addLiveOptions(
    program
      .command("start")
      .description(
        "the main job: the BMS controller on the default pack's twin (110s36p LG M50) in real time, with the live dashboard on http://127.0.0.1:8080",
      ),
  ).action((opts) => runLive(opts));
}
