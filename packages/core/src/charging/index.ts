export * from "./anode.ts";
export * from "./charge.ts";
export * from "./copper.ts";
