import { chatConfig } from "@starlane/chat";
import {
  DEFAULT_KEY_ENCRYPTION_KEY_FILE,
  generateKeyEncryptionKey,
  KEY_ENCRYPTION_KEY_FILE_ENV,
  loginConfig,
  parseKeyEncryptionKey,
} from "@starlane/login";
import {
  connectPostgres,
  createLogger,
  ensureOperatorTokenFile,
  ensureSecretFile,
  loadConfig,
  runMain,
} from "@starlane/shared";
import { zoneConfig } from "@starlane/zone";
import { embeddedConfig, embeddedOperatorConfig } from "./config.js";
import { createEmbedded } from "./index.js";
import { EMBEDDED_POOL_MAX, startEmbeddedPostgres } from "./postgres.js";

runMain("starlane", async (life) => {
  const config = loadConfig(embeddedConfig, process.env);
  const login = loadConfig(loginConfig, process.env);
  const zone = loadConfig(zoneConfig, process.env);
  const chat = loadConfig(chatConfig, process.env);
  const { operatorTokenFile } = loadConfig(embeddedOperatorConfig, process.env);
  const log = createLogger("starlane", config.logLevel);

  // The operator credential: STARLANE_OPERATOR_TOKEN if set, else the generated one in its file.
  // Made before the database so a fresh .starlane folder is created 0700.
  const operator =
    login.operatorToken === undefined
      ? ensureOperatorTokenFile(operatorTokenFile)
      : { token: login.operatorToken, path: undefined, created: false };
  // The signing keys' key-encryption key, the same way: the variable if set, else a generated file.
  const kek = login.keyEncryptionKey
    ? { value: login.keyEncryptionKey, path: undefined, created: false }
    : ensureSecretFile(
        login.keyEncryptionKeyFile ?? DEFAULT_KEY_ENCRYPTION_KEY_FILE,
        KEY_ENCRYPTION_KEY_FILE_ENV,
        "key",
        parseKeyEncryptionKey,
        generateKeyEncryptionKey,
      );

  let databaseUrl = config.databaseUrl;
  let max = 4;
  if (databaseUrl === undefined) {
    const pg = await startEmbeddedPostgres(config.dataDir);
    life.defer("embedded postgres", pg.stop);
    databaseUrl = pg.url;
    max = EMBEDDED_POOL_MAX;
  }
  const db = await connectPostgres(databaseUrl, { max });
  life.defer("postgres pool", () => db.end());

  const starlane = await createEmbedded(
    { log, db },
    { embedded: config, login: { ...login, operatorToken: operator.token, keyEncryptionKey: kek.value }, zone, chat },
  );
  life.defer("services", starlane.close);
  const { frontDoor, zone: zoneListening, chat: chatListening } = await starlane.listen();
  life.exitOnSignals(log);

  const base = `http://${config.publicHost}:${frontDoor.port}`;
  log.info(
    {
      frontDoor: base,
      database: config.databaseUrl ? "DATABASE_URL" : config.dataDir,
      operatorToken: operator.path ?? "STARLANE_OPERATOR_TOKEN",
      keyEncryptionKey: kek.path ?? "STARLANE_LOGIN_KEY_ENCRYPTION_KEY",
    },
    "starlane is up",
  );
  process.stdout.write(
    [
      "",
      "Starlane is running (embedded mode: in-process presence, embedded PostgreSQL).",
      `  browser client   ${base}/`,
      `  health           ${base}/healthz   ${base}/readyz   ${base}/metrics`,
      `  zone             ws://${zoneListening.address} (all ${starlane.zone.regions().length} regions; clients get here through POST ${base}/v1/world/enter)`,
      `  chat             ${chatListening.url} (world entry's answer gives it as \`chat\`)`,
      `  cluster map      ${base}/operator/map.html (asks for the operator token)`,
      // Where the token is, never the token: the banner ends up in terminals, logs and screenshots.
      `  operator token   ${operator.path ? `${operator.path}${operator.created ? " (new)" : ""}` : "from STARLANE_OPERATOR_TOKEN"}: send it as Authorization: Bearer <token> to ${base}/v1/operator/...`,
      `  signing keys     sealed in PostgreSQL with the key-encryption key ${kek.path ? `in ${kek.path}${kek.created ? " (new; keep it: without it the stored signing keys cannot be used)" : ""}` : "from STARLANE_LOGIN_KEY_ENCRYPTION_KEY"}`,
      "Ctrl-C stops it.",
      "",
    ].join("\n"),
  );
});
