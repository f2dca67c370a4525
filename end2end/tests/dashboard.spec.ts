import { test, expect, Page } from "@playwright/test";
import { backfill, choose, deviceWriter, freshId, open, register } from "./helpers";

/** The number of points the chart of `field` draws. */
const chartPoints = (page: Page, field: string) =>
  page.locator("figure.chart", { has: page.locator("figcaption", { hasText: field }) }).getAttribute("data-points");

test("after a back-fill the charts draw points, and 1d → 7d changes the data and the URL", async ({ page }) => {
  const id = freshId("dash");
  await register(page, id);
  await backfill(page, [id], 2);

  await open(page, `/devices/${id}?range=1d`);
  const charts = page.getByTestId("charts");
  for (const field of ["Temperature", "Humidity", "Pressure", "CO2", "TVOC"]) {
    await expect(charts.locator("figcaption", { hasText: field })).toBeVisible();
  }
  // One day of 1-minute data read as 2-minute means: about 720 points, never over 1,000.
  const day = Number(await chartPoints(page, "Temperature"));
  expect(day).toBeGreaterThan(600);
  expect(day).toBeLessThanOrEqual(1000);
  // The chart is drawn in the browser, and the cursor over it shows an exact time and value.
  const temperature = charts.locator("figure.chart", { has: page.locator("figcaption", { hasText: "Temperature" }) });
  await expect(temperature.locator(".plot canvas")).toBeVisible();
  await temperature.locator(".u-over").hover();
  await expect(temperature.getByRole("tooltip")).toContainText(/\d{1,2}:\d{2}:\d{2}[^]*\d °C/);
  await expect(page.getByText("means of 2 min")).toBeVisible();
  await expect(page.getByTestId("last-values")).toContainText(/CO2\s*\d+/);

  await page.getByRole("link", { name: "7d", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/devices/${id}\\?range=7d`));
  await expect(page.getByText("means of 15 min")).toBeVisible();
  // The download follows the range shown.
  await expect(page.getByTestId("csv-download")).toHaveAttribute("href", /range=7d/);
  // Two days of data in 15-minute means.
  await expect.poll(async () => Number(await chartPoints(page, "Temperature"))).toBeLessThan(200);
  expect(Number(await chartPoints(page, "Temperature"))).toBeGreaterThan(150);

  // The range survives a reload.
  await page.reload();
  await expect(page.getByRole("link", { name: "7d", exact: true })).toHaveClass(/active/);
});

test("live refresh draws a point written meanwhile, keeping the range", async ({ page, request }) => {
  const id = freshId("refresh");
  await register(page, id);
  const write = await deviceWriter(request, id);
  const now = () => Math.floor(Date.now() / 1000);
  expect(await write(`environment,clientId=${id} Temperature=20.5 ${now() - 120}`)).toBe(204);

  await open(page, `/devices/${id}?range=1h&refresh=5s`);
  await expect(page.locator("#refresh")).toHaveValue("5s");
  await expect.poll(() => chartPoints(page, "Temperature")).toBe("1");

  expect(await write(`environment,clientId=${id} Temperature=23.25 ${now()}`)).toBe(204);
  await expect.poll(() => chartPoints(page, "Temperature"), { timeout: 15_000 }).toBe("2");
  await expect(page.getByTestId("last-values")).toContainText("23.25");
  await expect(page).toHaveURL(/range=1h&refresh=5s/);
});

test("the CSV download holds the shown fields and range, a row per record", async ({ page }) => {
  const id = freshId("csv");
  await register(page, id);
  await backfill(page, [id], 1);

  // A fixed range, so the records count and the download cover the very same points.
  const utc = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600_000).toISOString().slice(0, 16);
  const range = `range=custom&from=${utc(3)}&to=${utc(1)}`;
  await open(page, `/data?device=${id}&${range}`);
  const heading = page.getByRole("heading", { name: /Records \(\d+ from/ });
  const records = Number((await heading.textContent())!.match(/Records \((\d+)/)![1]);
  expect(records).toBeGreaterThan(100);

  const href = await page.getByTestId("csv-download").getAttribute("href");
  expect(href).toContain(`devices=${id}`);
  const response = await page.request.get(href!);
  expect(response.headers()["content-type"]).toContain("text/csv");
  expect(response.headers()["content-disposition"]).toContain("attachment");
  const lines = (await response.text()).trim().split("\n");
  expect(lines[0]).toBe("time,device,Temperature,Humidity,Pressure,CO2,TVOC");
  expect(lines.length - 1).toBe(records);
  expect(lines[1]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z,${id},[\\d.]+,[\\d.]+,[\\d.]+,[\\d.]+,[\\d.]+$`));
});

test("a device without data shows the empty state on its page", async ({ page }) => {
  const id = freshId("empty");
  await register(page, id);
  await open(page, `/devices/${id}?range=5m`);
  await expect(page.getByTestId("no-data")).toContainText("No data in this range — write some on the Write data page");
});

test("devices can be compared in one chart, and the map shows where they are", async ({ page }) => {
  const a = freshId("cmp-a");
  const b = freshId("cmp-b");
  await register(page, a);
  await register(page, b);
  await backfill(page, [a, b], 1);

  await open(page, `/compare?field=CO2&range=1d&devices=${a}`);
  await choose(page, [b]);
  await expect(page).toHaveURL(new RegExp(`devices=${a}(%2C|,)${b}`));
  const chart = page.locator("figure.chart");
  await expect(chart.locator("figcaption")).toContainText("CO2");
  // One line per device, named in the legend.
  await expect(chart).toContainText(a);
  await expect(chart).toContainText(b);
  expect(Number(await chart.getAttribute("data-points"))).toBeGreaterThan(600);

  await open(page, "/map");
  const map = page.getByTestId("map");
  await expect(map.locator("a", { hasText: a })).toBeAttached();
  await expect(map.locator("a", { hasText: b })).toBeAttached();
});
