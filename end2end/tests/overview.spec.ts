import { test, expect } from "@playwright/test";

test("the overview hydrates and shows the fleet", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("Overview · IoT Center");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByTestId("status-counts")).toBeVisible();
});

test("an address with no page says so and leads home", async ({ page }) => {
  await page.goto("/no/such/page");
  await expect(page).toHaveTitle("Not found · IoT Center");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Not found");
  await page.getByRole("link", { name: "Go to the overview" }).click();
  await expect(page).toHaveURL("/");
});

test("the navigation reaches every page", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [label, path] of [
    ["Devices", "/devices"],
    ["Write data", "/write"],
    ["Query data", "/data"],
    ["Buckets", "/buckets"],
    ["Alerts", "/alerts"],
    ["Health", "/status"],
    ["Overview", "/"],
  ]) {
    await nav.getByRole("link", { name: label, exact: true }).click();
    await expect(page).toHaveURL(path);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(label);
  }
});
