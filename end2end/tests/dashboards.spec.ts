import { test, expect, Page } from "@playwright/test";
import { deviceWriter, freshId, open, register } from "./helpers";

/** Creates a starter dashboard from the Dashboards page and waits on its page, hydrated. */
async function newDashboard(page: Page, title: string, prefix: string) {
  await open(page, "/dashboards");
  const create = page.getByRole("button", { name: "Create" });
  await expect(async () => {
    await page.getByLabel("Title").fill(title);
    await page.getByLabel("Devices whose id starts with").fill(prefix);
    await expect(create).toBeEnabled({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await create.click();
  await expect(page).toHaveURL(/\/dashboards\/[0-9a-f]{16}$/);
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

/** Imports a dashboard's JSON from the Dashboards page and waits on its page. */
async function importDashboard(page: Page, json: string) {
  await open(page, "/dashboards");
  const importButton = page.getByRole("button", { name: "Import", exact: true });
  await expect(async () => {
    await page.getByLabel("Dashboard JSON").fill(json);
    await expect(importButton).toBeEnabled({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await importButton.click();
  await expect(page).toHaveURL(/\/dashboards\/[0-9a-f]{16}$/);
}

test("a dashboard is built for a group of devices, switched between them, edited, saved and the same after a reload", async ({ page, request }) => {
  const prefix = freshId("board");
  const [a, b] = [`${prefix}-a`, `${prefix}-b`];
  const t = Math.floor(Date.now() / 1000);
  for (const [id, temperature] of [[a, 21.25], [b, 30.5]] as const) {
    await register(page, id);
    const write = await deviceWriter(request, id);
    expect(await write(`environment,clientId=${id} Temperature=${temperature},Humidity=40,CO2=800i ${t - 60}`)).toBe(204);
  }

  await newDashboard(page, `Greenhouse ${prefix}`, prefix);
  await expect(page.getByTestId("cell")).toHaveCount(5);
  const value = page.locator("[data-kind=value]");
  await expect(value).toContainText("21.25");
  // The table shows every device of the dashboard; the gauge the picked one's CO2.
  await expect(page.locator("[data-kind=table]")).toContainText(b);
  await expect(page.locator("[data-kind=gauge]")).toContainText("800");

  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
  await page.getByTestId("device-picker").selectOption(b);
  await expect(page).toHaveURL(new RegExp(`device=${b}$`));
  await expect(value).toContainText("30.5");
  // The age is the point's own, not its chart window's.
  await expect(value).toContainText("1 min ago");
  await page.screenshot({ path: "test-results/dashboard-built.png", fullPage: true });

  // Edited as JSON: a mistake is named by its path and nothing is saved; then a good change.
  await page.getByTestId("edit").click();
  await page.getByText("JSON", { exact: true }).click();
  const json = page.getByLabel("Dashboard JSON");
  const original = await json.inputValue();
  await json.fill(original.replace('"w": 8', '"w": 9'));
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText("cells[1]: overlaps cells[0]");
  await json.fill(original.replace(`"title": "Greenhouse ${prefix}"`, `"title": "North house ${prefix}"`));
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("saved")).toContainText("Saved as version 2");
  await expect(page.getByTestId("dashboard-title")).toHaveText(`North house ${prefix}`);
  await expect(page.getByTestId("versions")).toContainText("Version 1");

  await page.reload();
  await expect(page.getByTestId("dashboard-title")).toHaveText(`North house ${prefix}`);
  await expect(page.getByTestId("cell")).toHaveCount(5);
  await expect(value).toContainText("30.5");

  // A device's page offers the dashboards that are for it, opened on it.
  await open(page, `/devices/${a}`);
  await page.getByTestId("device-dashboards").getByRole("link", { name: `North house ${prefix}` }).click();
  await expect(page).toHaveURL(new RegExp(`device=${a}$`));
  await expect(value).toContainText("21.25");
});

test("a dashboard shared read-only opens in a fresh browser without signing in, until its link is revoked", async ({ page, browser }) => {
  const prefix = freshId("shared");
  await newDashboard(page, `Lobby ${prefix}`, prefix);
  await page.getByTestId("edit").click();
  await page.getByRole("button", { name: "Create link" }).click();
  const link = await page.getByTestId("share-link").locator("a").first().getAttribute("href");
  expect(link).toMatch(/\/share\/share_[A-Za-z0-9_-]{43}$/);

  const stranger = await (await browser.newContext({ storageState: { cookies: [], origins: [] } })).newPage();
  await stranger.goto(link!);
  await expect(stranger.getByTestId("dashboard-title")).toHaveText(`Lobby ${prefix}`);
  await expect(stranger.getByRole("navigation")).toHaveCount(0);
  await expect(stranger.getByTestId("cell")).toHaveCount(5);
  await stranger.goto(`${link}?kiosk`);
  await expect(stranger.getByTestId("shared")).toHaveClass(/kiosk/);
  await stranger.screenshot({ path: "test-results/dashboard-shared-kiosk.png", fullPage: true });
  // The link opens that dashboard and nothing else.
  await stranger.goto("/dashboards");
  await expect(stranger).toHaveURL(/\/login/);

  await open(page, "/dashboards");
  const row = page.getByTestId("share-links").getByRole("row", { name: new RegExp(`Lobby ${prefix}`) });
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(page.getByTestId("share-links").getByText(`Lobby ${prefix}`)).toHaveCount(0);
  await stranger.goto(link!);
  await expect(stranger.getByRole("alert")).toContainText("expired or was revoked");
  await expect(stranger.getByTestId("cell")).toHaveCount(0);
});

test("a device's page tells each field's 30 days when its panel is opened", async ({ page, request }) => {
  const id = freshId("stats");
  await register(page, id);
  const write = await deviceWriter(request, id);
  const t = Math.floor(Date.now() / 1000);
  const body = [
    `environment,clientId=${id},TemperatureSensor=BME280 Temperature=19.5 ${t - 7200}`,
    `environment,clientId=${id},TemperatureSensor=BME280 Temperature=27.25 ${t - 3600}`,
  ].join("\n");
  expect(await write(body)).toBe(204);
  await open(page, `/devices/${id}`);
  await expect(page.getByTestId("field-stats")).toHaveCount(0);
  const panel = page.getByRole("heading", { name: "Fields over 30 days" });
  await panel.click();
  const row = page.getByTestId("field-stats").getByRole("row", { name: /Temperature/ });
  await expect(row).toContainText("19.5 °C");
  await expect(row).toContainText("27.25 °C");
  await expect(row).toContainText("BME280");
  await panel.scrollIntoViewIfNeeded();
  await page.screenshot({ path: "test-results/device-field-stats.png", fullPage: true });
});

test("a dashboard is arranged from nothing by dragging and resizing its cells, saved, and the same after a reload", async ({ page }) => {
  const prefix = freshId("arranged");
  await newDashboard(page, `Arranged ${prefix}`, "");
  await page.getByTestId("edit").click();
  const cells = page.getByTestId("arrange-cell");
  await expect(cells).toHaveCount(5);
  while ((await cells.count()) > 0) {
    await cells.first().getByRole("button", { name: "Delete" }).click();
  }
  await page.getByLabel("Cell type").selectOption("line");
  await page.getByLabel("Cell field").selectOption("Temperature");
  await page.getByRole("button", { name: "Add cell" }).click();
  await page.getByLabel("Cell type").selectOption("value");
  await page.getByLabel("Cell field").selectOption("Humidity");
  await page.getByRole("button", { name: "Add cell" }).click();
  await expect(cells).toHaveCount(2);
  const arranged = async () =>
    JSON.parse(await page.getByLabel("Dashboard JSON").inputValue()).cells.map((c: any) => [c.type, c.x, c.y, c.w, c.h]);
  expect(await arranged()).toEqual([["line", 0, 0, 6, 4], ["value", 0, 4, 3, 2]]);

  // The value dragged up beside the chart, then made wider and taller by its corner.
  const box = (await page.getByTestId("arrange-board").boundingBox())!;
  const column = (box.width - 8 + 14) / 12, row = 84;
  const drag = async (handle: import("@playwright/test").Locator, columns: number, rows: number) => {
    const b = (await handle.boundingBox())!;
    const [x, y] = [b.x + b.width / 2, b.y + b.height / 2];
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x + columns * column, y + rows * row, { steps: 8 });
    await page.mouse.up();
  };
  await drag(cells.nth(1).locator(".arrange-bar"), 6, -4);
  expect(await arranged()).toEqual([["line", 0, 0, 6, 4], ["value", 6, 0, 3, 2]]);
  await drag(cells.nth(1).getByTestId("resize"), 3, 1);
  expect(await arranged()).toEqual([["line", 0, 0, 6, 4], ["value", 6, 0, 6, 3]]);
  // Onto the chart: refused, nothing moves; undo takes back the resize.
  await drag(cells.nth(1).locator(".arrange-bar"), -6, 0);
  await expect(page.getByTestId("arrange").getByRole("alert")).toContainText("overlaps");
  expect(await arranged()).toEqual([["line", 0, 0, 6, 4], ["value", 6, 0, 6, 3]]);
  await page.getByRole("button", { name: "Undo" }).click();
  expect(await arranged()).toEqual([["line", 0, 0, 6, 4], ["value", 6, 0, 3, 2]]);
  // A cell's title, from its form.
  await cells.nth(1).locator(".arrange-bar").click();
  await page.locator("#cell-title").fill("Humidity now");
  await page.getByRole("button", { name: "Apply to cell" }).click();
  await expect(cells.nth(1)).toContainText("Humidity now");
  await page.screenshot({ path: "test-results/dashboard-arrange.png", fullPage: true });

  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("saved")).toContainText("Saved as version 2");
  await page.reload();
  const board = page.getByTestId("board").getByTestId("cell");
  await expect(board).toHaveCount(2);
  await expect(board.nth(1)).toHaveAttribute("style", /grid-column: 7 \/ span 3; grid-row: 1 \/ span 2/);
  await expect(board.nth(1)).toContainText("Humidity now");
});

test("every page has a help panel that stays open or closed as it was left", async ({ page }) => {
  await open(page, "/devices");
  const help = page.getByTestId("help");
  await expect(help).not.toHaveAttribute("open", "");
  await help.locator("summary").click();
  await expect(help).toContainText("Import devices");
  await open(page, "/devices");
  await expect(help).toHaveJSProperty("open", true);
  await page.screenshot({ path: "test-results/help-open.png" });
  await help.locator("summary").click();
  await open(page, "/devices");
  await expect(help).toHaveJSProperty("open", false);
  // Each page its own.
  await open(page, "/alerts");
  await expect(page.getByTestId("help")).toContainText("What fires now");
});

/** A drawing as a user uploads one: a car with its cabin temperature and speed, and a script. */
const DRAWING = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 90" onload="alert(1)">
<script>alert(2)</script>
<rect x="20" y="30" width="160" height="36" rx="12" fill="#dbe6f7" stroke="#2f6fde"/>
<circle cx="55" cy="70" r="12" fill="#334155"/><circle cx="145" cy="70" r="12" fill="#334155"/>
<text x="40" y="54" font-size="14" fill="#0f172a">{Temperature} °C</text>
<text x="112" y="54" font-size="14" fill="#0f172a">{Speed} km/h</text>
</svg>`;

test("an imported dashboard draws a device's track with its heading, its fields' statistics and a drawing of its latest values", async ({ page, request }) => {
  const id = freshId("car");
  await register(page, id);
  const write = await deviceWriter(request, id);
  const t = Math.floor(Date.now() / 1000);
  const track = [[50.08, 14.42], [50.085, 14.43], [50.09, 14.445], [50.1, 14.45]];
  const body = track.map(([lat, lon], i) => `environment,clientId=${id} Lat=${lat},Lon=${lon},Temperature=${20 + i},Speed=${30 + i} ${t - 600 + i * 120}`).join("\n");
  expect(await write(body)).toBe(204);
  const json = JSON.stringify({
    title: `Fleet car ${id}`, devices: { device: id }, range: "1h",
    cells: [
      { x: 0, y: 0, w: 8, h: 5, type: "geo" },
      { x: 8, y: 0, w: 4, h: 2, type: "value", field: "Temperature", title: "Cabin" },
      { x: 8, y: 2, w: 4, h: 2, type: "value", field: "Speed" },
      { x: 0, y: 5, w: 7, h: 3, type: "stats", fields: ["Temperature", "Speed"] },
      { x: 7, y: 5, w: 5, h: 3, type: "svg", fields: ["Temperature", "Speed"], svg: DRAWING },
    ],
  });
  await importDashboard(page, json);
  const geo = page.getByTestId("geo");
  await expect(geo.locator("polyline")).toHaveCount(1);
  const points = (await geo.locator("polyline").getAttribute("points"))!.split(" ");
  expect(points.length).toBe(4);
  await expect(geo).toContainText(id);
  await expect(page.locator("[data-kind=value]").first()).toContainText("23");
  const stats = page.getByTestId("cell-stats");
  await expect(stats.locator("tbody tr")).toHaveCount(2);
  await expect(stats.locator("tbody tr", { hasText: "Speed" })).toContainText("33");
  // The drawing shows the latest values; its script was dropped when it was saved.
  const drawing = page.locator("[data-kind=svg] .drawing");
  await expect(drawing.locator("text").first()).toHaveText("23 °C");
  await expect(drawing.locator("text").nth(1)).toHaveText("33 km/h");
  await expect(drawing.locator("script")).toHaveCount(0);
  expect(await drawing.locator("svg").getAttribute("onload")).toBeNull();
  await page.screenshot({ path: "test-results/dashboard-geo.png", fullPage: true });
  // The editor offers the fields the devices wrote for new cells, beside the reference's.
  await page.getByTestId("edit").click();
  await expect(page.getByLabel("Cell field").locator("option", { hasText: "Speed" })).toHaveCount(1);
  await expect(page.getByLabel("Cell field").locator("option", { hasText: "Temperature" })).toHaveCount(1);
});

test("a dashboard made its devices' page replaces their standard charts, which stay a click away", async ({ page, request }) => {
  const prefix = freshId("type");
  const id = `${prefix}-a`;
  await register(page, id);
  const write = await deviceWriter(request, id);
  expect(await write(`environment,clientId=${id} Temperature=19.75,Humidity=40,CO2=650i ${Math.floor(Date.now() / 1000) - 60}`)).toBe(204);
  // Until one is picked, a device's page has the standard charts.
  await open(page, `/devices/${id}`);
  await expect(page.getByTestId("charts")).toBeVisible();
  await expect(page.getByTestId("device-page")).toHaveCount(0);

  await newDashboard(page, `Type page ${prefix}`, prefix);
  await page.getByTestId("edit").click();
  const toggle = page.getByTestId("device-page-toggle");
  await toggle.click();
  await expect(toggle).toHaveText("Stop being its devices' page");
  await expect(page.locator(".board-bar")).toContainText("its devices' page");
  await page.screenshot({ path: "test-results/dashboard-editor-device-page.png", fullPage: true });
  await open(page, "/dashboards");
  await expect(page.getByRole("row", { name: new RegExp(`Type page ${prefix}`) })).toContainText("device page");
  await page.screenshot({ path: "test-results/dashboards-list.png", fullPage: true });

  await open(page, `/devices/${id}`);
  const board = page.getByTestId("device-page");
  await expect(board.getByTestId("cell")).toHaveCount(5);
  await expect(board.locator("[data-kind=value]")).toContainText("19.75");
  await expect(page.getByTestId("charts")).toHaveCount(0);
  await page.screenshot({ path: "test-results/device-page-dashboard.png", fullPage: true });
  await page.getByTestId("standard-charts").click();
  await expect(page).toHaveURL(/charts=standard/);
  await expect(page.getByTestId("charts")).toBeVisible();
  await page.getByTestId("device-page-back").click();
  await expect(board.getByTestId("cell")).toHaveCount(5);
});

test("a dashboard with a live window draws a point written meanwhile within 1 s, without a re-read, signed in or by its share link", async ({ page, request, browser }) => {
  const id = freshId("livecell");
  await register(page, id);
  const write = await deviceWriter(request, id);
  const t = Math.floor(Date.now() / 1000);
  expect(await write(`environment,clientId=${id} Temperature=21.5 ${t - 5}`)).toBe(204);
  const json = JSON.stringify({
    title: `Live ${id}`, devices: { device: id }, range: "5m",
    cells: [
      { x: 0, y: 0, w: 8, h: 4, type: "line", fields: ["Temperature"] },
      { x: 8, y: 0, w: 4, h: 2, type: "value", field: "Temperature" },
    ],
  });
  await importDashboard(page, json);
  const chart = page.locator("[data-kind=line] figure.chart");
  await expect(chart).toHaveAttribute("data-points", "1");
  await expect(page.getByTestId("live-state")).toContainText("Live");

  // The page re-reads every 15 s; a point drawn within 1 s of its write was pushed.
  expect(await write(`environment,clientId=${id} Temperature=23.25 ${t}`)).toBe(204);
  await expect(chart).toHaveAttribute("data-points", "2", { timeout: 1_000 });
  await expect(page.locator("[data-kind=value]")).toContainText("23.25");
  await page.screenshot({ path: "test-results/dashboard-live.png", fullPage: true });

  // Opened by its share link, with no one signed in, it is live too.
  await page.getByTestId("edit").click();
  await page.getByRole("button", { name: "Create link" }).click();
  const link = await page.getByTestId("share-link").locator("a").first().getAttribute("href");
  const stranger = await (await browser.newContext({ storageState: { cookies: [], origins: [] } })).newPage();
  await stranger.goto(link!);
  await expect(stranger.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(stranger.getByTestId("live-state")).toContainText("Live");
  const shared = stranger.locator("[data-kind=line] figure.chart");
  await expect(shared).toHaveAttribute("data-points", "2");
  expect(await write(`environment,clientId=${id} Temperature=24.5 ${t + 1}`)).toBe(204);
  await expect(shared).toHaveAttribute("data-points", "3", { timeout: 1_000 });
});
