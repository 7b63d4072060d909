export * from "./client.ts";
export * from "./home-assistant.ts";
