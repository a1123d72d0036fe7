// What can be checked of docker/ without a Docker engine or a cluster: the files parse, the image's and
// the unit's command lines are ones the CLI accepts with the configs they ship or mount, the pieces
// agree with each other (user ids, API port and probes, the lab's BGP addresses), and the systemd unit
// passes `systemd-analyze verify` when that tool is installed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parseConfig } from '../../../src/config/index.js';
import { DEFAULT_JOURNAL_DIR } from '../../../src/cli/serve.js';

const root = resolve(new URL('../../../', import.meta.url).pathname);
const docker = join(root, 'docker');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

// js-yaml comes with the dev tooling (ESLint's config loader); it has no types of its own.
const requireDev = createRequire(import.meta.url);
const yaml = requireDev('js-yaml') as { load(text: string): unknown; loadAll(text: string): unknown[] };

type Json = Record<string, unknown>;
const obj = (v: unknown, what: string): Json => {
  assert.ok(typeof v === 'object' && v !== null && !Array.isArray(v), `${what} is a mapping`);
  return v as Json;
};
const arr = (v: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(v), `${what} is a list`);
  return v;
};
const strings = (v: unknown, what: string): string[] => {
  const a = arr(v, what);
  assert.ok(
    a.every((s) => typeof s === 'string'),
    `${what} is a list of strings`,
  );
  return a;
};

/** Runs the CLI from source; resolves with its exit code and output. */
function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/run.ts'), ...args], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** `serve ARGS` with files mapped from where the image or host has them to the repository, as a dry run. */
async function assertServeAccepts(
  args: readonly string[],
  files: Readonly<Record<string, string>>,
  what: string,
): Promise<void> {
  assert.equal(args[0], 'serve', `${what}: runs serve`);
  const scratch = mkdtempSync(join(tmpdir(), 'rjt-docker-'));
  try {
    const mapped = args.map((a) => files[a] ?? (a === DEFAULT_JOURNAL_DIR ? scratch : a));
    for (const a of mapped.slice(1))
      assert.ok(!a.startsWith('/etc/') && !a.startsWith('/var/'), `${what}: ${a} is mapped to a test path`);
    const r = await cli([...mapped, '--dry-run']);
    assert.equal(r.code, 0, `${what}: ${args.join(' ')} --dry-run failed:\n${r.stderr}`);
    assert.match(r.stdout, /configuration is valid/);
    // Interfaces the config names need not exist on the test machine (serve says so and waits for
    // them); any other warning means the shipped config has a mistake.
    const warnings = r.stderr.split('\n').filter((l) => l !== '' && !/not on this machine/.test(l));
    assert.deepEqual(warnings, [], `${what}: no warnings about the config`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// The Dockerfile

interface Instruction {
  readonly op: string;
  readonly args: string;
  /** Index of the build stage (FROM) the instruction belongs to. */
  readonly stage: number;
}

/** Instructions with continuation lines joined and comments dropped (enough for this Dockerfile). */
function dockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const m = /^(\w+)\s+(.*)$/s.exec(full);
    assert.ok(m, `a Dockerfile instruction: ${full}`);
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2]!, stage });
  }
  return out;
}

const jsonForm = (i: Instruction | undefined, what: string): string[] => {
  assert.ok(i, `${what} is set`);
  return strings(JSON.parse(i.args), `${what} (exec form)`);
};

void describe('docker/Dockerfile', () => {
  const steps = dockerfile(read('docker/Dockerfile'));
  const last = Math.max(...steps.map((s) => s.stage));
  const final = steps.filter((s) => s.stage === last);
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; engines: { node: string } };

  void it('builds in stages on Node 20 and runs as a user of its own, not root', () => {
    const arg = steps.find((s) => s.op === 'ARG' && s.args.startsWith('NODE_IMAGE='));
    assert.match(arg?.args ?? '', /^NODE_IMAGE=node:20-[a-z]+-slim$/, 'a slim Node 20 image');
    assert.equal(pkg.engines.node, '>=20');
    const froms = steps.filter((s) => s.op === 'FROM').map((s) => s.args);
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const f of froms) assert.match(f, /^\$\{NODE_IMAGE\}/);
    assert.ok(
      steps.some((s) => s.op === 'RUN' && /npm ci\b/.test(s.args) && s.stage < last) &&
        steps.some((s) => s.op === 'RUN' && /npm run build\b/.test(s.args)),
      'npm ci and npm run build in a build stage',
    );
    assert.ok(
      steps.some((s) => s.op === 'RUN' && /npm ci --omit=dev/.test(s.args)),
      'production dependencies only',
    );
    assert.ok(
      !final.some((s) => s.op === 'RUN' && /npm (ci|install)/.test(s.args)),
      'no npm install in the runtime stage',
    );
    const user = final.filter((s) => s.op === 'USER').at(-1)?.args;
    assert.equal(user, 'ribjournal:ribjournal');
    const made = final.find((s) => s.op === 'RUN' && s.args.includes('useradd'))?.args ?? '';
    assert.match(made, /useradd .*--uid 10179 .*ribjournal/);
    assert.match(made, /install -d -o ribjournal -g ribjournal -m 0700 \/var\/lib\/ribjournal/);
  });

  void it('copies only what exists and what Dockerfile.dockerignore lets into the context', () => {
    const ignore = read('docker/Dockerfile.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    assert.equal(ignore[0], '*', 'everything is left out unless listed');
    const allowed = new Set(
      ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, '')),
    );
    for (const s of steps.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
      const parts = s.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) {
        const path = src.replace(/\/$/, '');
        assert.ok(existsSync(join(root, path)), `COPY ${path}: exists in the repository`);
        assert.ok(allowed.has(path), `COPY ${path}: allowed by Dockerfile.dockerignore`);
      }
    }
  });

  void it('its entrypoint is the ribjournal CLI of package.json', () => {
    assert.deepEqual(
      jsonForm(
        final.find((s) => s.op === 'ENTRYPOINT'),
        'ENTRYPOINT',
      ),
      ['ribjournal'],
    );
    const workdir = final.filter((s) => s.op === 'WORKDIR').at(-1)?.args;
    const link = final.find((s) => s.op === 'RUN' && /ln -s \S+ \/usr\/local\/bin\/ribjournal$/.test(s.args));
    assert.ok(link, 'ribjournal is on the PATH');
    const target = /ln -s (\S+) /.exec(link.args)![1]!;
    const bin = pkg.bin.ribjournal;
    assert.ok(bin, 'package.json names the ribjournal bin');
    assert.equal(target, `${workdir}/${bin}`, 'the link points at the package bin');
    assert.match(read(bin), /\.\.\/dist\/src\/cli\/main\.js/, 'the bin runs the compiled CLI');
    assert.ok(existsSync(join(root, 'src/cli/main.ts')));
  });

  void it('its default command is a serve the CLI accepts, with the config the image ships', async () => {
    const cmd = jsonForm(
      final.find((s) => s.op === 'CMD'),
      'CMD',
    );
    assert.deepEqual(cmd, [
      'serve',
      '-f',
      '/etc/ribjournal/ribjournal.toml',
      '--journal',
      DEFAULT_JOURNAL_DIR,
    ]);
    // COPY docker/ribjournal.toml /etc/ribjournal/ribjournal.toml
    const shipped = final
      .filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'))
      .map((s) => s.args.split(/\s+/))
      .find((p) => p.at(-1) === '/etc/ribjournal/ribjournal.toml');
    assert.ok(shipped, 'the image ships /etc/ribjournal/ribjournal.toml');
    await assertServeAccepts(cmd, { '/etc/ribjournal/ribjournal.toml': join(root, shipped[0]!) }, 'CMD');
    assert.match(
      final.find((s) => s.op === 'VOLUME')?.args ?? '',
      new RegExp(`"${DEFAULT_JOURNAL_DIR}"`),
      'the journal is a volume',
    );
  });

  void it('the compiled code imports only production dependencies (the image has no others)', () => {
    const deps = new Set(
      Object.keys((JSON.parse(read('package.json')) as { dependencies: object }).dependencies),
    );
    const missing = new Set<string>();
    const used = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.ts')) {
          // Type-only imports are erased by tsc; everything else is loaded at run time.
          const code = read(path).replace(/^\s*(import|export) type [^;]*;/gms, '');
          const specs = [
            ...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*'([^']+)'/gm),
            ...code.matchAll(/^\s*import\s*'([^']+)'/gm),
            ...code.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
          ].map((m) => m[1]!);
          for (const spec of specs) {
            if (spec.startsWith('node:') || spec.startsWith('.')) continue;
            const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
            used.add(name);
            if (!deps.has(name)) missing.add(`${name} (${path})`);
          }
        }
      }
    };
    walk('src');
    walk('migrations');
    assert.ok(used.has('netlink') && used.has('classic-level'), 'the scan finds the imports');
    assert.deepEqual([...missing], []);
  });

  void it('its health check asks /healthz where the shipped config puts the API', () => {
    const check = final.find((s) => s.op === 'HEALTHCHECK')?.args ?? '';
    const url = /http:\/\/([^/']+)\/healthz/.exec(check);
    assert.ok(url, 'HEALTHCHECK fetches /healthz');
    const { config } = parseConfig(read('docker/ribjournal.toml'));
    assert.equal(url[1], config.api.listen);
  });
});

// ---------------------------------------------------------------------------------------------------
// The compose lab

void describe('docker/compose.yaml', () => {
  const compose = obj(yaml.load(read('docker/compose.yaml')), 'compose.yaml');
  const services = obj(compose.services, 'services');
  const service = (name: string): Json => obj(services[name], `service ${name}`);

  void it('parses, and every file it builds from or mounts exists', () => {
    for (const [name, s] of Object.entries(services)) {
      const svc = obj(s, name);
      if (svc.build !== undefined) {
        const build = obj(svc.build, `${name}.build`);
        const context = resolve(docker, String(build.context));
        assert.ok(existsSync(join(context, String(build.dockerfile))), `${name}: its Dockerfile exists`);
      }
      for (const v of (svc.volumes as unknown[] | undefined) ?? []) {
        const source = String(v).split(':')[0]!;
        if (source.startsWith('.'))
          assert.ok(existsSync(resolve(docker, source)), `${name}: ${source} exists`);
      }
    }
    const rj = obj(service('ribjournal').build, 'ribjournal.build');
    assert.equal(resolve(docker, String(rj.context)), root, 'ribjournal is built from the repository root');
    assert.equal(rj.dockerfile, 'docker/Dockerfile');
  });

  void it('runs ribjournal in the peer network namespace, non-root, without capabilities', () => {
    const rj = service('ribjournal');
    assert.equal(rj.network_mode, 'service:peer');
    assert.ok(services.peer !== undefined);
    assert.equal(service('interfaces').network_mode, 'service:peer');
    assert.equal(rj.user, '10179:10179', 'the image user');
    assert.deepEqual(rj.cap_drop, ['ALL']);
    assert.equal(rj.cap_add, undefined);
    const after = obj(obj(rj.depends_on, 'depends_on').interfaces, 'depends_on.interfaces');
    assert.equal(after.condition, 'service_completed_successfully', 'the interfaces exist first');
  });

  void it("ribjournal's command is the image's with the lab config, and the CLI accepts it", async () => {
    const cmd = strings(service('ribjournal').command, 'command');
    const steps = dockerfile(read('docker/Dockerfile'));
    assert.deepEqual(cmd, jsonForm(steps.filter((s) => s.op === 'CMD').at(-1), 'CMD'));
    const mounts = strings(service('ribjournal').volumes, 'volumes').map((v) => v.split(':'));
    const config = mounts.find((m) => m[1] === '/etc/ribjournal/ribjournal.toml');
    assert.ok(config, 'the lab config is mounted');
    await assertServeAccepts(cmd, { '/etc/ribjournal/ribjournal.toml': resolve(docker, config[0]!) }, 'lab');
  });

  void it('the two speakers of the lab point at each other', () => {
    const { config } = parseConfig(read('docker/lab/ribjournal.toml'));
    const peer = parseToml(read('docker/lab/gobgpd.toml')) as {
      global: { config: { as: number; 'local-address-list': string[] } };
      neighbors: { config: { 'neighbor-address': string; 'peer-as': number } }[];
    };
    const n = config.neighbors[0];
    assert.ok(n && config.global, 'ribjournal has BGP and a neighbor');
    assert.equal(n.address, peer.global.config['local-address-list'][0]);
    assert.equal(n.peerAs, peer.global.config.as);
    assert.equal(peer.neighbors[0]?.config['neighbor-address'], n.localAddress);
    assert.equal(peer.neighbors[0]?.config['peer-as'], config.global.as);
    assert.ok(config.global.port < 0, 'ribjournal connects out: it needs no privilege to bind 179');
  });

  void it('gobgpd accepts its own config (gobgpd -d), when installed', (t) => {
    const which = spawnSync('gobgpd', ['--version'], { encoding: 'utf8' });
    if (which.error !== undefined) {
      t.skip('gobgpd is not installed');
      return;
    }
    const r = spawnSync('gobgpd', ['-f', join(docker, 'lab/gobgpd.toml'), '-t', 'toml', '-d'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});

// ---------------------------------------------------------------------------------------------------
// The Kubernetes DaemonSet

void describe('docker/daemonset.yaml', () => {
  const docs = yaml.loadAll(read('docker/daemonset.yaml')).map((d, i) => obj(d, `document ${i}`));
  const byKind = (kind: string): Json => {
    const found = docs.filter((d) => d.kind === kind);
    assert.equal(found.length, 1, `one ${kind}`);
    return found[0]!;
  };
  const ds = byKind('DaemonSet');
  const pod = obj(obj(obj(ds.spec, 'spec').template, 'template').spec, 'pod spec');
  const containers = arr(pod.containers, 'containers').map((c, i) => obj(c, `container ${i}`));
  const main = containers.find((c) => c.name === 'ribjournal')!;
  const configToml = String(obj(byKind('ConfigMap').data, 'data')['ribjournal.toml']);

  void it('parses into a Namespace, a ConfigMap and a DaemonSet on the host network', () => {
    assert.deepEqual(docs.map((d) => d.kind).sort(), ['ConfigMap', 'DaemonSet', 'Namespace']);
    assert.equal(ds.apiVersion, 'apps/v1');
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
    const sel = obj(obj(obj(ds.spec, 'spec').selector, 'selector').matchLabels, 'matchLabels');
    const labels = obj(
      obj(obj(obj(ds.spec, 'spec').template, 'template').metadata, 'metadata').labels,
      'labels',
    );
    assert.deepEqual(sel, labels, 'the selector matches the pod labels');
  });

  void it('the daemon runs non-root with no capability (NET_ADMIN is not needed to read netlink)', () => {
    const sc = obj(main.securityContext, 'securityContext');
    assert.equal(sc.runAsNonRoot, true);
    assert.equal(sc.runAsUser, 10179, 'the image user, which owns the journal');
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.readOnlyRootFilesystem, true);
    const caps = obj(sc.capabilities, 'capabilities');
    assert.deepEqual(caps.drop, ['ALL']);
    assert.equal(caps.add, undefined);
    for (const c of containers.concat(arr(pod.initContainers, 'initContainers').map((x) => obj(x, 'init'))))
      assert.ok(
        !JSON.stringify(c.securityContext ?? {}).includes('NET_ADMIN'),
        `${String(c.name)}: no NET_ADMIN`,
      );
  });

  void it('its command is a serve the CLI accepts, with the ConfigMap config rendered for a node', async (t) => {
    assert.ok(configToml.includes('@NODE_IP@'), 'the router-id is per node');
    const rendered = configToml.replaceAll('@NODE_IP@', '192.0.2.1');
    const { config } = parseConfig(rendered);
    assert.equal(config.global?.routerId, '192.0.2.1');
    assert.ok(config.global.port < 0, 'connects out; no bind of port 179, so no capability');
    const dir = mkdtempSync(join(tmpdir(), 'rjt-ds-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'ribjournal.toml'), rendered);
    const args = strings(main.args, 'args');
    await assertServeAccepts(
      args,
      { '/etc/ribjournal/ribjournal.toml': join(dir, 'ribjournal.toml') },
      'DaemonSet',
    );
    const init = obj(arr(pod.initContainers, 'initContainers')[0], 'init container');
    const script = strings(init.args, 'init args').join('\n');
    assert.match(
      script,
      /sed "s\/@NODE_IP@\/\$\{NODE_IP\}\/g" \/etc\/ribjournal-template\/ribjournal\.toml > \/etc\/ribjournal\/ribjournal\.toml/,
    );
    assert.match(script, /chown 10179:10179 \/var\/lib\/ribjournal/);
    assert.match(script, /chmod 0700 \/var\/lib\/ribjournal/);
  });

  void it('probes /healthz and /readyz on the loopback address and port the API listens on', () => {
    const { config } = parseConfig(configToml.replaceAll('@NODE_IP@', '192.0.2.1'));
    const m = /^(.*):(\d+)$/.exec(config.api.listen ?? '');
    assert.ok(m, 'the ConfigMap sets [api] listen');
    assert.equal(m[1], '127.0.0.1', 'the API stays on the loopback');
    const probe = (name: string): Json => obj(obj(main[name], name).httpGet, `${name}.httpGet`);
    for (const [name, path] of [
      ['startupProbe', '/healthz'],
      ['livenessProbe', '/healthz'],
      ['readinessProbe', '/readyz'],
    ] as const) {
      const p = probe(name);
      assert.equal(p.path, path, name);
      assert.equal(p.port, Number(m[2]), `${name} port`);
      // Under hostNetwork the kubelet and the pod share the node's loopback.
      assert.equal(p.host, m[1], `${name} host`);
    }
  });

  void it('keeps the journal on a hostPath at the --journal directory, the config from the ConfigMap', () => {
    const volumes = arr(pod.volumes, 'volumes').map((v) => obj(v, 'volume'));
    const journal = volumes.find((v) => v.name === 'journal');
    assert.equal(obj(journal?.hostPath, 'hostPath').path, DEFAULT_JOURNAL_DIR);
    const mounts = arr(main.volumeMounts, 'volumeMounts').map((v) => obj(v, 'mount'));
    assert.equal(mounts.find((v) => v.name === 'journal')?.mountPath, DEFAULT_JOURNAL_DIR);
    const args = strings(main.args, 'args');
    assert.equal(args[args.indexOf('--journal') + 1], DEFAULT_JOURNAL_DIR);
    const template = volumes.find((v) => v.name === 'template');
    assert.equal(
      obj(template?.configMap, 'configMap').name,
      obj(byKind('ConfigMap').metadata, 'metadata').name,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// The systemd unit

/** Key=value lines of a unit file, with the section each is in. */
function unitFile(text: string): { section: string; key: string; value: string }[] {
  const out: { section: string; key: string; value: string }[] = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const i = line.indexOf('=');
    assert.ok(i > 0, `a unit line: ${line}`);
    out.push({ section, key: line.slice(0, i), value: line.slice(i + 1) });
  }
  return out;
}

void describe('docker/ribjournal.service', () => {
  const text = read('docker/ribjournal.service');
  const unit = unitFile(text);
  const get = (key: string): string[] =>
    unit.filter((u) => u.section === 'Service' && u.key === key).map((u) => u.value);

  void it('starts a serve the CLI accepts, journaling into its state directory', async () => {
    const [exec] = get('ExecStart');
    assert.ok(exec, 'ExecStart');
    const [binary, ...args] = exec.split(/\s+/);
    assert.equal(binary, '/usr/local/bin/ribjournal');
    assert.deepEqual(get('StateDirectory'), ['ribjournal']);
    assert.equal(args[args.indexOf('--journal') + 1], `/var/lib/${get('StateDirectory')[0]}`);
    assert.equal(args[args.indexOf('--journal') + 1], DEFAULT_JOURNAL_DIR);
    const examples = join(root, 'examples/hybrid.toml');
    await assertServeAccepts(args, { '/etc/ribjournal/ribjournal.toml': examples }, 'ExecStart');
    // The reload checks the config first (as gobgpd -d), then signals the daemon.
    const reload = get('ExecReload');
    assert.equal(reload.at(-1), '/bin/kill -HUP $MAINPID');
    const check = reload[0]!.split(/\s+/);
    assert.equal(check[0], binary);
    await assertServeAccepts(check.slice(1), { '/etc/ribjournal/ribjournal.toml': examples }, 'ExecReload');
  });

  void it('is hardened: only CAP_NET_BIND_SERVICE, read-only system, no new privileges', () => {
    const want: Record<string, string> = {
      Type: 'exec',
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      CapabilityBoundingSet: 'CAP_NET_BIND_SERVICE',
      AmbientCapabilities: 'CAP_NET_BIND_SERVICE',
      RestrictAddressFamilies: 'AF_NETLINK AF_INET AF_INET6 AF_UNIX',
      KillSignal: 'SIGTERM',
      Restart: 'on-failure',
      StateDirectoryMode: '0700',
    };
    for (const [k, v] of Object.entries(want)) assert.deepEqual(get(k), [v], k);
    assert.deepEqual(get('MemoryDenyWriteExecute'), [], "V8's JIT needs W+X memory");
  });

  void it('passes systemd-analyze verify (when installed) without a single warning', (t) => {
    const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
    if (probe.error !== undefined) {
      t.skip('systemd-analyze is not installed: the unit was not verified');
      return;
    }
    // verify checks that ExecStart's binary exists: point it at the repository's CLI (same everything else).
    const dir = mkdtempSync(join(tmpdir(), 'rjt-unit-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const copy = join(dir, 'ribjournal.service');
    writeFileSync(copy, text.replaceAll('/usr/local/bin/ribjournal', join(root, 'bin/ribjournal.js')));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'no warnings');
    // The offline security review, where this systemd has it: exposure stays "OK" (below 3).
    const sec = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', copy], {
      encoding: 'utf8',
      cwd: dir,
    });
    const level = /Overall exposure level for \S+: ([\d.]+)/.exec(sec.stdout);
    if (sec.status === 0 && level) assert.ok(Number(level[1]) < 3, `exposure ${level[1]}`);
  });
});
