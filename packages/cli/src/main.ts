/** The `coxswain` command. Each command group lives in ./commands and registers itself on the program. */
import { Command, CommanderError } from "commander";
import { commands } from "./commands/index.ts";

const program = new Command("coxswain")
  .description("coxswain: battery management system and battery digital twin")
  .version("0.1.0")
  .showHelpAfterError()
  .exitOverride();
for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(`coxswain: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
