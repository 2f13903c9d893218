/**
 * The deployment files under deploy/ agree with the code: the compose file's services exist and
 * run the image's real commands (the files of `npm run worker` / `npm run api`), with settings
 * lib/config.ts knows; Temporal's images are the versions the cluster profile runs; the namespace
 * jobs register exactly the project's search attributes; the load balancer sends to the APIs'
 * port, sticks to the console's session cookie and is the one proxy the APIs trust; the Helm
 * values describe the same PostgreSQL stores. (Neither Docker nor Helm runs here; docs/decisions/
 * 0026 says which tools checked these files once.)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TypedSearchAttributes } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { STAFF_SESSION_COOKIE } from '../../services/staff/sessions';
import { TEMPORAL_DATABASES, TEMPORAL_DYNAMIC_CONFIG, TEMPORAL_SERVER_PINS } from '../../dev/temporal-server';

const read = (file: string) => readFileSync(file, 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string }>;
  ports?: string[];
}

const compose = parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const packageScripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const entrypoint = read('deploy/entrypoint.sh');
const configSource = read('lib/config.ts');
const serverVersion = TEMPORAL_SERVER_PINS.server.version.replace(/^v/, '');
const uiVersion = TEMPORAL_SERVER_PINS.ui.version.replace(/^v/, '');

/** The project's search attributes as `Name:Type` (the CLI's type names). */
const wantedAttributes = SEARCH_ATTRIBUTES.map((a) => `${a.name}:${TypedSearchAttributes.toMetadataType(a.type)}`).sort();

/** The `for attribute in …` list of a shell script that registers search attributes. */
function attributesIn(script: string): string[] {
  const m = /for attribute in ([^;]+);/.exec(script);
  return (m?.[1] ?? '').trim().split(/\s+/).sort();
}

/** The file an entrypoint command runs (`worker) … exec node --import tsx worker/main.ts`). */
function entrypointFile(command: string): string | undefined {
  return new RegExp(`^\\s*${command}\\)[^\\n]*exec node --import tsx (\\S+\\.ts)`, 'm').exec(entrypoint)?.[1];
}

describe('deploy/compose.yaml', () => {
  it('has the whole topology: Temporal on its own PostgreSQL with schema, namespace and UI, the application database, workers, APIs and the load balancer', () => {
    for (const name of ['postgresql', 'temporal-postgresql', 'temporal-schema', 'temporal', 'temporal-setup', 'temporal-ui', 'worker', 'api', 'proxy']) expect(services[name], name).toBeDefined();
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(services[d], `${name} depends on ${d}`).toBeDefined();
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(path.join('deploy', source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
      }
    }
  });

  it('runs the worker and the API from one image built by deploy/Dockerfile, two replicas each, with the commands of npm run worker and npm run api', () => {
    const { worker, api } = services as Record<string, Service>;
    expect(worker!.image).toBe(api!.image);
    expect(worker!.build).toEqual(api!.build);
    expect(existsSync(path.join('deploy', worker!.build!.context, worker!.build!.dockerfile))).toBe(true);
    expect(worker!.deploy?.replicas).toBe(2);
    expect(api!.deploy?.replicas).toBe(2);
    for (const [service, script] of [
      [worker!, 'worker'],
      [api!, 'api'],
    ] as const) {
      expect(service.command).toEqual([script]);
      const file = entrypointFile(script);
      expect(file, `deploy/entrypoint.sh has no ${script} command`).toBeDefined();
      expect(packageScripts[script]).toBe(`tsx ${file}`);
      expect(existsSync(file!)).toBe(true);
    }
    const sinks = entrypointFile('sinks');
    expect(sinks && existsSync(sinks)).toBe(true);
  });

  it('gives the application only settings lib/config.ts reads, and what production requires', () => {
    for (const name of ['worker', 'api']) {
      for (const key of Object.keys(services[name]!.environment ?? {})) expect(configSource, `${name}: ${key} is not a setting of lib/config.ts`).toMatch(new RegExp(`\\b${key}:`));
    }
    // The demo sinks read their own (dev/sinks/main.ts).
    const sinksSource = read('dev/sinks/main.ts');
    for (const key of Object.keys(services.sinks!.environment ?? {})) expect(sinksSource, `sinks: ${key}`).toContain(key);
    const env = services.worker!.environment!;
    expect(env.NODE_ENV).toBe('production');
    for (const required of ['DATABASE_URL', 'PIN_PEPPER', 'SECRETS_KEY', 'PAYLOAD_KEYS', 'SMTP_URL', 'SMS_GATEWAY_URL']) expect(env[required], required).toBeTruthy();
    // Secrets come from the operator's environment, never from the file.
    for (const secret of ['PIN_PEPPER', 'SECRETS_KEY', 'PAYLOAD_KEYS']) expect(env[secret]).toMatch(new RegExp(`^\\$\\{${secret}:\\?`));
  });

  it('runs the Temporal server, admin tools and UI at the cluster profile versions, on PostgreSQL', () => {
    expect(services.temporal!.image).toBe(`temporalio/server:${serverVersion}`);
    expect(services['temporal-schema']!.image).toBe(`temporalio/admin-tools:${serverVersion}`);
    expect(services['temporal-setup']!.image).toBe(`temporalio/admin-tools:${serverVersion}`);
    expect(services['temporal-ui']!.image).toBe(`temporalio/ui:${uiVersion}`);
    const env = services.temporal!.environment!;
    expect(env).toMatchObject({ DB: 'postgres12', DBNAME: TEMPORAL_DATABASES.default, VISIBILITY_DBNAME: TEMPORAL_DATABASES.visibility, POSTGRES_SEEDS: 'temporal-postgresql' });
    const schema = services['temporal-schema']!.command!.join('\n');
    expect(schema).toContain(`${TEMPORAL_DATABASES.default}:postgresql/v12/temporal`);
    expect(schema).toContain(`${TEMPORAL_DATABASES.visibility}:postgresql/v12/visibility`);
    // The application's workers and APIs dial this server.
    expect(services.worker!.environment!.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('registers exactly the project search attributes, and the dynamic configuration start:cluster uses', () => {
    expect(attributesIn(services['temporal-setup']!.command!.join('\n'))).toEqual(wantedAttributes);
    expect(parse(read('deploy/temporal/dynamicconfig.yaml'))).toEqual(parse(TEMPORAL_DYNAMIC_CONFIG));
  });
});

describe('deploy/nginx.conf', () => {
  const nginx = read('deploy/nginx.conf');
  it('balances over the API replicas on their port, sticky on the console session cookie', () => {
    expect(nginx).toMatch(new RegExp(`server api:${services.api!.environment!.API_PORT}\\b`));
    expect(nginx).toContain(`$cookie_${STAFF_SESSION_COOKIE}`);
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    // Balanced braces: a cheap guard against a truncated edit.
    expect(nginx.split('{').length).toBe(nginx.split('}').length);
  });

  it('is the one proxy whose X-Forwarded-For the APIs trust', () => {
    const networks = services.proxy!.networks as Record<string, { ipv4_address?: string }>;
    expect(services.api!.environment!.TRUSTED_PROXIES).toBe(networks.backoffice!.ipv4_address);
  });
});

describe('deploy/Dockerfile and .dockerignore', () => {
  const dockerfile = read('deploy/Dockerfile');
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('runs the entry point script on a Node the project supports, as an unprivileged user', () => {
    const node = Number(/^FROM node:(\d+)/m.exec(dockerfile)?.[1]);
    const engines = Number(/>=(\d+)/.exec((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node)?.[1]);
    expect(node).toBeGreaterThanOrEqual(engines);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/deploy\/entrypoint\.sh"\]$/m);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('leaves local state and development caches out, and keeps what the processes read at run time', () => {
    for (const out of ['.data', '.cache', 'node_modules', '.git', 'test']) expect(ignored).toContain(out);
    for (const kept of ['migrations', 'lib', 'workflows', 'activities', 'services', 'api', 'worker', 'portal', 'console', 'web', 'forms', 'domain', 'dev', 'deploy', 'scripts']) {
      expect(ignored, kept).not.toContain(kept);
      expect(existsSync(kept), kept).toBe(true);
    }
  });
});

describe('deploy/helm/temporal-values.yaml', () => {
  interface SqlStore {
    sql: { pluginName: string; databaseName: string; existingSecret?: string; password?: string };
  }
  const values = parse(read('deploy/helm/temporal-values.yaml')) as {
    server: { image: { tag: string }; config: { persistence: { defaultStore: string; visibilityStore: string; numHistoryShards: number; datastores: Record<string, SqlStore> } }; dynamicConfig: unknown };
    admintools: { image: { tag: string } };
    web: { image: { tag: string } };
    extraObjects: string[];
  };

  it('runs the same versions on PostgreSQL stores, with passwords from a secret', () => {
    expect(String(values.server.image.tag)).toBe(serverVersion);
    expect(String(values.admintools.image.tag)).toBe(serverVersion);
    expect(String(values.web.image.tag)).toBe(uiVersion);
    const { persistence } = values.server.config;
    const stores = persistence.datastores;
    expect(stores[persistence.defaultStore]!.sql).toMatchObject({ pluginName: 'postgres12', databaseName: TEMPORAL_DATABASES.default });
    expect(stores[persistence.visibilityStore]!.sql).toMatchObject({ pluginName: 'postgres12', databaseName: TEMPORAL_DATABASES.visibility });
    for (const s of Object.values(stores)) {
      expect(s.sql.existingSecret).toBeTruthy();
      expect(s.sql.password).toBeUndefined();
    }
    expect(persistence.numHistoryShards).toBeGreaterThanOrEqual(128);
  });

  it('registers the project search attributes and uses the same dynamic configuration', () => {
    const job = values.extraObjects.find((o) => o.includes('search-attribute create'));
    expect(job).toBeDefined();
    expect(attributesIn(job!)).toEqual(wantedAttributes);
    expect(values.server.dynamicConfig).toEqual(parse(TEMPORAL_DYNAMIC_CONFIG));
  });
});
