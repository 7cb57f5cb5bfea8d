// A page on another origin calls the API from a real browser (Debian's chromium, headless,
// driven by playwright-core): a query, a subscription over graphql-transport-ws, and a mutation
// with a token that the subscription then sees. Prints one JSON object with what the page got.
//
// usage: node browser.mjs <page URL> <API origin> <officer token> <dataset id>
import { chromium } from 'playwright-core';

const [pageUrl, api, token, datasetId] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new'],
});
try {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto(pageUrl);
  const got = await page.evaluate(async ({ api, token, datasetId }) => {
    const out = { origin: location.origin };
    const post = async (query, variables, auth) => {
      const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
      if (auth) headers.authorization = `Bearer ${auth}`;
      const r = await fetch(`${api}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return { status: r.status, type: r.headers.get('content-type'), body: await r.json() };
    };
    out.query = await post('{ datasets(first: 2) { totalCount nodes { id title } } }', {});

    // Subscribe, then change the dataset's disclosure with the token, and wait for the event.
    const ws = new WebSocket(`${api.replace(/^http/, 'ws')}/graphql/ws`, 'graphql-transport-ws');
    const messages = [];
    let onMessage = () => {};
    ws.onmessage = (e) => { const m = JSON.parse(e.data); messages.push(m); onMessage(m); };
    const next = (pred, ms) => new Promise((resolve) => {
      const found = messages.find(pred);
      if (found) return resolve(found);
      const t = setTimeout(() => resolve(null), ms);
      onMessage = (m) => { if (pred(m)) { clearTimeout(t); resolve(m); } };
    });
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    out.protocol = ws.protocol;
    ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    out.ack = (await next((m) => m.type === 'connection_ack', 5000))?.type ?? null;
    ws.send(JSON.stringify({
      id: '1', type: 'subscribe',
      payload: { query: 'subscription($id: ID!) { disclosureChanged(filter: { datasetId: [$id] }) { toStatus dataset { id } } }', variables: { id: datasetId } },
    }));
    await new Promise((r) => setTimeout(r, 300));
    const version = (await post('query($id: ID!) { dataset(id: $id) { disclosure { version } } }', { id: datasetId })).body.data.dataset.disclosure.version;
    out.mutation = await post(
      'mutation($id: ID!, $v: Int!) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: UNDER_REVIEW }) { disclosure { status } } }',
      { id: datasetId, v: version }, token,
    );
    out.anonymousMutation = await post(
      'mutation($id: ID!, $v: Int!) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: OPEN }) { disclosure { status } } }',
      { id: datasetId, v: version + 1 }, null,
    );
    out.event = (await next((m) => m.type === 'next', 10000))?.payload ?? null;
    ws.close(1000);
    return out;
  }, { api, token, datasetId });
  got.consoleErrors = consoleErrors;
  console.log(JSON.stringify(got));
} finally {
  await browser.close();
}
