// Typed configuration: every setting is declared once with its environment variable, its type and
// its default. A bad value fails at boot naming the setting. Only a service's main.ts reads
// process.env; everything else receives the parsed object.

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`config ${setting}: ${message}`);
  }
}

type Parser<T> = (raw: string, name: string) => T;

export interface Setting<T> {
  env: string;
  parse: Parser<T>;
  default?: T;
  doc: string;
}

const fail = (name: string, message: string): never => {
  throw new ConfigError(name, message);
};

function int(min: number, max: number): Parser<number> {
  return (raw, name) => {
    if (!/^-?\d+$/.test(raw.trim())) fail(name, `expected a whole number, got ${JSON.stringify(raw)}`);
    const n = Number(raw);
    if (n < min || n > max) fail(name, `expected ${min}..${max}, got ${n}`);
    return n;
  };
}

function float(min: number, max: number): Parser<number> {
  return (raw, name) => {
    const n = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(n)) fail(name, `expected a number, got ${JSON.stringify(raw)}`);
    if (n < min || n > max) fail(name, `expected ${min}..${max}, got ${n}`);
    return n;
  };
}

export const setting = {
  int: (env: string, doc: string, dflt: number | undefined, min = -(2 ** 31), max = 2 ** 31): Setting<number> => ({
    env,
    doc,
    default: dflt,
    parse: int(min, max),
  }),
  float: (env: string, doc: string, dflt: number | undefined, min = -Infinity, max = Infinity): Setting<number> => ({
    env,
    doc,
    default: dflt,
    parse: float(min, max),
  }),
  /** A TCP port; 0 asks the OS for a free one (tests). */
  port: (env: string, doc: string, dflt: number): Setting<number> => ({
    env,
    doc,
    default: dflt,
    parse: int(0, 65535),
  }),
  string: (env: string, doc: string, dflt?: string): Setting<string> => ({
    env,
    doc,
    default: dflt,
    parse: (raw, name) => (raw.trim() === "" ? fail(name, "must not be empty") : raw.trim()),
  }),
  url: (env: string, doc: string, protocols: string[], dflt?: string): Setting<string> => ({
    env,
    doc,
    default: dflt,
    parse: (raw, name) => {
      let u: URL;
      try {
        u = new URL(raw.trim());
      } catch {
        return fail(name, `not a URL: ${JSON.stringify(raw)}`);
      }
      if (!protocols.includes(u.protocol.replace(/:$/, ""))) {
        fail(name, `expected a ${protocols.join(" or ")} URL, got ${u.protocol}`);
      }
      return raw.trim();
    },
  }),
  bool: (env: string, doc: string, dflt: boolean): Setting<boolean> => ({
    env,
    doc,
    default: dflt,
    parse: (raw, name) => {
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      return fail(name, `expected true or false, got ${JSON.stringify(raw)}`);
    },
  }),
  oneOf: <const T extends string>(env: string, doc: string, values: readonly T[], dflt: T): Setting<T> => ({
    env,
    doc,
    default: dflt,
    parse: (raw, name) =>
      (values as readonly string[]).includes(raw.trim())
        ? (raw.trim() as T)
        : fail(name, `expected one of ${values.join(", ")}, got ${JSON.stringify(raw)}`),
  }),
};

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** STARLANE_LOG_LEVEL, the same for every service. */
export const logLevelSetting = setting.oneOf("STARLANE_LOG_LEVEL", "log level", LOG_LEVELS, "info");

export type ConfigSpec = Record<string, Setting<unknown>>;
type Optional<S> = S extends { default: undefined } ? undefined : never;
export type ConfigOf<S extends ConfigSpec> = {
  [K in keyof S]: S[K] extends Setting<infer T> ? T | Optional<S[K]> : never;
};

/**
 * Parses `env` against `spec`. Unset or empty variables take the default; a setting with no default
 * that is unset stays undefined (the service decides whether that means "embedded mode").
 */
export function loadConfig<S extends ConfigSpec>(spec: S, env: Record<string, string | undefined>): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const raw = env[s.env];
    out[key] = raw === undefined || raw === "" ? s.default : s.parse(raw, s.env);
  }
  return out as ConfigOf<S>;
}

/** One line per setting, for `--help` and the README. */
export function describeConfig(spec: ConfigSpec): string {
  return Object.values(spec)
    .map((s) => `${s.env.padEnd(28)} ${s.doc}${s.default === undefined ? "" : ` (default ${String(s.default)})`}`)
    .join("\n");
}
