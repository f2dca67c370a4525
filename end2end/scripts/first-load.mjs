// Usage: IOT_CENTER_USER=… IOT_CENTER_PASSWORD=… node end2end/scripts/first-load.mjs
//   http://127.0.0.1:5000/devices/<id>?range=1d
// against a release build with precompressed assets (`make run`). The session cookie comes
// from a sign-in beforehand; the measured load starts with no cache.
// Everything the browser transfers on a first load of a page (fresh profile, no cache):
// the compressed body and the headers of every response, as Chromium counts them.
import { chromium } from "playwright-core";
const url = process.argv[2];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox","--disable-gpu","--disable-quic","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync"] });
const context = await browser.newContext();
if (process.env.IOT_CENTER_USER) {
  const origin = new URL(url).origin;
  const signIn = await context.request.post(`${origin}/login`, {
    form: { username: process.env.IOT_CENTER_USER, password: process.env.IOT_CENTER_PASSWORD ?? "" },
    maxRedirects: 0,
  });
  if (signIn.status() !== 303 || !signIn.headers()["set-cookie"]) throw new Error("sign-in failed");
}
const page = await context.newPage();
const rows = [];
page.on("requestfinished", async (req) => {
  const s = await req.sizes();
  const r = await req.response();
  rows.push([new URL(req.url()).pathname, r.status(), r.headers()["content-encoding"] || "-", s.responseBodySize, s.responseHeadersSize]);
});
await page.goto(url);
await page.waitForSelector("body[data-hydrated]");
await page.waitForTimeout(3000);
let total = 0;
for (const [path, status, enc, body, headers] of rows) {
  total += body + headers;
  console.log(`${path}\t${status}\t${enc}\tbody ${body}\theaders ${headers}`);
}
console.log(`total ${total} bytes (${(total / 1024).toFixed(1)} KiB) in ${rows.length} responses`);
await browser.close();
