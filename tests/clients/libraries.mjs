// The client libraries a civic-tech developer would pick, against a real server:
// graphql-request for a paged read and a mutation with a token, graphql-ws for a subscription
// that resumes from its last cursor after a disconnection, missing nothing.
// Prints one JSON object with what the clients got.
//
// usage: node libraries.mjs <http URL of /graphql> <ws URL of /graphql/ws> <officer token> <dataset id>
import { GraphQLClient } from 'graphql-request';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [httpUrl, wsUrl, token, datasetId] = process.argv.slice(2);
const within = (p, ms, what) =>
  Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = {};

// A paged read: follow endCursor until the end.
const anonymous = new GraphQLClient(httpUrl);
const ids = [];
let after = null;
do {
  const r = await anonymous.request(
    'query($after: String) { datasets(first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }',
    { after },
  );
  out.totalCount = r.datasets.totalCount;
  ids.push(...r.datasets.nodes.map((n) => n.id));
  after = r.datasets.pageInfo.hasNextPage ? r.datasets.pageInfo.endCursor : null;
} while (after);
out.paged = ids.length;
out.distinct = new Set(ids).size;

// A subscription, and a mutation with the token that it sees.
const SUB = 'subscription($id: [ID!], $after: String) { disclosureChanged(filter: { datasetId: $id }, after: $after) { cursor toStatus } }';
const subscribeOnce = (client, variables) =>
  new Promise((resolve, reject) => {
    const dispose = client.subscribe({ query: SUB, variables }, {
      next: (v) => { resolve(v); dispose(); },
      error: (e) => reject(new Error(JSON.stringify(e?.reason ?? e?.message ?? e))),
      complete: () => {},
    });
  });
const authed = new GraphQLClient(httpUrl, { headers: { authorization: `Bearer ${token}` } });
const change = async (status) => {
  const v = (await authed.request('query($id: ID!) { dataset(id: $id) { disclosure { version } } }', { id: datasetId })).dataset.disclosure.version;
  const r = await authed.request(
    'mutation($id: ID!, $v: Int!, $s: DisclosureStatus!) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: $s }) { disclosure { status } } }',
    { id: datasetId, v, s: status },
  );
  return r.changeDisclosure.disclosure.status;
};

const first = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false });
const firstEvent = subscribeOnce(first, { id: [datasetId] });
await sleep(300);
out.mutation = await change('UNDER_REVIEW');
const ev1 = await within(firstEvent, 10000, 'first event');
out.first = ev1.data.disclosureChanged.toStatus;
await first.dispose();

// While no one listens, another change; a new client resumes after the first event's cursor.
out.mutation2 = await change('OPEN');
const second = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
const ev2 = await within(subscribeOnce(second, { id: [datasetId], after: ev1.data.disclosureChanged.cursor }), 10000, 'resumed event');
out.resumed = ev2.data.disclosureChanged.toStatus;
await second.dispose();

// A bad token: the library sees the protocol's 4403 close.
const refused = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { token: 'inv_nope' } });
out.badToken = await within(
  new Promise((resolve) => {
    refused.on('closed', (e) => resolve(e.code));
    refused.subscribe({ query: SUB, variables: { id: [datasetId] } }, { next: () => {}, error: () => {}, complete: () => {} });
  }),
  10000,
  'close',
);
await refused.dispose();
console.log(JSON.stringify(out));
