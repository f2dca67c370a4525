import { test, expect } from "@playwright/test";

test("the overview hydrates and a server function answers", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveTitle("Overview · IoT Center");
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");

  await page.getByRole("button", { name: "Check the server" }).click();
  const answer = page.getByTestId("server-answer");
  await expect(answer).toContainText(/Server v\d+\.\d+\.\d+ answered at \d{4}-\d\d-\d\dT/);
  await expect(answer).toHaveClass(/ok/);
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
    ["Health", "/status"],
    ["Overview", "/"],
  ]) {
    await nav.getByRole("link", { name: label, exact: true }).click();
    await expect(page).toHaveURL(path);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(label);
  }
});
