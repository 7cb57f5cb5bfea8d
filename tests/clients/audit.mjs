// The GraphQL-over-HTTP audit (graphql-http's auditServer) against the URL given as the first
// argument. Prints every audit with its outcome and exits 1 when any MUST or SHOULD is not met
// (MAY items are reported only).
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}
const results = await auditServer({ url });
let failed = 0;
const counts = {};
for (const r of results) {
  const level = r.name.split(' ')[0]; // MUST, SHOULD or MAY
  const key = `${level} ${r.status}`;
  counts[key] = (counts[key] || 0) + 1;
  const bad = r.status !== 'ok' && level !== 'MAY';
  if (bad) failed += 1;
  console.log(`${r.status === 'ok' ? 'ok  ' : bad ? 'FAIL' : 'note'} ${r.name}${r.status === 'ok' ? '' : ': ' + r.reason}`);
}
console.log(JSON.stringify(counts));
process.exit(failed ? 1 : 0);
