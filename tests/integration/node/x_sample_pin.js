// X's JavaScript sample flow (xdevplatform/samples javascript/users/get_users_me_with_user_context.js,
// javascript/posts/create_tweet.js): oauth-1.0a + got, PIN-based. The access-token request is built exactly as there: signed over the
// bare access_token URL with the consumer key only, then POSTed to
// ?oauth_verifier=PIN&oauth_token=REQUEST_TOKEN. Then follows TARGET and lists the user's following.
// usage: node x_sample_pin.js BASE_URL CONSUMER_KEY CONSUMER_SECRET TARGET_ID [ACCESS]
// (the PIN comes on stdin). ACCESS: x_auth_access_type to ask for (create_tweet.js asks for write),
// or "none" for no x_auth_access_type (get_users_me_with_user_context.js).
const got = require('got');
const crypto = require('crypto');
const OAuth = require('oauth-1.0a');
const qs = require('querystring');
const readline = require('readline').createInterface({ input: process.stdin, output: process.stderr });

const [base, consumer_key, consumer_secret, target, access = 'write'] = process.argv.slice(2);
const requestTokenURL = `${base}/oauth/request_token?oauth_callback=oob` +
  (access === 'none' ? '' : `&x_auth_access_type=${access}`);
const authorizeURL = new URL(`${base}/oauth/authorize`);
const accessTokenURL = `${base}/oauth/access_token`;

const oauth = OAuth({
  consumer: { key: consumer_key, secret: consumer_secret },
  signature_method: 'HMAC-SHA1',
  hash_function: (baseString, key) => crypto.createHmac('sha1', key).update(baseString).digest('base64'),
});

async function input(prompt) {
  return new Promise((resolve) => readline.question(prompt, (out) => { readline.close(); resolve(out); }));
}

async function requestToken() {
  const authHeader = oauth.toHeader(oauth.authorize({ url: requestTokenURL, method: 'POST' }));
  const req = await got.post(requestTokenURL, { headers: { Authorization: authHeader['Authorization'] } });
  return qs.parse(req.body);
}

async function accessToken({ oauth_token }, verifier) {
  const authHeader = oauth.toHeader(oauth.authorize({ url: accessTokenURL, method: 'POST' }));
  const path = `${base}/oauth/access_token?oauth_verifier=${verifier}&oauth_token=${oauth_token}`;
  const req = await got.post(path, { headers: { Authorization: authHeader['Authorization'] } });
  return { header: authHeader['Authorization'], token: qs.parse(req.body) };
}

async function signed(method, url, token, json) {
  const authHeader = oauth.toHeader(oauth.authorize({ url, method }, token));
  const opts = { headers: { Authorization: authHeader['Authorization'], 'user-agent': 'v2FollowUserJS' },
                 responseType: 'json', throwHttpErrors: false };
  if (json) opts.json = json;
  const res = await got(url, { method, ...opts });
  return { status: res.statusCode, body: res.body };
}

(async () => {
  try {
    const rt = await requestToken();
    authorizeURL.searchParams.append('oauth_token', rt.oauth_token);
    console.log('Please go here and authorize:', authorizeURL.href);
    const pin = await input('Paste the PIN here: ');
    const at = await accessToken(rt, pin.trim());
    const token = { key: at.token.oauth_token, secret: at.token.oauth_token_secret };
    const id = at.token.user_id;
    const follow = await signed('POST', `${base}/2/users/${id}/following`, token, { target_user_id: target });
    const following = await signed('GET', `${base}/2/users/${id}/following`, token);
    console.log(JSON.stringify({ accessHeader: at.header, user_id: id, screen_name: at.token.screen_name,
                                 follow, following }));
  } catch (e) {
    console.error(e.response ? `${e.response.statusCode} ${e.response.body}` : e);
    process.exit(1);
  }
  process.exit(0);
})();
