// express-app.mjs: make bench's Express + AWS SDK v3 contender, the
// counter as a Node.js service would write it: POST /api/visits/:id is one
// UpdateItem (ADD visits :one, ReturnValues UPDATED_NEW), GET one GetItem,
// both behind the same x-api-key check.  The SDK's defaults, its
// credentials and endpoint from the environment (AWS_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, ...), as a deployment would have them.
//   node express-app.mjs PORT KEY TABLE KEY_ATTRIBUTE
import express from 'express';
import { DynamoDBClient, UpdateItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';

const [port, apiKey, table, keyAttr] = process.argv.slice(2);
const db = new DynamoDBClient({});
const app = express();

app.get('/healthz', (req, res) => res.json({ status: 'ok' }));
app.use((req, res, next) => {
  if (req.get('x-api-key') !== apiKey) return res.status(401).json({ error: 'unauthorized' });
  next();
});
app.post('/api/visits/:id', async (req, res) => {
  try {
    const r = await db.send(new UpdateItemCommand({
      TableName: table,
      Key: { [keyAttr]: { S: req.params.id } },
      UpdateExpression: 'ADD visits :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'UPDATED_NEW',
    }));
    res.json({ id: req.params.id, visits: Number(r.Attributes.visits.N) });
  } catch (e) {
    res.status(503).json({ error: String(e.name) });
  }
});
app.get('/api/visits/:id', async (req, res) => {
  try {
    const r = await db.send(new GetItemCommand({ TableName: table, Key: { [keyAttr]: { S: req.params.id } } }));
    res.json({ id: req.params.id, visits: Number(r.Item?.visits?.N ?? 0) });
  } catch (e) {
    res.status(503).json({ error: String(e.name) });
  }
});
app.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
