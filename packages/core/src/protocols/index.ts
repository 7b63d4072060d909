import { CoxswainHostProtocol } from "./coxswain-host.ts";
import { registerHostProtocol } from "./host.ts";
import { PylonProtocol } from "./pylontech.ts";

export * from "./cmu.ts";
export * from "./config.ts";
export * from "./coxswain-host.ts";
export * from "./dbc-text.ts";
export * from "./host.ts";
export * from "./pylontech.ts";
export * from "./runner.ts";

registerHostProtocol("pylon", () => new PylonProtocol());
registerHostProtocol("coxswain", () => new CoxswainHostProtocol());
