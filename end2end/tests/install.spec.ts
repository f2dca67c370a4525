import { test, expect } from "@playwright/test";
import { installURL } from "../playwright.config";

// A stranger's browser: the installed server has no users yet.
test.use({ storageState: { cookies: [], origins: [] } });

test("the binary copied beside its site and started from an empty directory serves pages that come alive", async ({ page }) => {
  const fetched: string[] = [];
  page.on("response", (r) => fetched.push(`${r.status()} ${new URL(r.url()).pathname}`));
  await page.goto(`${installURL}/`);
  // No one can sign in yet: the first-start page, drawn by the server, then alive.
  await expect(page).toHaveURL(/\/setup/);
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1, { timeout: 20_000 });
  expect(fetched.filter((f) => /^200 \/pkg\/.*\.wasm$/.test(f)).length).toBeGreaterThan(0);
  expect(fetched.filter((f) => /^200 \/pkg\/.*\.css$/.test(f)).length).toBeGreaterThan(0);
  await page.screenshot({ path: "test-results/install-setup.png", fullPage: true });
});
