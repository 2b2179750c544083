// A per-key write budget for the AWS peer: a token bucket per DynamoDB
// item key, answering ProvisionedThroughputExceededException (reason
// TableWriteKeyRangeThroughputExceeded, as DynamoDB does for a hot
// partition) past it. Off until set through the control API:
//   PUT /__harness/key-budget {"writesPerSecond": 40, "burst": 10}  (0: off)
//   GET /__harness/key-budget   -> the setting and {checked, throttled}
//   POST /__harness/key-budget/reset -> zero the counts, refill the buckets
// A module of its own so aws-peer.mjs only calls check() and control().

const WRITE_OPS = new Set(['UpdateItem', 'PutItem', 'DeleteItem']);

export function createKeyBudget({ region = 'us-east-1', now = () => performance.now() } = {}) {
  let rate = 0;
  let burst = 0;
  let buckets = new Map(); // "table\0key json" -> { tokens, at }
  let stats = { checked: 0, throttled: 0 };

  // The throttle answer for a write of op with this JSON body, or null when
  // it may go through (no budget set, not a write, or tokens left).
  function check(op, body) {
    if (rate <= 0 || !WRITE_OPS.has(op)) return null;
    let input;
    try { input = JSON.parse(body.toString()); } catch { return null; }
    const table = String(input.TableName ?? '');
    const key = `${table}\0${JSON.stringify(input.Key ?? input.Item ?? {})}`;
    const t = now();
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { tokens: burst, at: t }));
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    stats.checked++;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return null;
    }
    stats.throttled++;
    return {
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded. ' +
        'Consider increasing your provisioning level with the UpdateTable API.',
      ThrottlingReasons: [{
        reason: 'TableWriteKeyRangeThroughputExceeded',
        resource: `arn:aws:dynamodb:${region}:123456789012:table/${table}`,
      }],
    };
  }

  function describe() {
    return { writesPerSecond: rate, burst, ...stats };
  }

  // The control routes under /key-budget; reply(status, json).
  function control(method, path, input, reply) {
    if (method === 'GET' && path === '/key-budget') return reply(200, describe());
    if (method === 'POST' && path === '/key-budget/reset') {
      stats = { checked: 0, throttled: 0 };
      buckets = new Map();
      return reply(200, describe());
    }
    if (method === 'PUT' && path === '/key-budget') {
      const r = input.writesPerSecond;
      const bu = input.burst ?? Math.max(1, Math.ceil(r / 4));
      if (!Number.isFinite(r) || r < 0 || !Number.isFinite(bu) || bu < 1) {
        return reply(400, { error: 'want {writesPerSecond >= 0, burst >= 1?}' });
      }
      rate = r;
      burst = bu;
      buckets = new Map();
      return reply(200, describe());
    }
    return reply(404, { error: `no control route ${method} ${path}` });
  }

  return { check, control, describe };
}
