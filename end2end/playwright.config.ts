import { defineConfig } from "@playwright/test";

// The server under test: the binary `cargo leptos build` just built, started from the
// repository root (so it reads Leptos.toml) on its own port, with a fresh embedded store and
// an admin made with `iot-center user add` (the tests sign in as them: global-setup.ts).
// A second server with no users at all shows the first-start setup page.
const port = Number(process.env.E2E_PORT ?? 5055);
const freshPort = port + 1;
const baseURL = `http://127.0.0.1:${port}`;
export const freshURL = `http://127.0.0.1:${freshPort}`;
const installPort = port + 2;
/** The binary as installed: copied beside its site, started from an empty directory. */
export const installURL = `http://127.0.0.1:${installPort}`;
export const admin = { name: "admin", password: "e2e-admin-password" };
/** The provisioning secret: a device sending it registers itself; others wait for approval. */
export const deviceSecret = "e2e-fleet-secret";
// Each server's MQTT listener on a port of its own, next to its web port.
const serve = (dir: string, listen: number) =>
  `./target/debug/iot-center --listen 127.0.0.1:${listen} --tsdb-listen 127.0.0.1:0` +
  ` --mqtt-listen 127.0.0.1:${listen + 100}` +
  ` --data-dir ${dir} --config /nonexistent/config.ini --device-provisioning-secret ${deviceSecret}` +
  // Alert rules checked every second, so a test sees one fire within seconds.
  ` --alert-evaluate-every 1` +
  // The tests' webhook receiver is on loopback, which alerts may reach only when allowed.
  ` --alert-allowed-hosts 127.0.0.1`;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  globalSetup: "./global-setup.ts",
  use: {
    baseURL,
    storageState: ".auth/admin.json",
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
  webServer: [
    {
      command:
        `rm -rf target/e2e-data && printf '%s\\n' '${admin.password}' |` +
        ` ./target/debug/iot-center --data-dir target/e2e-data --config /nonexistent/config.ini` +
        ` user add ${admin.name} --role admin && ${serve("target/e2e-data", port)}`,
      cwd: "..",
      url: `${baseURL}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: `rm -rf target/e2e-fresh && ${serve("target/e2e-fresh", freshPort)}`,
      cwd: "..",
      url: `${freshURL}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
    {
      // No Leptos.toml and no repository where it starts: it finds `site/` beside itself.
      command:
        `rm -rf target/e2e-install && mkdir -p target/e2e-install/empty` +
        ` && cp target/debug/iot-center target/e2e-install/ && cp -r target/site target/e2e-install/site` +
        ` && cd target/e2e-install/empty && ../iot-center --listen 127.0.0.1:${installPort}` +
        ` --tsdb-listen 127.0.0.1:0 --mqtt-listen off --data-dir ../data --config /nonexistent/config.ini`,
      cwd: "..",
      url: `${installURL}/health`,
      reuseExistingServer: false,
      timeout: 60_000,
    },
  ],
});
