// twitter-api-sdk with an app-only bearer: user lookups (single and multi), fields and expansions, and
// the SDK's async-iterator paginator over every follower page.
// usage: node sdk_app.mjs BASE_URL BEARER CELEBRITY_ID OTHER_ID
import { Client, emit } from './sdk_common.mjs';

const [base, bearer, celebId, otherId] = process.argv.slice(2);
const client = new Client(bearer, { base_url: base });
const fields = {
  'user.fields': ['created_at', 'description', 'protected', 'pinned_tweet_id', 'public_metrics'],
  expansions: ['pinned_tweet_id'],
  'tweet.fields': ['created_at'],
};

const out = {};
out.byId = await client.users.findUserById(celebId, fields);
out.byUsername = await client.users.findUserByUsername(out.byId.data.username, fields);
out.byIds = await client.users.findUsersById({ ids: [celebId, otherId], 'user.fields': ['protected'] });
out.byUsernames = await client.users.findUsersByUsername({
  usernames: [out.byId.data.username, 'no_such_user_zz'],
});
out.unknown = await client.users.findUserByUsername('no_such_user_zz');

// Awaiting the paginator gives the first page; iterating follows meta.next_token to the end.
const first = await client.users.usersIdFollowers(celebId, { max_results: 3, 'user.fields': ['username'] });
out.firstPage = { count: first.data.length, meta: first.meta };
const pages = [];
const ids = new Set();
for await (const page of client.users.usersIdFollowers(celebId, { max_results: 1000 })) {
  pages.push({ count: page.data?.length ?? 0, meta: page.meta });
  for (const u of page.data ?? []) ids.add(u.id);
}
out.pages = pages;
out.distinctFollowers = ids.size;
emit(out);
