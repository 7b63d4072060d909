// Two builds from one source: the dashboard the server serves (dist/dashboard/), and with `--mode browser` the page
// where the twin and the BMS run in the browser alone (dist/browser/, deployable as static files anywhere).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig(({ mode }) => ({
  root: here("."),
  base: "./",
  build:
    mode === "browser"
      ? {
          outDir: here("dist/browser"),
          emptyOutDir: true,
          rollupOptions: { input: { index: here("browser.html") } },
        }
      : {
          outDir: here("dist/dashboard"),
          emptyOutDir: true,
          rollupOptions: { input: { index: here("index.html") } },
        },
}));
