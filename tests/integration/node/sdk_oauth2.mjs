// twitter-api-sdk's auth.OAuth2User PKCE flow against followd. Line protocol with the Python test:
// prints {"authorize_url"}, reads the redirect (callback URL with code and state) from stdin, then
// exchanges the code, calls /2/users/me, refreshes (explicitly and automatically), revokes, and prints
// the results. usage: node sdk_oauth2.mjs BASE_URL CLIENT_ID CLIENT_SECRET|- CALLBACK
import readline from 'node:readline';
import { Client, auth, emit, outcome } from './sdk_common.mjs';

const [base, clientId, secret, callback] = process.argv.slice(2);
const options = {
  client_id: clientId,
  ...(secret !== '-' && { client_secret: secret }),
  callback,
  scopes: ['tweet.read', 'users.read', 'follows.read', 'follows.write', 'offline.access'],
  request_options: { base_url: base },
};
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const me = (user) => new Client(user, { base_url: base }).users.findMyUser();
const tokenInfo = (t) => ({
  token_type: t.token_type,
  scope: t.scope,
  has_access: !!t.access_token,
  has_refresh: !!t.refresh_token,
  expires_in_s: Math.round((t.expires_at - Date.now()) / 1000),
});

const user = new auth.OAuth2User(options);
emit({ authorize_url: user.generateAuthURL({ state: 'sdk-state', code_challenge_method: 's256' }) });
const redirect = new URL((await lines.next()).value);

const out = { state: redirect.searchParams.get('state') };
const { token } = await user.requestAccessToken(redirect.searchParams.get('code'));
out.token = tokenInfo(token);
out.me = await me(user);
// The same code again (same verifier): single use, so X's invalid_grant; user.token stays as it was.
out.codeReused = await outcome(() => user.requestAccessToken(redirect.searchParams.get('code')));

// Explicit refresh rotates both tokens; the spent refresh token is then refused.
const spent = token.refresh_token;
const { token: refreshed } = await user.refreshAccessToken();
out.refreshed = tokenInfo(refreshed);
out.rotated = refreshed.access_token !== token.access_token && refreshed.refresh_token !== spent;
out.meAfterRefresh = await me(user);
out.spentRefresh = await outcome(() => new auth.OAuth2User({ ...options, token: { refresh_token: spent } })
  .refreshAccessToken());

// A token without expires_at counts as expired: the SDK refreshes it by itself before the call.
const auto = new auth.OAuth2User({
  ...options,
  token: { access_token: 'stale', refresh_token: user.token.refresh_token },
});
out.meAutoRefresh = await me(auto);
out.autoRefreshed = auto.token.access_token !== 'stale' && auto.token.refresh_token !== user.token.refresh_token;

// Revoking the access token ends it; revoking the refresh token (SDK sends token_type_hint) ends that.
out.revokeAccess = await auto.revokeAccessToken();
out.meAfterRevoke = await outcome(() => me(auto));
const holder = new auth.OAuth2User({ ...options, token: { refresh_token: auto.token.refresh_token } });
out.revokeRefresh = await holder.revokeAccessToken();
out.refreshAfterRevoke = await outcome(() => holder.refreshAccessToken());
emit(out);
