// twitter-api-sdk's 429 handling: without retries the 429 is a TwitterResponseError; with max_retries
// the SDK sleeps until x-rate-limit-reset and retries. usage: node sdk_ratelimit.mjs BASE_URL BEARER USER_ID
import { Client, emit, outcome } from './sdk_common.mjs';

const [base, bearer, userId] = process.argv.slice(2);
const client = new Client(bearer, { base_url: base });

const out = {};
out.first = await outcome(() => client.users.usersIdFollowers(userId, { max_results: 1 }));
out.limited = await outcome(() => client.users.usersIdFollowers(userId, { max_results: 1 }));
const t0 = Date.now();
out.retried = await outcome(() => client.users.usersIdFollowers(userId, { max_results: 1 }, { max_retries: 1 }));
out.waitedMs = Date.now() - t0;
emit(out);
