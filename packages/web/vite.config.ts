// Two builds from one source: the dashboard the server serves (dist/dashboard/), and with `--mode browser` the page
// where the twin and the BMS run in the browser alone (dist/browser/, deployable as static files anywhere).
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** The static page is the whole site of its build: serve it as index.html. */
const browserPageAsIndex: Plugin = {
  name: "browser-page-as-index",
  enforce: "post",
  generateBundle(_options, bundle) {
    const page = bundle["browser.html"];
    if (page) {
      page.fileName = "index.html";
      bundle["index.html"] = page;
      delete bundle["browser.html"];
    }
  },
};

export default defineConfig(({ mode }) => ({
  root: here("."),
  base: "./",
  // The worker loads its cell parameter set and drive cycles lazily, so it is split into chunks (ES modules).
  worker: { format: "es" },
  plugins: mode === "browser" ? [browserPageAsIndex] : [],
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
