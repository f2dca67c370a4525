// Signs in as the admin the web server was started with and keeps the session for the
// tests (`storageState`); a test that needs someone else signs in itself.
import { chromium, FullConfig } from "@playwright/test";
import { admin } from "./playwright.config";

export default async function globalSetup(config: FullConfig) {
  const { baseURL } = config.projects[0].use;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  const page = await browser.newPage({ baseURL });
  await page.goto("/login");
  await page.getByLabel("Name").fill(admin.name);
  await page.getByLabel("Password").fill(admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("/");
  await page.context().storageState({ path: ".auth/admin.json" });
  await browser.close();
}
