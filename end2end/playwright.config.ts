import { defineConfig } from "@playwright/test";

// The server under test: the binary `cargo leptos build` just built, started from the
// repository root (so it reads Leptos.toml) on its own port, with a fresh embedded store.
const port = Number(process.env.E2E_PORT ?? 5055);
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    command:
      `rm -rf target/e2e-data && ./target/debug/iot-center --listen 127.0.0.1:${port}` +
      ` --tsdb-listen 127.0.0.1:0 --data-dir target/e2e-data --config /nonexistent/config.ini`,
    cwd: "..",
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
