import { test, expect } from "@playwright/test";
import { deviceWriter, freshId, open, register } from "./helpers";

test("a device goes from never seen to online when it writes", async ({ page, request }) => {
  const id = freshId("fresh");
  await register(page, id);
  await open(page, `/devices?q=${id}`);
  const row = page.getByTestId("device-table").getByRole("row", { name: new RegExp(id) });
  await expect(row).toContainText("never seen");
  await open(page, "/");
  await expect(page.getByTestId("status-counts")).toContainText("never seen");

  const write = await deviceWriter(request, id);
  expect(await write(`environment,clientId=${id} Temperature=21.5,Humidity=40`)).toBe(204);
  // The device list reads the fleet index, which looks for new points every 5 s.
  await expect(async () => {
    await open(page, `/devices?q=${id}`);
    await expect(row).toContainText("online", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await open(page, `/devices/${id}`);
  await expect(page.getByTestId("device-status")).toHaveText("online");
  await expect(page.getByTestId("activity")).toContainText("1 points in the last hour");
});

test("the Health page shows InfluxDB healthy and charts the app's own metrics", async ({ page, request }) => {
  const health = await (await request.get("/health")).json();
  expect(health.status).toBe("pass");
  expect((await request.get("/ready")).status()).toBe(200);

  await open(page, "/status");
  const influx = page.getByTestId("check-influxdb");
  await expect(influx).toContainText("pass");
  await expect(influx).toContainText(/v2\.\d+/);
  await expect(page.getByTestId("health-status")).toContainText("All checks pass");
  // Alone on its state database, this instance is the one that evaluates the alert rules.
  const instances = page.getByTestId("instances");
  await expect(instances.getByRole("row")).toHaveCount(2);
  await expect(instances).toContainText("(this one)");
  await expect(instances).toContainText("evaluates them");
  // The app writes its metrics every 10 s: within a few flushes the charts have points.
  await expect
    .poll(
      async () => {
        await open(page, "/status?range=5m");
        return Number((await page.locator("figure.chart").first().getAttribute("data-points")) ?? 0);
      },
      { timeout: 40_000, intervals: [2_000] },
    )
    .toBeGreaterThan(0);
  await expect(page.getByTestId("metric-charts")).toContainText("Requests");
  await expect(page.getByTestId("metric-charts")).toContainText("Memory");
  // Narrow charts keep their time labels apart: looked at, not asserted.
  await page.setViewportSize({ width: 700, height: 900 });
  await page.screenshot({ path: "test-results/health-narrow.png", fullPage: true });
});
