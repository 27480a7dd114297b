// twitter-api-v2 against followd: lookups, pagination and its rateLimit fields.
// usage: node ratelimit.mjs BASE_URL BEARER USER_ID
import http from 'node:http';
import { TwitterApi, ApiResponseError } from 'twitter-api-v2';

const [base, bearer, userId] = process.argv.slice(2);
const rewrite = {
  onBeforeRequestConfig(args) {
    const u = new URL(args.params.url);
    const b = new URL(base);
    u.protocol = b.protocol; u.host = b.host;
    args.params.url = u.toString();
  },
};
const client = new TwitterApi(bearer, { plugins: [rewrite], httpAgent: new http.Agent() }).readOnly.v2;

const out = {};
const full = await client.get(`users/${userId}`, { 'user.fields': 'public_metrics' }, { fullResponse: true });
out.username = full.data.data.username;
out.rateLimit = full.rateLimit;
const followers = await client.followers(userId, { max_results: 5, asPaginator: true });
out.firstPage = followers.users.length;
await followers.fetchNext();
out.afterNext = followers.users.length;
try {
  for (;;) await client.user(userId);
} catch (e) {
  if (!(e instanceof ApiResponseError)) throw e;
  out.code = e.code;
  out.errorRateLimit = e.rateLimit;
  out.rateLimitError = e.rateLimitError;
}
console.log(JSON.stringify(out));
