// Worker threads do not inherit tsx's module hooks, so the worker registers them before loading its code.
import { register } from "tsx/esm/api";

register();
await import("./tcp-link-worker.ts");
