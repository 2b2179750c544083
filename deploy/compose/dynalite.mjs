// dynalite.mjs: a DynamoDB-compatible server for deploy/compose.yaml's
// "dynamodb" profile.  Runs dynalite in memory on DYNALITE_LISTEN
// (host:port, default 0.0.0.0:4567) and creates the table visitsd counts
// in (DYNALITE_TABLE, default "visits", partition key "user"), so the stack
// needs no setup step.  dynalite checks no signature: this is for trying
// visitsd, not for testing its SigV4 (tests/harness does that).  The
// counts are lost when the container stops.
import http from 'node:http';
import dynalite from 'dynalite';

const [host, port] = (process.env.DYNALITE_LISTEN ?? '0.0.0.0:4567').split(/:(?=\d+$)/);
const table = process.env.DYNALITE_TABLE ?? 'visits';

const server = dynalite({ createTableMs: 0 });
await new Promise((resolve) => server.listen(Number(port), host, resolve));

// dynalite wants an Authorization header and a date to exist, nothing more.
function call(op, input) {
  const body = JSON.stringify(input);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: server.address().port, method: 'POST', path: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(body),
        'x-amz-target': `DynamoDB_20120810.${op}`,
        'x-amz-date': '20000101T000000Z',
        authorization: 'AWS4-HMAC-SHA256 Credential=compose/20000101/us-east-1/dynamodb/aws4_request, ' +
          'SignedHeaders=host, Signature=0',
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const r = await call('CreateTable', {
  TableName: table,
  AttributeDefinitions: [{ AttributeName: 'user', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'user', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
});
if (r.status !== 200 && !r.body.includes('ResourceInUseException')) {
  console.error(`dynalite: CreateTable ${table}: ${r.status} ${r.body}`);
  process.exit(1);
}
console.log(`dynalite: listening on ${host}:${server.address().port}, table ${table}`);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
