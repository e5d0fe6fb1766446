// Party membership, shared by every chat instance: a party has a leader, members and pending
// invites; a player is in at most one party. In-process for the embedded mode, Redis (each change
// one Lua script, so two instances cannot both seat the same player) for the cluster. Names are
// lower case. Which connections to deliver to is the server's business; this only keeps who is in.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

export interface Party {
  id: string;
  leader: string;
  members: string[];
}

export type PartyRefusal =
  | "STARLANE_ERR_CHAT_ALREADY_IN_PARTY"
  | "STARLANE_ERR_CHAT_NOT_IN_PARTY"
  | "STARLANE_ERR_CHAT_NOT_INVITED"
  | "STARLANE_ERR_CHAT_NOT_LEADER";

export type PartyResult = { ok: true; party: Party } | { ok: false; code: PartyRefusal };

export interface Parties {
  /** The party `name` is in, if any. */
  of(name: string): Promise<Party | null>;
  create(leader: string): Promise<PartyResult>;
  /** Any member may invite; resolves the party (the invitee is told by the caller). */
  invite(inviter: string, invitee: string): Promise<PartyResult>;
  accept(name: string, party: string): Promise<PartyResult>;
  /** `party` is what is left (possibly no members: it is gone); a leaving leader hands over to the oldest member. */
  leave(name: string): Promise<PartyResult>;
  kick(leader: string, name: string): Promise<PartyResult>;
}

export class LocalParties implements Parties {
  readonly #parties = new Map<string, { leader: string; members: string[]; invites: Set<string> }>();
  readonly #of = new Map<string, string>();

  #view(id: string): Party {
    const p = this.#parties.get(id);
    return { id, leader: p?.leader ?? "", members: [...(p?.members ?? [])] };
  }

  async of(name: string) {
    const id = this.#of.get(name);
    return id ? this.#view(id) : null;
  }

  async create(leader: string): Promise<PartyResult> {
    if (this.#of.has(leader)) return { ok: false, code: "STARLANE_ERR_CHAT_ALREADY_IN_PARTY" };
    const id = randomUUID();
    this.#parties.set(id, { leader, members: [leader], invites: new Set() });
    this.#of.set(leader, id);
    return { ok: true, party: this.#view(id) };
  }

  async invite(inviter: string, invitee: string): Promise<PartyResult> {
    const id = this.#of.get(inviter);
    if (!id) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" };
    this.#parties.get(id)!.invites.add(invitee);
    return { ok: true, party: this.#view(id) };
  }

  async accept(name: string, id: string): Promise<PartyResult> {
    const p = this.#parties.get(id);
    if (!p?.invites.has(name)) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_INVITED" };
    if (this.#of.has(name)) return { ok: false, code: "STARLANE_ERR_CHAT_ALREADY_IN_PARTY" };
    p.invites.delete(name);
    p.members.push(name);
    this.#of.set(name, id);
    return { ok: true, party: this.#view(id) };
  }

  async leave(name: string): Promise<PartyResult> {
    const id = this.#of.get(name);
    if (!id) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" };
    return { ok: true, party: this.#remove(id, name) };
  }

  async kick(leader: string, name: string): Promise<PartyResult> {
    const id = this.#of.get(leader);
    if (!id) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" };
    if (this.#parties.get(id)!.leader !== leader) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_LEADER" };
    if (this.#of.get(name) !== id) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" };
    return { ok: true, party: this.#remove(id, name) };
  }

  #remove(id: string, name: string): Party {
    const p = this.#parties.get(id)!;
    p.members = p.members.filter((m) => m !== name);
    this.#of.delete(name);
    if (p.leader === name) p.leader = p.members[0] ?? "";
    const view = this.#view(id);
    if (p.members.length === 0) this.#parties.delete(id);
    return view;
  }
}

// KEYS: party hash (leader), members list, invites set, of-key(name); prefix for of-keys in ARGV.
// Each script answers { code } or { id, leader, members... } as a flat array: "ok"|code, id, leader, members...
const VIEW = `
local function view(id, pk, mk)
  local out = { 'ok', id, redis.call('HGET', pk, 'leader') or '' }
  for _, m in ipairs(redis.call('LRANGE', mk, 0, -1)) do table.insert(out, m) end
  return out
end
`;
const ofKey = (prefix: string, name: string) => `${prefix}chat:party-of:${name}`;
const partyKey = (prefix: string, id: string) => `${prefix}chat:party:${id}`;
const membersKey = (prefix: string, id: string) => `${prefix}chat:party:${id}:members`;
const invitesKey = (prefix: string, id: string) => `${prefix}chat:party:${id}:invites`;

// KEYS[1] of(leader), [2] party, [3] members; ARGV id, leader
const CREATE = `${VIEW}
if redis.call('EXISTS', KEYS[1]) == 1 then return { 'STARLANE_ERR_CHAT_ALREADY_IN_PARTY' } end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'leader', ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[2])
return view(ARGV[1], KEYS[2], KEYS[3])`;
// KEYS[1] of(name), [2] party, [3] members, [4] invites; ARGV id, name
const ACCEPT = `${VIEW}
if redis.call('SISMEMBER', KEYS[4], ARGV[2]) == 0 then return { 'STARLANE_ERR_CHAT_NOT_INVITED' } end
if redis.call('EXISTS', KEYS[1]) == 1 then return { 'STARLANE_ERR_CHAT_ALREADY_IN_PARTY' } end
if redis.call('EXISTS', KEYS[2]) == 0 then return { 'STARLANE_ERR_CHAT_NOT_INVITED' } end
redis.call('SREM', KEYS[4], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[2])
return view(ARGV[1], KEYS[2], KEYS[3])`;
// KEYS[1] of(name), [2] party, [3] members, [4] invites, [5] of(actor); ARGV id, name, actor ("" = the player leaves)
const REMOVE = `${VIEW}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return { 'STARLANE_ERR_CHAT_NOT_IN_PARTY' } end
local leader = redis.call('HGET', KEYS[2], 'leader')
if ARGV[3] ~= '' and leader ~= ARGV[3] then return { 'STARLANE_ERR_CHAT_NOT_LEADER' } end
redis.call('DEL', KEYS[1])
redis.call('LREM', KEYS[3], 0, ARGV[2])
if leader == ARGV[2] then
  local next = redis.call('LINDEX', KEYS[3], 0)
  if next then redis.call('HSET', KEYS[2], 'leader', next) end
end
local out = view(ARGV[1], KEYS[2], KEYS[3])
if redis.call('LLEN', KEYS[3]) == 0 then redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) end
return out`;

export class RedisParties implements Parties {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, options: { prefix: string }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
  }

  #result(raw: unknown): PartyResult {
    const a = raw as string[];
    if (a[0] !== "ok") return { ok: false, code: a[0] as PartyRefusal };
    return { ok: true, party: { id: a[1]!, leader: a[2]!, members: a.slice(3) } };
  }

  #keys(id: string) {
    return [partyKey(this.#prefix, id), membersKey(this.#prefix, id), invitesKey(this.#prefix, id)] as const;
  }

  async of(name: string) {
    const id = await this.#redis.get(ofKey(this.#prefix, name));
    if (!id) return null;
    const [pk, mk] = this.#keys(id);
    const [leader, members] = await Promise.all([this.#redis.hget(pk, "leader"), this.#redis.lrange(mk, 0, -1)]);
    return { id, leader: leader ?? "", members };
  }

  async create(leader: string) {
    const id = randomUUID();
    const [pk, mk] = this.#keys(id);
    return this.#result(await this.#redis.eval(CREATE, 3, ofKey(this.#prefix, leader), pk, mk, id, leader));
  }

  async invite(inviter: string, invitee: string): Promise<PartyResult> {
    const party = await this.of(inviter);
    if (!party) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" };
    await this.#redis.sadd(this.#keys(party.id)[2], invitee);
    return { ok: true, party };
  }

  async accept(name: string, id: string) {
    const [pk, mk, ik] = this.#keys(id);
    return this.#result(await this.#redis.eval(ACCEPT, 4, ofKey(this.#prefix, name), pk, mk, ik, id, name));
  }

  async leave(name: string): Promise<PartyResult> {
    const id = await this.#redis.get(ofKey(this.#prefix, name));
    if (!id) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" };
    return this.#remove(id, name, "");
  }

  async kick(leader: string, name: string): Promise<PartyResult> {
    const id = await this.#redis.get(ofKey(this.#prefix, leader));
    if (!id) return { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" };
    return this.#remove(id, name, leader);
  }

  async #remove(id: string, name: string, actor: string) {
    const [pk, mk, ik] = this.#keys(id);
    const keys = [ofKey(this.#prefix, name), pk, mk, ik, ofKey(this.#prefix, actor || name)];
    return this.#result(await this.#redis.eval(REMOVE, 5, ...keys, id, name, actor));
  }
}
