import { test, expect } from "@playwright/test";
import { deviceEnv, freshId, open, register } from "./helpers";

test("register a device, see it listed, reveal its token", async ({ page }) => {
  const id = freshId("ESP32");
  await register(page, id);
  await open(page, `/devices?q=${id}`);
  const row = page.getByTestId("device-table").getByRole("row", { name: new RegExp(id) });
  await expect(row).toContainText("never seen");

  await row.getByRole("link", { name: id }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(id);
  const config = page.getByTestId("device-config");
  await expect(config).toContainText(`id: ${id}`);
  await expect(config).toContainText("influx_token: ••••••");
  await expect(page.getByTestId("device-token")).toHaveCount(0);
  await page.getByRole("button", { name: "Reveal token" }).click();
  await expect(page.getByTestId("device-token")).toHaveText(/^iotc_[A-Za-z0-9_-]{43}$/);
});

test("a bad device id is explained and not sent", async ({ page }) => {
  await open(page, "/devices");
  await page.getByLabel("Device id").fill("bad id!");
  await expect(page.getByRole("alert")).toContainText("is not allowed in a device id");
  await expect(page.getByRole("button", { name: "Register" })).toBeDisabled();
});

test("registering twice keeps one token", async ({ page, request }) => {
  const id = freshId("twice");
  const first = await deviceEnv(request, id);
  const second = await deviceEnv(request, id);
  expect(first.newlyRegistered).toBe(true);
  expect(second.newlyRegistered).toBe(false);
  expect(second.influx_token).toBe(first.influx_token);
  const unknown = await request.get(`/api/env/${freshId("unknown")}?register=false`);
  expect(unknown.status()).toBe(403);
  const bad = await request.get(`/api/env/bad%20id`);
  expect(bad.status()).toBe(400);
  expect((await bad.json()).error).toContain("not allowed");
  await open(page, `/devices?q=${id}`);
  await expect(page.getByTestId("device-table")).toContainText(id);
});

test("a device without the provisioning secret waits until an operator approves it", async ({ page, request }) => {
  const id = freshId("plant");
  const asked = await request.get(`/api/env/${id}`);
  expect(asked.status()).toBe(403);
  expect(await asked.json()).toEqual({ id, registered: false, pending: true });
  await open(page, "/devices");
  const waiting = page.getByTestId("pending-devices");
  await expect(waiting).toContainText("waits here until an operator approves it");
  await expect(waiting.getByRole("row", { name: new RegExp(id) })).toContainText("1");
  await page.getByTestId(`approve-${id}`).click();
  await expect(waiting).not.toContainText(id);
  await open(page, `/devices?q=${id}`);
  await expect(page.getByTestId("device-table")).toContainText(id);
  const approved = await request.get(`/api/env/${id}`);
  expect(approved.status()).toBe(200);
  expect((await approved.json()).id).toBe(id);
});

test("the device list is searched and paged on the server, in the URL", async ({ page, request }) => {
  const prefix = freshId("fleet");
  for (let n = 0; n < 52; n++) await deviceEnv(request, `${prefix}-${String(n).padStart(2, "0")}`);
  await open(page, "/devices");
  await page.getByLabel("Id starts with").fill(prefix);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(new RegExp(`q=${prefix}`));
  await expect(page.getByTestId("device-count")).toContainText("1–50 of 52 devices (of ");
  await expect(page.getByTestId("device-table").getByRole("row")).toHaveCount(51);
  await page.getByRole("link", { name: "Next →" }).click();
  await expect(page).toHaveURL(/page=1/);
  await expect(page.getByTestId("device-count")).toContainText("51–52 of 52 devices");
  await expect(page.getByTestId("device-table")).toContainText(`${prefix}-51`);
  await open(page, `/devices?q=${prefix}&status=online`);
  await expect(page.getByTestId("no-devices")).toContainText("None of the");
});

test("a fleet is imported from a CSV file, its new tokens offered once", async ({ page }) => {
  const prefix = freshId("csv");
  const csv = `deviceId,model\n${prefix}-1,esp32\n${prefix}-2,esp32\n`;
  await open(page, `/devices?q=${prefix}`);
  await expect(page.getByTestId("no-devices")).toBeVisible();
  await page.getByLabel("CSV file").setInputFiles({ name: "fleet.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await expect(page.getByLabel("Ids to register")).toHaveValue(csv);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-result")).toHaveText("Registered 2 devices.");
  const href = (await page.getByTestId("import-tokens").getAttribute("href"))!;
  const tokens = decodeURIComponent(href.slice(href.indexOf(",") + 1));
  expect(tokens).toMatch(new RegExp(`^id,token\\n${prefix}-1,iotc_[A-Za-z0-9_-]{43}\\n${prefix}-2,iotc_`));
  // The list shows them without a reload.
  await expect(page.getByTestId("device-count")).toContainText("1–2 of 2 devices");

  // Again with one more and a bad row: the bad row is named and nothing is registered.
  await page.getByLabel("Ids to register").fill(`${prefix}-1\n${prefix}-3\nnot an id\n`);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("alert")).toContainText('line 3: "not an id" is not a device id');
  await page.getByLabel("Ids to register").fill(`${prefix}-1\n${prefix}-3\n`);
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByTestId("import-result")).toHaveText("Registered 1 device; 1 already had a token and keep it.");
  await expect(page.getByTestId("device-count")).toContainText("1–3 of 3 devices");
});
