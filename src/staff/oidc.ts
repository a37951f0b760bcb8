import * as client from 'openid-client';
import type { Db } from '../db/index.js';
import type { StaffUser } from '../generated/prisma/client.js';
import { AccountError, checkName, createAccount, identityOf, isUniqueViolation } from './accounts.js';
import { hasRole, type StaffIdentity, type StaffRole } from './roles.js';

export interface OidcOptions {
  issuer: URL;
  clientId: string;
  /** Without one the client is public and PKCE alone binds the code to us. */
  clientSecret?: string;
  redirectUrl: URL;
  scopes: string;
  /** The claim that names the account (its login and the actor on events). */
  usernameClaim: string;
  /** The claim (a string or a list, such as `groups`) whose values `roleMap` turns into roles. */
  roleClaim?: string;
  roleMap: ReadonlyMap<string, StaffRole>;
  /** The role of someone the map gives none; null refuses them. */
  defaultRole: StaffRole | null;
}

/** What the browser keeps between leaving for the identity provider and coming back. */
export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

/** A sign-in the identity provider vouched for but the desk refuses; the message says why, for the person. */
export class OidcRefusal extends Error {
  override readonly name = 'OidcRefusal';
}

type Claims = Record<string, unknown>;

/**
 * Sign-in through an OpenID Connect provider (authorization code flow with
 * PKCE, state and nonce; openid-client does the protocol and checks the ID
 * token). The provider decides who someone is and, through `roleClaim`, their
 * role at every sign-in; the desk keeps an account for them, by issuer and
 * subject, so their actions are recorded under a stable name.
 */
export class OidcSignIn {
  private discovered: Promise<client.Configuration> | null = null;

  constructor(private readonly options: OidcOptions) {}

  /** Where to send the browser, and what it must bring back. */
  async start(next: string): Promise<{ url: URL; pending: PendingLogin }> {
    const config = await this.configuration();
    const pending: PendingLogin = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), next };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.options.redirectUrl.href,
      scope: this.options.scopes,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
    });
    return { url, pending };
  }

  /** Exchanges the code the browser brought back; the claims of the ID token and the userinfo endpoint. */
  async finish(query: URLSearchParams, pending: PendingLogin): Promise<{ issuer: string; claims: Claims }> {
    const config = await this.configuration();
    // The URL the provider redirected to, as it knows it (a proxy in front of us may have changed the one we see).
    const current = new URL(this.options.redirectUrl.href);
    current.search = query.toString();
    const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, idTokenExpected: true });
    const idClaims = tokens.claims() as Claims | undefined;
    const subject = idClaims?.sub;
    if (typeof subject !== 'string') throw new OidcRefusal('the identity provider sent no subject');
    let userinfo: Claims = {};
    if (config.serverMetadata().userinfo_endpoint) userinfo = (await client.fetchUserInfo(config, tokens.access_token, subject)) as Claims;
    return { issuer: config.serverMetadata().issuer, claims: { ...userinfo, ...idClaims } };
  }

  /** The account name, address and role the claims give, or why they give none. */
  decide(claims: Claims): { subject: string; name: string; email: string | null; emailVerified: boolean; role: StaffRole } {
    const subject = String(claims.sub);
    const raw = claims[this.options.usernameClaim];
    if (typeof raw !== 'string' || raw.trim() === '') throw new OidcRefusal(`the identity provider did not send the claim ${this.options.usernameClaim}, which names the account`);
    let name: string;
    try {
      name = checkName(raw);
    } catch (error) {
      throw new OidcRefusal((error as Error).message);
    }
    const role = this.roleOf(claims);
    if (!role) throw new OidcRefusal('your identity provider account is not in a group that may use the abuse desk');
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : null;
    return { subject, name, email, emailVerified: claims.email_verified === true, role };
  }

  private roleOf(claims: Claims): StaffRole | null {
    const { roleClaim, roleMap, defaultRole } = this.options;
    const value = roleClaim ? claims[roleClaim] : undefined;
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    let best: StaffRole | null = null;
    for (const item of values) {
      const role = typeof item === 'string' ? roleMap.get(item) : undefined;
      if (role && (!best || hasRole(role, best))) best = role;
    }
    return best ?? defaultRole;
  }

  private configuration(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.options;
    // A provider on loopback (a test, a provider beside us) may speak plain HTTP; the config refuses it anywhere else.
    const execute = issuer.protocol === 'http:' ? [client.allowInsecureRequests] : [];
    this.discovered ??= client.discovery(issuer, clientId, undefined, clientSecret ? client.ClientSecretBasic(clientSecret) : client.None(), { execute }).catch((error: unknown) => {
      this.discovered = null;
      throw error;
    });
    return this.discovered;
  }
}

/**
 * The account for a person the provider vouched for: found by issuer and
 * subject; or an account of the same name, linked when the provider verified
 * that it is that account's address; or a new one. Its role follows the
 * provider at every sign-in. A disabled account stays disabled.
 */
export async function accountForOidc(db: Db, issuer: string, person: ReturnType<OidcSignIn['decide']>, now: Date): Promise<StaffIdentity> {
  let user: StaffUser | null = await db.staffUser.findUnique({ where: { oidcIssuer_oidcSubject: { oidcIssuer: issuer, oidcSubject: person.subject } } });
  if (!user) {
    const named = await db.staffUser.findUnique({ where: { name: person.name } });
    if (named) {
      const sameAddress = person.emailVerified && person.email !== null && (named.email === person.email || named.name === person.email);
      if (named.oidcSubject || !sameAddress) throw new OidcRefusal(`an account named ${person.name} exists already; it is linked to an identity provider account only when the provider has verified that account's e-mail address`);
      user = await db.staffUser.update({ where: { id: named.id }, data: { oidcIssuer: issuer, oidcSubject: person.subject } });
    } else {
      try {
        user = (await createAccount(db, { name: person.name, role: person.role, email: person.email, password: null, oidc: { issuer, subject: person.subject } }, now)).user;
      } catch (error) {
        if (error instanceof AccountError) throw new OidcRefusal(error.message);
        throw error;
      }
    }
  }
  if (user.disabledAt) throw new OidcRefusal('this account is disabled');
  try {
    user = await db.staffUser.update({ where: { id: user.id }, data: { role: person.role, lastLoginAt: now, ...(person.email ? { email: person.email } : {}) } });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Another account has that address: the role still follows the provider.
    user = await db.staffUser.update({ where: { id: user.id }, data: { role: person.role, lastLoginAt: now } });
  }
  return identityOf(user);
}
