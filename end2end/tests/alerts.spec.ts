import { test, expect } from "@playwright/test";
import { deviceWriter, freshId, open } from "./helpers";

test("a rule made on the Alerts page fires, is acknowledged with a note, and resolves", async ({ page, request }) => {
  const id = freshId("alert");
  const write = await deviceWriter(request, id);
  await open(page, "/alerts");

  // An endpoint (nobody listens there: its deliveries are retried in the background).
  const addEndpoint = page.getByRole("button", { name: "Add endpoint" });
  await expect(async () => {
    await page.locator("#endpoint-name").fill(`ops-${id}`);
    await page.locator("#endpoint-url").fill("http://127.0.0.1:9/hook");
    await expect(addEndpoint).toBeEnabled({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await addEndpoint.click();
  await expect(page.getByTestId("endpoint-table")).toContainText(`ops-${id}`);

  // A bad rule is refused with the reason, and nothing is added.
  await page.locator("#rule-name").fill(`CO2 ${id}`);
  await page.locator("#rule-devices").fill(id);
  await page.locator("#rule-field").selectOption("CO2");
  await page.locator("#rule-op").selectOption("outside");
  await page.locator("#rule-value").fill("1000");
  await page.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByRole("alert")).toContainText("needs value2");
  await expect(page.getByText("No rules yet.").or(page.getByTestId("rule-table"))).not.toContainText(`CO2 ${id}`);
  // The page refreshes every 5 s; what is typed in its forms stays.
  await page.waitForTimeout(6_000);
  await expect(page.locator("#rule-name")).toHaveValue(`CO2 ${id}`);
  await page.locator("#rule-op").selectOption(">");
  await page.locator("#rule-level").selectOption("crit");
  await page.getByLabel(`notify ops-${id}`).check();
  await page.getByRole("button", { name: "Add rule" }).click();
  await expect(page.getByTestId("rule-table")).toContainText(`CO2 ${id}`);
  await expect(page.getByTestId("rule-table")).toContainText("CO2 > 1000");
  // E-mail needs the server's SMTP relay, which this one has not: refused, with the reason.
  await page.locator("#endpoint-kind").selectOption("email");
  await page.locator("#endpoint-name").fill(`mail-${id}`);
  await page.locator("#endpoint-to").fill("ops@example.com");
  await addEndpoint.click();
  await expect(page.getByRole("alert")).toContainText("SMTP relay");
  await expect(page.getByTestId("endpoint-table")).not.toContainText(`mail-${id}`);

  expect(await write(`environment,clientId=${id} CO2=1500i`)).toBe(204);
  const row = page.getByTestId("alert-table").getByRole("row", { name: new RegExp(id) });
  await expect(row).toContainText("firing", { timeout: 20_000 });
  await expect(row).toContainText("CO2 is 1500 (above 1000)");
  await row.getByPlaceholder("Note").fill("window opened");
  await row.getByRole("button", { name: "Acknowledge" }).click();
  await expect(row).toContainText("window opened");

  // The device list and the device's page show it; its CO2 chart draws the threshold and
  // shades the time it fires.
  await open(page, `/devices?q=${id}`);
  await expect(page.getByTestId("device-alerts")).toContainText(`CO2 ${id}`);
  await open(page, `/devices/${id}`);
  const onDevice = page.getByTestId("device-alerts");
  await expect(onDevice).toContainText(`CO2 ${id}`);
  await expect(onDevice).toContainText("firing");
  await expect(onDevice).toContainText("acknowledged by");
  // What the chart script was given to draw: one threshold line, one span (start, end).
  const chart = page.locator("figure.chart", { hasText: "CO2" }).locator(".plot");
  const drawn = () => chart.evaluate((el: any) => el.iotPlot?.iotMarks && [el.iotPlot.iotMarks.lines, el.iotPlot.iotMarks.spans.length]);
  await expect.poll(drawn).toEqual([[1000], 2]);

  expect(await write(`environment,clientId=${id} CO2=400i`)).toBe(204);
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("charts")).toBeVisible({ timeout: 2_000 });
    await expect(onDevice).toHaveCount(0, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect.poll(drawn).toEqual([[1000], 2]);

  await open(page, "/alerts");
  await expect(page.getByTestId("alert-table").getByRole("row", { name: new RegExp(id) })).toHaveCount(0);
  const history = page.getByTestId("alert-history");
  // By the level and state cells: a random id may hold "ok" itself.
  await expect(history.getByRole("row", { name: new RegExp(`${id}.*crit ok`) })).toHaveCount(1);
  await expect(history.getByRole("row", { name: new RegExp(`${id}.*crit firing`) })).toHaveCount(1);
});
