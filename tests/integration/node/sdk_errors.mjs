// twitter-api-sdk error handling against followd: every non-2xx must reach the caller as the SDK's
// TwitterResponseError with X's JSON body. usage: node sdk_errors.mjs BASE_URL BEARER USER_ID
import { Client, emit, outcome } from './sdk_common.mjs';

const [base, bearer, userId] = process.argv.slice(2);
const app = new Client(bearer, { base_url: base });
const bad = new Client('not-a-real-token', { base_url: base });

emit({
  badToken: await outcome(() => bad.users.findUserById(userId)),
  maxResults: await outcome(() => app.users.usersIdFollowers(userId, { max_results: 5000 })),
  meWithAppBearer: await outcome(() => app.users.findMyUser()),
  followWithAppBearer: await outcome(() => app.users.usersIdFollow(userId, { target_user_id: userId })),
  badId: await outcome(() => app.users.findUserById('abc')),
  unknownId: await outcome(() => app.users.findUserById('1')),
});
