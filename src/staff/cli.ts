import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { DatabaseLockedError } from '../db/embedded.js';
import { openDatabaseFromConfig, type Db } from '../db/index.js';
import { AccountError, createAccount, findAccount, listAccounts, resetPassword, setDisabled, setRole } from './accounts.js';
import { issueToken } from './tokens.js';

/**
 * `npm run -s users -- <command>`: staff accounts from the command line.
 * For a running server on the embedded database use the dashboard's Users
 * page instead (the database is locked to that process).
 */
const USAGE = `usage: npm run -s users -- <command>
  add NAME [--role viewer|specialist|admin] [--email ADDRESS] [--password-stdin]
                         a new account (role viewer unless given); prints a one-time
                         password, or takes the password from standard input
  list [--json]          every account, its role and status
  disable NAME           ends its sessions; its tokens stop working
  enable NAME
  role NAME ROLE         viewer, specialist or admin
  reset-password NAME    prints a new one-time password; its sessions end
  token NAME [--label TEXT]
                         issues a personal API token for NAME and prints it (once)`;

class UsageError extends Error {}

async function run(db: Db, argv: string[], now: Date): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string' }, email: { type: 'string' }, 'password-stdin': { type: 'boolean' }, label: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [command, name, extra] = positionals;
  const needName = () => {
    if (!name) throw new UsageError(`${command} needs an account name`);
    return name;
  };
  switch (command) {
    case 'add': {
      const password = values['password-stdin'] ? (await text(process.stdin)).replace(/\r?\n$/, '') : undefined;
      const { user, oneTimePassword } = await createAccount(db, { name: needName(), role: values.role ?? 'viewer', email: values.email, password }, now);
      return oneTimePassword
        ? `created ${user.name} (${user.role})\none-time password: ${oneTimePassword}\n(it must be changed at the first sign-in; it is not shown again)`
        : `created ${user.name} (${user.role})`;
    }
    case 'list': {
      const accounts = await listAccounts(db);
      if (values.json) return JSON.stringify(accounts, null, 2);
      return accounts
        .map((a) => [a.name, a.role, a.disabledAt ? 'disabled' : a.mustChangePassword ? 'one-time-password' : 'active', a.email ?? '-', `signs in with ${a.signIn}`, `${a.tokens} token(s)`].join('\t'))
        .join('\n');
    }
    case 'disable':
    case 'enable': {
      const user = await setDisabled(db, needName(), command === 'disable', now);
      return `${user.name} ${command}d`;
    }
    case 'role': {
      if (!extra) throw new UsageError('role needs an account name and a role');
      const user = await setRole(db, needName(), extra);
      return `${user.name} is now ${user.role}`;
    }
    case 'reset-password':
      return `one-time password for ${needName()}: ${await resetPassword(db, needName())}\n(it must be changed at the next sign-in; it is not shown again)`;
    case 'token': {
      const user = await findAccount(db, needName());
      if (!user) throw new AccountError(`no account named ${name}`);
      if (user.disabledAt) throw new AccountError(`${user.name} is disabled`);
      const issued = await issueToken(db, user.id, values.label ?? 'issued with npm run users', now);
      return `API token for ${user.name} (${issued.label}):\n${issued.token}\n(use as Authorization: Bearer …; it is not shown again)`;
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command given');
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes('--help')) {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const database = await openDatabaseFromConfig(loadConfig(process.env), 2);
  try {
    console.log(await run(database.prisma, argv, new Date()));
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    if (error instanceof AccountError || error instanceof ConfigError || error instanceof DatabaseLockedError) console.error(error.message);
    else console.error(error);
    process.exit(1);
  },
);
