import { Hono, type Context } from 'hono';
import { AccountError, createAccount, listAccounts, normalName, resetPassword, setDisabled, setRole, type AccountSummary } from '../../staff/accounts.js';
import type { Staff } from '../../staff/index.js';
import { STAFF_ROLES } from '../../staff/roles.js';
import { CsrfField, Layout, page, Time } from './layout.js';

/**
 * Staff accounts, for admins: who may sign in and with what role; a new
 * account or a reset gets a one-time password, shown once, that its owner
 * must replace at their first sign-in.
 */

function RoleForm(props: { user: AccountSummary }) {
  return (
    <form method="post" action={`/admin/users/${encodeURIComponent(props.user.name)}/role`} class="inline">
      <CsrfField />
      <select name="role" aria-label={`role of ${props.user.name}`}>
        {STAFF_ROLES.map((role) => (
          <option value={role} selected={role === props.user.role}>
            {role}
          </option>
        ))}
      </select>{' '}
      <button type="submit">Set</button>
    </form>
  );
}

function Action(props: { user: AccountSummary; action: string; label: string }) {
  return (
    <form method="post" action={`/admin/users/${encodeURIComponent(props.user.name)}/${props.action}`} class="inline">
      <CsrfField />
      <button type="submit">{props.label}</button>
    </form>
  );
}

function UsersPage(props: { users: AccountSummary[]; notice?: string; error?: string; password?: { name: string; value: string } }) {
  return (
    <Layout title="Staff accounts">
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      {props.error ? (
        <p class="error" id="users-error">
          {props.error}
        </p>
      ) : null}
      {props.password ? (
        <p class="notice" id="one-time-password">
          One-time password for {props.password.name}: <code class="secret">{props.password.value}</code>. Give it to them by a safe way; it is not shown again, and they must
          choose their own at their first sign-in.
        </p>
      ) : null}
      <section class="panel">
        <table id="users">
          <thead>
            <tr>
              <th>name</th>
              <th>e-mail</th>
              <th>role</th>
              <th>signs in with</th>
              <th>created</th>
              <th>last sign-in</th>
              <th class="num">tokens</th>
              <th>status</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((user) => (
              <tr data-user={user.name}>
                <td>{user.name}</td>
                <td>{user.email ?? ''}</td>
                <td>
                  <RoleForm user={user} />
                </td>
                <td>{user.signIn}</td>
                <td>
                  <Time at={user.createdAt} />
                </td>
                <td>
                  <Time at={user.lastLoginAt} />
                </td>
                <td class="num">{user.tokens}</td>
                <td class={user.disabledAt ? 'bad' : ''}>{user.disabledAt ? 'disabled' : user.mustChangePassword ? 'one-time password' : 'active'}</td>
                <td>
                  {user.disabledAt ? <Action user={user} action="enable" label="Enable" /> : <Action user={user} action="disable" label="Disable" />}{' '}
                  <Action user={user} action="reset-password" label="New one-time password" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel">
        <h2>New account</h2>
        <form method="post" action="/admin/users" class="stacked" id="new-user">
          <CsrfField />
          <label>
            Name (the sign-in name, and the name actions are recorded under)
            <input name="name" required maxlength={100} />
          </label>
          <label>
            E-mail (optional)
            <input name="email" type="email" />
          </label>
          <label>
            Role
            <select name="role">
              {STAFF_ROLES.map((role) => (
                <option value={role}>{role}</option>
              ))}
            </select>
          </label>
          <button type="submit">Create</button>
        </form>
      </section>
    </Layout>
  );
}

export function userPages(staff: Staff): Hono {
  const pages = new Hono();
  const { db } = staff;
  const show = async (c: Context, status: 200 | 400 | 404, extra: { notice?: string; error?: string; password?: { name: string; value: string } } = {}) => {
    c.header('Cache-Control', 'no-store');
    return c.html(page(<UsersPage users={await listAccounts(db)} {...extra} />), status);
  };
  const field = (body: Record<string, unknown>, name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');

  /** Runs a change; an AccountError is shown on the page, not thrown. */
  const attempt = async (c: Context, change: () => Promise<{ notice?: string; password?: { name: string; value: string } }>) => {
    try {
      return await show(c, 200, await change());
    } catch (error) {
      if (error instanceof AccountError) return show(c, 400, { error: error.message });
      throw error;
    }
  };
  /** An admin does not lock themselves out: someone else must disable or demote them. */
  const notSelf = (c: Context, name: string, what: string) => {
    if (normalName(name) === c.get('staff').name) throw new AccountError(`you cannot ${what} your own account`);
  };

  pages.get('/users', (c) => show(c, 200));

  pages.post('/users', async (c) => {
    const body = await c.req.parseBody();
    return attempt(c, async () => {
      const { user, oneTimePassword } = await createAccount(db, { name: field(body, 'name'), email: field(body, 'email'), role: field(body, 'role') }, staff.now());
      return { notice: `Account ${user.name} created (${user.role}).`, password: { name: user.name, value: oneTimePassword as string } };
    });
  });

  pages.post('/users/:name/disable', (c) =>
    attempt(c, async () => {
      notSelf(c, c.req.param('name'), 'disable');
      const user = await setDisabled(db, c.req.param('name'), true, staff.now());
      return { notice: `Account ${user.name} disabled: its sessions have ended and its tokens no longer work.` };
    }),
  );
  pages.post('/users/:name/enable', (c) =>
    attempt(c, async () => {
      const user = await setDisabled(db, c.req.param('name'), false, staff.now());
      return { notice: `Account ${user.name} enabled.` };
    }),
  );
  pages.post('/users/:name/role', async (c) => {
    const role = field(await c.req.parseBody(), 'role');
    return attempt(c, async () => {
      if (role !== 'admin') notSelf(c, c.req.param('name'), 'take the admin role from');
      const user = await setRole(db, c.req.param('name'), role);
      return { notice: `${user.name} is now ${user.role === 'admin' ? 'an' : 'a'} ${user.role}.` };
    });
  });
  pages.post('/users/:name/reset-password', (c) =>
    attempt(c, async () => {
      const name = normalName(c.req.param('name'));
      return { notice: `${name} has a new one-time password; their sessions have ended.`, password: { name, value: await resetPassword(db, name) } };
    }),
  );

  return pages;
}
