// A page on another origin calls the API from a real browser (Debian's chromium, headless,
// driven by playwright-core): a query, a subscription over graphql-transport-ws, and a mutation
// with a token that the subscription then sees; a GET query asked twice, revalidated by the
// browser's own cache (304 on the wire). Prints one JSON object with what the page got.
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
  // What went over the wire for GET queries, from the DevTools protocol (the page, and
  // Playwright's own response events, see a revalidated answer as the cached 200): the headers
  // the browser sent and the status and ETag it received.
  const wire = [];
  const gets = new Map();
  // The ExtraInfo events may come before or after the request's own event (the protocol does
  // not order them): whichever comes second completes the entry.
  const sent = new Map();
  const received = new Map();
  const header = (headers, name) =>
    Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1] ?? null;
  const complete = (id) => {
    const entry = gets.get(id);
    if (!entry) return;
    if (sent.has(id)) entry.ifNoneMatch = header(sent.get(id), 'if-none-match');
    if (received.has(id)) {
      const r = received.get(id);
      entry.status = r.statusCode;
      entry.etag = header(r.headers, 'etag');
    }
  };
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.request.method === 'GET' && e.request.url.includes('/graphql?')) {
      const entry = { status: null, ifNoneMatch: null, etag: null };
      gets.set(e.requestId, entry);
      wire.push(entry);
      complete(e.requestId);
    }
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
    sent.set(e.requestId, e.headers);
    complete(e.requestId);
  });
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    received.set(e.requestId, e);
    complete(e.requestId);
  });
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

    // The same question twice by GET, revalidating each time as a dashboard would: the
    // browser sends its cached ETag, the server answers 304, the page still gets the JSON.
    const url = `${api}/graphql?query=${encodeURIComponent('{ datasets(first: 2) { totalCount } }')}`;
    out.cached = [];
    for (let i = 0; i < 2; i++) {
      const r = await fetch(url, { cache: 'no-cache' });
      out.cached.push({ status: r.status, body: await r.json() });
    }

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
  got.wire = wire;
  console.log(JSON.stringify(got));
} finally {
  await browser.close();
}
