// stores.mjs: run one integration test on each counter store.
//
//   for (const store of STORES) test(`... on ${store}`, async (t) => {
//     const s = await openStore(store, t);
//     const d = await startDaemon({ env: s.env() });
//     ...
//     const d2 = await startDaemon({ env: s.env({ VISITSD_TEST_DAY_OFFSET: 1 }) });  // same data
//
// openStore('sqlite') is a fresh SQLite file of its own, kept across
// daemons started with s.env(); openStore('dynamodb') starts the AWS test
// peer (tests/harness) for the test, whose table lives as long as the peer,
// and the daemon's API key is in the peer's SSM.  s.key is the key to send.
import { join } from 'node:path';
import { startHarness } from '../../harness/client.mjs';
import { TEST_KEY, tempDir } from './daemon.mjs';

// DynamoDB counts uniques and history once the dyn branch is merged: add
// 'dynamodb' here (or set VISITSD_TEST_STORES=sqlite,dynamodb) to run the
// same tests against the peer.
export const STORES = (process.env.VISITSD_TEST_STORES ?? 'sqlite').split(',').filter(Boolean);

export async function openStore(store, t) {
  if (store === 'sqlite') {
    const path = join(tempDir(), 'visits.db');
    return {
      store, key: TEST_KEY, sqlitePath: path,
      env: (extra = {}) => ({ VISITSD_SQLITE_PATH: path, ...extra }),
    };
  }
  if (store === 'dynamodb') {
    const h = await startHarness();
    t.after(() => h.stop());
    const base = { ...h.env('env'), VISITSD_API_KEY: undefined };
    // The test runner's own AWS variables must not leak into the daemon.
    for (const k of ['AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      'AWS_CONTAINER_AUTHORIZATION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      'AWS_EC2_METADATA_SERVICE_ENDPOINT']) {
      if (!(k in base)) base[k] = undefined;
    }
    return { store, key: h.apiKey, harness: h, env: (extra = {}) => ({ ...base, ...extra }) };
  }
  throw new Error(`unknown store ${store}`);
}
