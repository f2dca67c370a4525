import { test, expect, Page } from "@playwright/test";
import { deviceWriter, freshId, open, register } from "./helpers";

/** The Overview's count of devices in `status`. */
async function count(overview: Page, status: string) {
  const tile = overview.getByTestId("status-counts").locator(".status-count", { hasText: status });
  return Number(await tile.locator(".count").textContent());
}

test("after a buffered upload the device list, the device page and the Overview agree, with no reload", async ({ page, context, request }) => {
  const id = freshId("buffered");
  await register(page, id);
  const list = page;
  const device = await context.newPage();
  const overview = await context.newPage();
  await open(list, `/devices?q=${id}`);
  await open(device, `/devices/${id}`);
  await open(overview, "/");
  const row = list.getByTestId("device-table").getByRole("row", { name: new RegExp(id) });
  await expect(row).toContainText("never seen");
  await expect(device.getByTestId("device-seen")).toHaveText("Never seen");
  const offline = await count(overview, "offline");

  // An hour of readings kept through an outage, the newest an hour old, sent at once.
  const write = await deviceWriter(request, id);
  const newest = Math.floor(Date.now() / 1000) - 3600;
  const lines = Array.from({ length: 60 }, (_, m) => `environment,clientId=${id} Temperature=21.5 ${newest - (59 - m) * 60}`);
  expect(await write(lines.join("\n"))).toBe(204);

  // No reload: each view looks again within 5 s, and all say the same.
  await expect(row).toContainText("1 h ago", { timeout: 6_000 });
  await expect(row).toContainText("offline");
  await expect(device.getByTestId("device-seen")).toContainText("Last seen 1 h ago", { timeout: 6_000 });
  await expect(device.getByTestId("device-status")).toHaveText("offline");
  await expect.poll(() => count(overview, "offline"), { timeout: 6_000 }).toBe(offline + 1);
  await device.screenshot({ path: "test-results/device-after-buffered-upload.png", fullPage: true });
});

test("a device whose clock is ahead is seen on arrival, and its page says so", async ({ page, request }) => {
  const id = freshId("ahead");
  await register(page, id);
  const write = await deviceWriter(request, id);
  const ahead = Math.floor(Date.now() / 1000) + 3 * 3600;
  expect(await write(`environment,clientId=${id} Temperature=21.5 ${ahead}`)).toBe(204);
  await open(page, `/devices/${id}`);
  await expect(page.getByTestId("device-status")).toHaveText("online");
  await expect(page.getByTestId("device-seen")).toContainText(/Last seen (just now|\d+ s ago)/);
  await expect(page.getByTestId("clock-skew")).toContainText("Its clock is 3 h ahead");
  await page.screenshot({ path: "test-results/device-clock-ahead.png", fullPage: true });
});
