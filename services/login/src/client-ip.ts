// Who is asking, for the per-IP limits. Behind a load balancer every request comes from the
// balancer's address, so the limits would throttle everyone together; the real client is in
// X-Forwarded-For, but only the entries our own proxies appended can be trusted (a client can
// put anything at the front of that header).

/**
 * `hops` is how many proxies we run in front of login. Each appends the address it saw, so the
 * client as seen by the outermost one is `hops` entries from the end.
 */
export function clientIp(socketIp: string, forwardedFor: string, hops: number): string {
  if (hops === 0) return socketIp;
  const chain = forwardedFor
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s.length <= 64);
  if (chain.length === 0) return socketIp;
  return chain[Math.max(0, chain.length - hops)]!;
}
