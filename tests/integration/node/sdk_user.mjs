// twitter-api-sdk with an OAuth 2.0 user access token: me, follow (public and protected), following,
// unfollow. usage: node sdk_user.mjs BASE_URL USER_TOKEN PUBLIC_ID PROTECTED_ID
import { Client, emit } from './sdk_common.mjs';

const [base, token, publicId, protectedId] = process.argv.slice(2);
const client = new Client(token, { base_url: base });

const out = {};
out.me = await client.users.findMyUser({ 'user.fields': ['created_at', 'protected'] });
const me = out.me.data.id;
out.followPublic = await client.users.usersIdFollow(me, { target_user_id: publicId });
out.followProtected = await client.users.usersIdFollow(me, { target_user_id: protectedId });
out.following = await client.users.usersIdFollowing(me, { max_results: 100 });
out.unfollowPublic = await client.users.usersIdUnfollow(me, publicId);
out.unfollowProtected = await client.users.usersIdUnfollow(me, protectedId);
out.followingAfter = await client.users.usersIdFollowing(me);
emit(out);
