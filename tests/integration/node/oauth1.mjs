// twitter-api-v2 with OAuth 1.0a user context (sorted header, no spaces, base64url nonces):
// me, follow, unfollow. usage: node oauth1.mjs BASE_URL CK CS AT ATS TARGET_ID
import http from 'node:http';
import { TwitterApi } from 'twitter-api-v2';

const [base, appKey, appSecret, accessToken, accessSecret, target] = process.argv.slice(2);
const rewrite = {
  onBeforeRequestConfig(args) {
    const u = new URL(args.params.url);
    const b = new URL(base);
    u.protocol = b.protocol; u.host = b.host;
    args.params.url = u.toString();
  },
};
const client = new TwitterApi({ appKey, appSecret, accessToken, accessSecret },
                              { plugins: [rewrite], httpAgent: new http.Agent() }).v2;
const me = await client.me();
const followed = await client.follow(me.data.id, target);
const unfollowed = await client.unfollow(me.data.id, target);
console.log(JSON.stringify({ me: me.data, followed: followed.data, unfollowed: unfollowed.data }));
