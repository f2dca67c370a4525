import { APIRequestContext, expect, Page } from "@playwright/test";
import { deviceSecret } from "../playwright.config";

/** Opens a page and waits until the wasm has hydrated it. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** A device id no other test uses. */
export function freshId(prefix: string) {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** Registers a device through the Devices page. */
export async function register(page: Page, id: string) {
  await open(page, "/devices");
  // A lazy page hydrates a moment after the app: text typed before that is reset, so the
  // id is typed again until the form has taken it.
  const button = page.getByRole("button", { name: "Register" });
  await expect(async () => {
    await page.getByLabel("Device id").fill(id);
    await expect(button).toBeEnabled({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await button.click();
  await expect(page.getByTestId("register-result")).toContainText(`Registered ${id}`);
}

/** Ticks devices in a device picker, which offers the first 50 matches of a search by id
 * prefix: each one is searched for first. */
export async function choose(page: Page, ids: string[]) {
  for (const id of ids) {
    const box = page.getByTestId("device-choices").getByLabel(id);
    // Typed again until the search takes it (a lazy page may hydrate after the text went in).
    await expect(async () => {
      await page.getByLabel("Find devices").fill(id);
      await expect(box).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 15_000 });
    await box.check();
  }
}

/** Back-fills `days` of virtual-device data for `ids` from the Write page and waits for the end. */
export async function backfill(page: Page, ids: string[], days: number) {
  await open(page, "/write");
  // The count of points written since the server started: it grows by a point a minute a device.
  const state = page.getByTestId("writer-state");
  const written = async () => Number((await state.textContent())?.match(/(\d+) points written/)?.[1] ?? NaN);
  await expect.poll(written).toBeGreaterThanOrEqual(0);
  const before = await written();
  await choose(page, ids);
  await page.getByLabel("Days").fill(String(days));
  await page.getByRole("button", { name: "Back-fill" }).click();
  await expect.poll(written, { timeout: 30_000 }).toBe(before + days * 1440 * ids.length);
  await expect(page.getByTestId("backfill-progress")).toBeHidden();
}

/** What a device with the provisioning secret gets from `GET /api/env/<id>` (registering it). */
export async function deviceEnv(request: APIRequestContext, id: string) {
  const answer = await request.get(`/api/env/${id}`, { headers: { "X-Provisioning-Secret": deviceSecret } });
  expect(answer.status()).toBe(200);
  return answer.json();
}

/** Writes line protocol (precision s) to InfluxDB as the device itself, with the token its
 * configuration gives it; returns the HTTP status. */
export async function deviceWriter(request: APIRequestContext, id: string) {
  const env = await deviceEnv(request, id);
  return async (body: string) =>
    (
      await request.post(
        `${env.influx_url}/api/v2/write?org=${env.influx_org}&bucket=${env.influx_bucket}&precision=s`,
        { headers: { Authorization: `Token ${env.influx_token}` }, data: body },
      )
    ).status();
}
