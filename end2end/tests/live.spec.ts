import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { deviceEnv, deviceWriter, freshId, open, register } from "./helpers";

test("a point published over MQTT appears on an open device page within 1 s, with no reload", async ({ page, request }) => {
  const id = freshId("live");
  await register(page, id);
  const write = await deviceWriter(request, id);
  const t = Math.floor(Date.now() / 1000);
  expect(await write(`environment,clientId=${id} Temperature=21.5 ${t - 5}`)).toBe(204);

  await open(page, `/devices/${id}?range=1m`);
  const chart = page.locator("figure.chart").first();
  await expect(chart).toHaveAttribute("data-points", "1");
  await expect(page.getByTestId("live-state")).toContainText("Live");

  // Published as the reference's devices do: raw line protocol, seconds, QoS 0.
  const env = await deviceEnv(request, id);
  const mqtt = new URL(env.mqtt_url);
  const published = Date.now();
  execFileSync("mosquitto_pub", [
    "-h", mqtt.hostname, "-p", mqtt.port, "-V", "mqttv311",
    "-i", id, "-u", env.mqtt_user, "-P", env.mqtt_password,
    "-t", env.mqtt_topic, "-m", `environment,clientId=${id} Temperature=23.25 ${t}`,
  ]);
  await expect(chart).toHaveAttribute("data-points", "2", { timeout: 1_000 });
  await expect(page.getByTestId("last-values")).toContainText("23.25");
  console.log(`published to drawn: ${Date.now() - published} ms`);
  await page.screenshot({ path: "test-results/device-live.png", fullPage: true });
});
