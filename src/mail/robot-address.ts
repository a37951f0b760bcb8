/**
 * Addresses that belong to machines: intake refuses mail from them and we
 * never write to them. One rule for both sides, so nothing we would refuse to
 * hear from is ever answered. Separators vary (no-reply, no_reply,
 * do.not.reply) and robots prefix or suffix their names (accounts-noreply,
 * bounces+tag, Bounce-123), so the local part is compared without separators.
 */
export function isRobotAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  const local = (at < 0 ? address : address.slice(0, at)).toLowerCase().replace(/[-_.]/g, '');
  if (local === '') return false;
  return ROBOT_PREFIXES.some((p) => local.startsWith(p)) || ROBOT_INFIXES.some((p) => local.includes(p));
}

const ROBOT_PREFIXES = ['mailerdaemon', 'postmaster', 'bounce'];
const ROBOT_INFIXES = ['noreply', 'donotreply', 'dontreply'];
