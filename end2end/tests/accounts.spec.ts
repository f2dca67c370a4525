import { test, expect, Browser, Page } from "@playwright/test";
import { choose, freshId, open, register } from "./helpers";
import { freshURL } from "../playwright.config";

const nobody = { cookies: [], origins: [] };

/** A new browser session signed in as `name`. */
async function signIn(browser: Browser, name: string, password: string): Promise<Page> {
  const page = await (await browser.newContext({ storageState: nobody })).newPage();
  await page.goto("/login");
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("/");
  return page;
}

test.describe("without a session", () => {
  test.use({ storageState: nobody });

  test("a fresh install shows the setup page, and its admin lands signed in", async ({ page }) => {
    await page.goto(`${freshURL}/devices`);
    await expect(page).toHaveURL(`${freshURL}/setup`);
    await page.getByLabel("Name").fill("first");
    await page.getByLabel(/Password/).fill("first-admin-password");
    await page.getByRole("button", { name: "Create the admin and sign in" }).click();
    await expect(page).toHaveURL(`${freshURL}/`);
    await expect(page.getByTestId("signed-in")).toContainText("first");
    await expect(page.getByTestId("signed-in")).toContainText("admin");
    // Setup happens once.
    await page.goto(`${freshURL}/setup`);
    await expect(page).toHaveURL(`${freshURL}/login`);
  });

  test("a stranger is sent to sign in, and back to where they were going", async ({ page }) => {
    await page.goto("/status?range=1d");
    await expect(page).toHaveURL(/\/login\?next=%2Fstatus%3Frange%3D1d$/);
    await page.getByLabel("Name").fill("admin");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("sign-in-error")).toHaveText("wrong name or password");
    await page.getByLabel("Name").fill("admin");
    await page.getByLabel("Password").fill("e2e-admin-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL("/status?range=1d");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Health");
  });
});

test("the admin adds users; a viewer reads but changes nothing; signing out ends it", async ({ page, browser }) => {
  const id = freshId("shared");
  await register(page, id);
  const viewer = freshId("vera");
  await open(page, "/users");
  await page.locator("#new-name").fill(viewer);
  await page.locator("#new-role").selectOption("viewer");
  await page.locator("#new-password").fill("vera-password-1");
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByTestId("users")).toContainText(viewer);

  const vera = await signIn(browser, viewer, "vera-password-1");
  await expect(vera.getByTestId("signed-in")).toContainText("viewer");
  await expect(vera.getByRole("link", { name: "Users" })).toHaveCount(0);
  await open(vera, `/devices/${id}`);
  await expect(vera.getByTestId("device-config")).toContainText("influx_token: ••••••");
  await expect(vera.getByRole("button", { name: "Reveal token" })).toHaveCount(0);
  await expect(vera.getByRole("button", { name: /Remove device/ })).toHaveCount(0);
  // A change asked for anyway is refused by the server.
  await open(vera, "/devices");
  const registerButton = vera.getByRole("button", { name: "Register" });
  await expect(async () => {
    await vera.getByLabel("Device id").fill(freshId("not-allowed"));
    await expect(registerButton).toBeEnabled({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  const refusedRegistration = vera.waitForResponse((r) => r.url().includes("/api/register_device"));
  await vera.getByRole("button", { name: "Register" }).click();
  expect((await refusedRegistration).status()).toBe(403);
  await expect(vera.getByRole("alert")).toContainText("this needs the operator role");
  await open(vera, "/write");
  await choose(vera, [id]);
  const refused = vera.waitForResponse((r) => r.url().includes("/api/write_point_now"));
  await vera.getByRole("button", { name: "Write one point" }).click();
  expect((await refused).status()).toBe(403);
  await expect(vera.getByRole("alert")).toContainText("this needs the operator role");

  await vera.getByRole("button", { name: "Sign out" }).click();
  await expect(vera).toHaveURL(/\/login$/);
  await vera.goto("/devices");
  await expect(vera).toHaveURL(/\/login\?next=%2Fdevices$/);
});
