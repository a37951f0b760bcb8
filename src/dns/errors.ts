/** Node's DNS error codes that mailauth acts on. */
export type DnsErrorCode =
  | 'ENOTFOUND'
  | 'ENODATA'
  | 'ETIMEOUT'
  | 'ESERVFAIL'
  | 'EREFUSED'
  | 'ECONNREFUSED'
  | 'ENOTIMP'
  | 'EBADNAME'
  | 'EBADQUERY'
  | 'EBADRESP'
  | 'EFORMERR';

export interface DnsError extends Error {
  code: string;
  hostname: string;
  syscall: string;
}

const SYSCALLS: Record<string, string> = {
  A: 'queryA',
  AAAA: 'queryAaaa',
  TXT: 'queryTxt',
  MX: 'queryMx',
  PTR: 'queryPtr',
  CNAME: 'queryCname',
  NS: 'queryNs',
  SOA: 'querySoa',
  SRV: 'querySrv',
  CAA: 'queryCaa',
  NAPTR: 'queryNaptr',
};

/** An error shaped like the ones `dns.promises.resolve` rejects with. */
export function dnsError(code: DnsErrorCode | string, hostname: string, rrtype: string, options?: ErrorOptions): DnsError {
  const syscall = SYSCALLS[rrtype] ?? 'query';
  return Object.assign(new Error(`${syscall} ${code} ${hostname}`, options), { code, hostname, syscall });
}

/** Answers that say "nothing there", worth remembering for a short while (RFC 2308). */
export function isNegativeAnswer(code: string | undefined): boolean {
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}
