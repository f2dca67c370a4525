import { expect, Page } from "@playwright/test";

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
  await page.getByLabel("Device id").fill(id);
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("register-result")).toContainText(`Registered ${id}`);
}
