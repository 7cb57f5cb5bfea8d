// GraphiQL as a user opens it, in a real browser (Debian's chromium, headless, driven by
// playwright-core): the tab labels as the page first shows them, after switching to the second
// tab and back (GraphiQL computes its titles again on every switch), and after running the first
// tab's query. Prints one JSON object with what the page showed.
//
// usage: node graphiql.mjs <server origin>
import { chromium } from 'playwright-core';

const [origin] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${origin}/`);
  await page.waitForSelector('.graphiql-tab-button', { timeout: 30000 });
  const labels = () => page.$$eval('.graphiql-tab-button', (bs) => bs.map((b) => b.textContent));
  // Let GraphiQL settle (its editors load asynchronously and save the active tab).
  await page.waitForTimeout(1000);
  const first = await labels();
  await page.click('#graphiql-session-tab-1');
  await page.waitForTimeout(500);
  await page.click('#graphiql-session-tab-0');
  await page.waitForTimeout(500);
  const afterSwitching = await labels();
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => (document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror?.getValue() ?? '').includes('"data"'),
    null,
    { timeout: 30000 },
  );
  const response = await page.evaluate(
    () => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue(),
  );
  const afterRunning = await labels();
  console.log(JSON.stringify({ first, afterSwitching, afterRunning, response: JSON.parse(response), consoleErrors }));
} finally {
  await browser.close();
}
