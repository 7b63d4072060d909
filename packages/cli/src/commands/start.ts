import type { Command } from "commander";

export function registerStart(program: Command): void {
  program
    .command("start")
    .description("the main job: run coxswain (for now, a cell simulation over a drive cycle with a summary)")
    .action(async () => {
      const { runDemo } = await import("../demo.ts");
      runDemo();
    });
}
