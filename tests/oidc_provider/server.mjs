// A real OpenID Connect provider for the tests: panva's oidc-provider (the package certified
// by the OpenID Foundation), with its discovery document at /.well-known/openid-configuration,
// ID tokens signed with an RSA key made at start, a login form that checks a password, and
// consent granted for the configured clients (first-party applications).
//
//   node server.mjs CONFIG.json
//
// CONFIG.json: {"issuer": "http://127.0.0.1:PORT", "port": PORT,
//   "clients": [{"client_id", "client_secret", "redirect_uris": [...],
//                "post_logout_redirect_uris": [...]}],
//   "accounts": [{"login", "password", "sub", "email", "email_verified", "name"}]}
//
// Started by tests/oidc_provider/provider.py, which waits for the discovery document. Bound to
// 127.0.0.1 only. Prints "listening <issuer>" once it listens.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Provider, interactionPolicy } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts || [];

function accountBySub(sub) {
  return accounts.find((a) => a.sub === sub);
}

function accountByLogin(login) {
  const wanted = String(login || '').trim().toLowerCase();
  return accounts.find((a) => a.login.toLowerCase() === wanted
    || (a.email && a.email.toLowerCase() === wanted));
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (ch) => (
    { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body>
${body}
</body></html>`;
}

function loginPage(uid, message, login) {
  return page('Test identity provider', `<h1>Test identity provider: sign in</h1>
${message ? `<p id="error" role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}">
  <label>User name or e-mail <input name="login" autocomplete="username" value="${escape(login || '')}"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>`);
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

// Streamlit asks for prompt=select_account by default, as Google and Microsoft expect; this
// provider answers it with its sign-in form, like an account chooser with one way in.
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

const provider = new Provider(config.issuer, {
  clients: config.clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    post_logout_redirect_uris: [],
    ...c,
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: ['handover-insight test provider cookie key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  // the e-mail and name claims in the ID token itself, as Keycloak and Entra ID put them
  // (Streamlit reads the ID token's claims, not the userinfo endpoint)
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // pages of its own: the defaults load a web font from the internet
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `<h1>Sign out of the test identity provider?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<h1>Signed out of the test identity provider</h1>');
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<h1>Error</h1><pre id="error">${escape(JSON.stringify(out))}</pre>`);
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  async findAccount(ctx, sub) {
    const account = accountBySub(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        const claims = { sub, name: account.name, preferred_username: account.login };
        if (account.email !== undefined) claims.email = account.email;
        if (account.email_verified !== undefined) claims.email_verified = account.email_verified;
        return claims;
      },
    };
  },
  // first-party clients: consent is granted without asking
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, IdToken: 600 },
});


async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
  if (!match) return next();
  ctx.set('Cache-Control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { uid, prompt } = details;
  if (!['select_account', 'login'].includes(prompt.name)) {
    ctx.throw(501, `the test provider does not answer the prompt ${prompt.name}`);
  }
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = loginPage(uid);
    return undefined;
  }
  if (ctx.method !== 'POST') return ctx.throw(405);
  const form = await readForm(ctx.req);
  const account = accountByLogin(form.get('login'));
  if (!account || account.password !== form.get('password')) {
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = loginPage(uid, 'Wrong user name or password.', form.get('login'));
    return undefined;
  }
  const redirectTo = await provider.interactionResult(ctx.req, ctx.res, {
    select_account: {},
    login: { accountId: account.sub },
  }, { mergeWithLastSubmission: false });
  ctx.redirect(redirectTo);
  return undefined;
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`listening ${config.issuer}`);
});
