import { Hono, type Context } from 'hono';
import { AccountError, changePassword } from '../../staff/accounts.js';
import type { Staff } from '../../staff/index.js';
import { MIN_PASSWORD_LENGTH } from '../../staff/passwords.js';
import { issueToken, listTokens, revokeToken, type IssuedToken } from '../../staff/tokens.js';
import { clientIp } from '../auth.js';
import { CsrfField, Layout, page, Time } from './layout.js';

/**
 * The signed-in person's own account: their password (a one-time password
 * must be replaced here before anything else opens) and their personal API
 * tokens, each shown once when issued.
 */

interface AccountView {
  name: string;
  role: string;
  hasPassword: boolean;
  viaProvider: boolean;
  mustChangePassword: boolean;
  tokens: Awaited<ReturnType<typeof listTokens>>;
}

function AccountPage(props: { account: AccountView; notice?: string; error?: string; issued?: IssuedToken }) {
  const { account } = props;
  return (
    <Layout title={`Your account: ${account.name}`}>
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {props.error ? (
        <p class="error" id="account-error">
          {props.error}
        </p>
      ) : null}
      {props.issued ? (
        <p class="notice" id="issued-token">
          Your new token “{props.issued.label}” is <code class="secret">{props.issued.token}</code>. Copy it now: it is not shown again. Use it as{' '}
          <code>Authorization: Bearer …</code>
        </p>
      ) : null}
      <p>Role: {account.role}.</p>
      <section class="panel" id="password">
        <h2>Password</h2>
        {account.mustChangePassword ? <p class="warn">You signed in with a one-time password: choose your own before going on.</p> : null}
        {account.viaProvider && !account.hasPassword ? (
          <p class="muted">You sign in through your organisation's identity provider.</p>
        ) : (
          <form method="post" action="/admin/account/password" class="stacked">
            <CsrfField />
            <input type="hidden" name="username" autocomplete="username" value={account.name} />
            <label>
              Current password
              <input name="current" type="password" autocomplete="current-password" required />
            </label>
            <label>
              New password (at least {MIN_PASSWORD_LENGTH} characters)
              <input name="password" type="password" autocomplete="new-password" minlength={MIN_PASSWORD_LENGTH} required />
            </label>
            <label>
              New password again
              <input name="repeat" type="password" autocomplete="new-password" required />
            </label>
            <button type="submit">Change password</button>
          </form>
        )}
      </section>
      {account.mustChangePassword ? null : (
        <section class="panel" id="tokens">
          <h2>Personal API tokens</h2>
          <table>
            <thead>
              <tr>
                <th>label</th>
                <th>issued</th>
                <th>last used</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {account.tokens.map((token) => (
                <tr>
                  <td>{token.label}</td>
                  <td>
                    <Time at={token.createdAt} />
                  </td>
                  <td>
                    <Time at={token.lastUsedAt} />
                  </td>
                  <td>
                    <form method="post" action={`/admin/account/tokens/${encodeURIComponent(token.id)}/revoke`} class="inline">
                      <CsrfField />
                      <button type="submit">Revoke</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form method="post" action="/admin/account/tokens" class="stacked">
            <CsrfField />
            <label>
              Label
              <input name="label" maxlength={100} placeholder="what the token is for" />
            </label>
            <button type="submit">Issue a token</button>
          </form>
        </section>
      )}
    </Layout>
  );
}

export function accountPages(staff: Staff): Hono {
  const pages = new Hono();
  const { db } = staff;

  const load = async (c: Context): Promise<AccountView> => {
    const me = c.get('staff');
    const user = await db.staffUser.findUniqueOrThrow({ where: { id: me.id } });
    return {
      name: user.name,
      role: user.role,
      hasPassword: user.passwordHash !== null,
      viaProvider: user.oidcSubject !== null,
      mustChangePassword: me.mustChangePassword,
      tokens: await listTokens(db, user.id),
    };
  };
  const show = async (c: Context, status: 200 | 400 | 401 | 429, extra: { notice?: string; error?: string; issued?: IssuedToken } = {}) =>
    c.html(page(<AccountPage account={await load(c)} {...extra} />), status);

  pages.get('/account', (c) => show(c, 200, c.req.query('changed') ? { notice: 'Your password has been changed; your other sessions have ended.' } : {}));

  pages.post('/account/password', async (c) => {
    const me = c.get('staff');
    const body = await c.req.parseBody();
    const [current, password, repeat] = [body.current, body.password, body.repeat].map((value) => (typeof value === 'string' ? value : ''));
    const confirmed = await staff.auth.signIn(me.name, current as string, clientIp(c));
    if (confirmed.kind === 'limited') return show(c, 429, { error: `Too many failed attempts; try again in ${Math.ceil(confirmed.retryAfterSeconds / 60)} minute(s).` });
    if (confirmed.kind === 'refused') return show(c, 401, { error: 'The current password is wrong.' });
    if (password !== repeat) return show(c, 400, { error: 'The two new passwords differ.' });
    try {
      await changePassword(db, { id: me.id, name: me.name }, password as string, c.get('staffSession')?.id ?? null);
    } catch (error) {
      if (error instanceof AccountError) return show(c, 400, { error: error.message });
      throw error;
    }
    return c.redirect('/admin/account?changed=1', 303);
  });

  pages.post('/account/tokens', async (c) => {
    const label = (await c.req.parseBody()).label;
    const issued = await issueToken(db, c.get('staff').id, typeof label === 'string' ? label : '', staff.now());
    // Shown in this answer only, never in a URL.
    c.header('Cache-Control', 'no-store');
    return show(c, 200, { issued });
  });

  pages.post('/account/tokens/:id/revoke', async (c) => {
    await revokeToken(db, c.get('staff').id, c.req.param('id'), staff.now());
    return c.redirect('/admin/account', 303);
  });

  return pages;
}
