import { test, expect } from "@playwright/test";
import { backfill, choose, deviceWriter, freshId, open, register } from "./helpers";

test("back-fill a device, query it, remove it and see its token stop working", async ({ page, request }) => {
  const id = freshId("virtual");
  await register(page, id);

  // The device writes with the token and InfluxDB URL its configuration gave it.
  const write = await deviceWriter(request, id);
  expect(await write(`environment,clientId=${id} Temperature=20.5`)).toBe(204);

  await backfill(page, [id], 1);

  await open(page, `/data?device=${id}&range=1d`);
  const tiles = page.getByTestId("last-values");
  for (const field of ["Temperature", "Humidity", "Pressure", "CO2", "TVOC"]) {
    await expect(tiles).toContainText(field);
  }
  await expect(page.getByTestId("records").locator("tbody tr")).toHaveCount(20);
  await expect(page.getByRole("heading", { name: /Records \(14\d\d in the last 1d\)/ })).toBeVisible();
  await page.getByRole("link", { name: "Older →" }).click();
  await expect(page).toHaveURL(/page=1/);
  await page.getByRole("link", { name: "5m" }).click();
  await expect(page).toHaveURL(/range=5m/);

  // A custom range, in UTC as the form says: two hours ago to one hour ago.
  const utc = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000).toISOString().slice(0, 16);
  await page.getByLabel("From").fill(utc(2));
  await page.getByLabel("to (UTC)").fill(utc(1));
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/range=custom.*&from=.*&to=/);
  await expect(page.getByRole("heading", { name: /Records \((59|60|61) from / })).toBeVisible();

  await open(page, `/devices?q=${id}`);
  await expect(page.getByTestId("device-table").getByRole("row", { name: new RegExp(id) })).toContainText("online");

  await open(page, `/devices/${id}`);
  await page.getByRole("button", { name: "Remove device…" }).click();
  await page.getByRole("button", { name: `Yes, remove ${id}` }).click();
  await expect(page.getByTestId("device-status")).toHaveText("removed");
  expect(await write(`environment,clientId=${id} Temperature=21.5`)).toBe(401);
});

test("a device without data says so", async ({ page }) => {
  const id = freshId("quiet");
  await register(page, id);
  await open(page, `/data?device=${id}&range=1h`);
  await expect(page.getByTestId("no-data")).toContainText("No data in this range");
});

test("the buckets page lists the telemetry and registry buckets", async ({ page }) => {
  await open(page, "/buckets");
  const table = page.getByTestId("bucket-table");
  await expect(table).toContainText("iot_center");
  await expect(table).toContainText("iot_center_devices");
  await expect(table).toContainText("forever");
});

test("the continuous writer runs in the server, across page reloads, until stopped", async ({ page }) => {
  const id = freshId("live");
  await register(page, id);
  await open(page, "/write");
  await choose(page, [id]);
  await page.getByLabel("Every (s)").fill("1");
  await page.getByRole("button", { name: "Start" }).click();
  const state = page.getByTestId("writer-state");
  await expect(state).toContainText(`Writing every 1 s over HTTP for ${id}`);

  await open(page, "/write");
  await expect(state).toContainText(`Writing every 1 s over HTTP for ${id}`);
  await open(page, `/data?device=${id}&range=5m`);
  await expect(page.getByTestId("last-values")).toContainText("Temperature");

  await open(page, "/write");
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(state).toContainText("Stopped.");
});
