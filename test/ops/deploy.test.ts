import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { defaults, parseConfig, type Config } from '../../src/config.js';
import { formatName } from '../../src/wire/name.js';
import { parseZoneFile } from '../../src/zone/parse.js';
import { query } from '../helpers/dns.js';
import { ServerProcess, START_MS } from '../helpers/server.js';
import { parseYamlDocuments } from '../helpers/yaml.js';

// Offline checks of the deployment files against what Kubernetes, ECS and the server accept:
// required fields, names that refer to each other, and every environment variable through
// the server's own configuration parser.

const ROOT = new URL('../../../', import.meta.url).pathname;
const read = (path: string): string => readFileSync(ROOT + path, 'utf8');
// Parsed manifests are walked freely; the assertions themselves check each shape they rely on.
type Obj = Record<string, any>;

function k8s(file: string): Obj[] {
  return parseYamlDocuments(read(`deploy/kubernetes/${file}`)) as Obj[];
}

function envOf(container: Obj): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env as Obj[]) {
    assert.equal(typeof e.value, 'string', `env ${e.name}: Kubernetes needs a string (quote numbers)`);
    env[e.name] = e.value;
  }
  return env;
}

/** The server's own parser must accept the settings; returns what it would run with. */
function serverConfig(env: Record<string, string>): Config {
  const cli = parseConfig([], env);
  assert.equal(cli.action, 'run');
  return (cli as { config: Config }).config;
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Memory one answering process needs for `records` records, in MiB, from bench/RESULTS.md
 * ("Scale": 1,000 records in 72.5 MiB, 1,000,000 in 734.5 MiB): about 75 MiB + 0.7 KiB a record.
 * With WORKERS > 1 every worker holds every zone, and the primary runs beside them.
 */
function rssMiB(records: number, workers: number): number {
  const one = 75 + (0.7 * records) / 1024;
  return workers * one + (workers > 1 ? 75 : 0);
}
/** Limits leave this much room above the steady RSS: a zone rebuilt beside the one it replaces, GC. */
const HEADROOM = 1.25;

/** Kubernetes memory quantity ("256Mi", "1Gi") in MiB. */
function mebibytes(q: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  assert.ok(m, `memory ${q}: write it in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/** The "Sized for N records" a manifest states beside its resources. */
function sizedFor(text: string, where: string): number {
  const m = /Sized for ([\d,]+) records/.exec(text);
  assert.ok(m, `${where}: say how many records the memory settings are sized for`);
  return Number(m[1].replaceAll(',', ''));
}

function checkDeployment(d: Obj, all: Obj[], text: string): void {
  assert.equal(d.apiVersion, 'apps/v1');
  assert.ok(d.spec.replicas >= 2, 'several replicas');
  const podLabels = d.spec.template.metadata.labels as Obj;
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels as Obj)) assert.equal(podLabels[k], v, 'selector matches the pod labels');
  const pod = d.spec.template.spec as Obj;
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 1000, 'the image user');
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0] as Obj;
  assert.match(c.name, DNS1123);
  assert.ok(c.image);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
  for (const r of ['requests', 'limits']) assert.ok(c.resources[r].cpu && c.resources[r].memory, `resources.${r}`);

  const config = serverConfig(envOf(c));
  const records = sizedFor(text, d.metadata.name);
  const need = rssMiB(records, config.workers);
  assert.ok(mebibytes(c.resources.requests.memory) >= need, `requests.memory ${c.resources.requests.memory}: ${records} records take about ${Math.round(need)} MiB`);
  assert.ok(mebibytes(c.resources.limits.memory) >= need * HEADROOM, `limits.memory ${c.resources.limits.memory}: ${records} records need ${Math.round(need * HEADROOM)} MiB with headroom`);
  const ports = new Map((c.ports as Obj[]).map((p) => [p.name as string, p]));
  for (const p of ports.values()) assert.ok(p.name.length <= 15 && DNS1123.test(p.name), `port name ${p.name}: IANA_SVC_NAME`);
  assert.equal(ports.get('dns')?.protocol, 'UDP');
  assert.equal(ports.get('dns-tcp')?.protocol, 'TCP');
  assert.equal(ports.get('dns')?.containerPort, config.port, 'PORT is the container port');
  assert.equal(ports.get('dns-tcp')?.containerPort, config.port);
  assert.equal(ports.get('metrics')?.containerPort, config.metricsPort, 'METRICS_PORT is the probes\' port');
  assert.equal(config.workers, 1, 'WORKERS set: the default (host cores) ignores the CPU limit');

  assert.equal(c.livenessProbe.httpGet.path, '/healthz');
  assert.equal(c.readinessProbe.httpGet.path, '/readyz');
  for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) assert.ok(ports.has(c[probe].httpGet.port), `${probe} port is a named container port`);
  assert.ok(pod.terminationGracePeriodSeconds * 1000 >= config.shutdownGraceMs + 10_000, 'SIGKILL comes well after the lame duck');

  const volumes = new Map((pod.volumes as Obj[]).map((v) => [v.name as string, v]));
  for (const m of c.volumeMounts as Obj[]) assert.ok(volumes.has(m.name), `volume ${m.name} exists`);
  for (const v of volumes.values()) {
    if (v.configMap) assert.ok(all.some((o) => o.kind === 'ConfigMap' && o.metadata.name === v.configMap.name), `ConfigMap ${v.configMap.name} is defined`);
  }
  if (pod.serviceAccountName) assert.ok(all.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === pod.serviceAccountName));
  if (!config.zoneDir.startsWith('s3://')) {
    assert.ok((c.volumeMounts as Obj[]).some((m) => m.mountPath === config.zoneDir), 'ZONE_DIR is mounted');
  }
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const files = readdirSync(ROOT + 'deploy/kubernetes').filter((f) => f.endsWith('.yaml'));
  const base = k8s('kustomization.yaml')[0].resources.flatMap((f: string) => k8s(f)) as Obj[];
  const s3 = [...k8s('s3-example.yaml'), ...k8s('service.yaml'), ...k8s('pdb.yaml')];

  it('every object has apiVersion, kind and a valid name', () => {
    for (const f of files.filter((f) => f !== 'kustomization.yaml')) {
      for (const o of k8s(f)) {
        assert.ok(o.apiVersion && o.kind, `${f}: apiVersion and kind`);
        assert.match(o.metadata.name, DNS1123, `${f}: metadata.name`);
      }
    }
  });

  it('the kustomization lists files that exist: ConfigMap, Deployment, Service, PodDisruptionBudget', () => {
    assert.deepEqual(base.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service']);
  });

  it('Deployments: replicas, probes, resources, non-root security context, settings the server accepts', () => {
    checkDeployment(base.find((o) => o.kind === 'Deployment')!, base, read('deploy/kubernetes/deployment.yaml'));
    checkDeployment(s3.find((o) => o.kind === 'Deployment')!, s3, read('deploy/kubernetes/s3-example.yaml'));
  });

  it('the S3 example runs under a service account with an IAM role, with a writable zone cache', () => {
    const sa = s3.find((o) => o.kind === 'ServiceAccount')!;
    assert.match(sa.metadata.annotations['eks.amazonaws.com/role-arn'], /^arn:aws:iam::\d{12}:role\//);
    const d = s3.find((o) => o.kind === 'Deployment')!;
    const c = d.spec.template.spec.containers[0];
    const config = serverConfig(envOf(c));
    assert.match(config.zoneDir, /^s3:\/\//);
    const cacheMount = (c.volumeMounts as Obj[]).find((m) => m.mountPath === config.zoneCacheDir);
    assert.ok(cacheMount && !cacheMount.readOnly, 'ZONE_CACHE_DIR is a writable volume (the root filesystem is read-only)');
    // An emptyDir outlives container restarts in the pod, which is when the snapshot serves (README).
    const volume = (d.spec.template.spec.volumes as Obj[]).find((v) => v.name === cacheMount.name)!;
    assert.ok(volume.emptyDir?.sizeLimit, 'the snapshot is on a bounded emptyDir');
  });

  it('files and folders named in the comments exist (kustomization included)', () => {
    for (const f of files) {
      const comments = read(`deploy/kubernetes/${f}`).split('\n').filter((l) => l.trimStart().startsWith('#')).join('\n');
      for (const [, name] of comments.matchAll(/(?<![\w/.-])((?:[\w.-]+\/)*[\w.-]+\.(?:yaml|json|md)|[\w-]+\/(?=[\s)]|$))/gm)) {
        assert.ok(existsSync(`${ROOT}deploy/kubernetes/${name}`) || existsSync(ROOT + name), `${f} names ${name}, which does not exist`);
      }
    }
  });

  it('the Service answers on 53 over UDP and TCP, to the pods\' named ports', () => {
    const svc = base.find((o) => o.kind === 'Service')!;
    const pod = base.find((o) => o.kind === 'Deployment')!.spec.template;
    for (const [k, v] of Object.entries(svc.spec.selector as Obj)) assert.equal(pod.metadata.labels[k], v);
    const names = new Set((pod.spec.containers[0].ports as Obj[]).map((p) => p.name));
    assert.deepEqual((svc.spec.ports as Obj[]).map((p) => `${p.port}/${p.protocol}`).sort(), ['53/TCP', '53/UDP']);
    for (const p of svc.spec.ports as Obj[]) assert.ok(names.has(p.targetPort), `targetPort ${p.targetPort}`);
  });

  it('the PodDisruptionBudget selects the pods and leaves most of them running', () => {
    const pdb = base.find((o) => o.kind === 'PodDisruptionBudget')!;
    const d = base.find((o) => o.kind === 'Deployment')!;
    assert.equal(pdb.apiVersion, 'policy/v1');
    assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
    assert.ok(pdb.spec.maxUnavailable < d.spec.replicas);
  });

  it('the zone ConfigMap holds zone files the server loads', () => {
    const cm = base.find((o) => o.kind === 'ConfigMap')!;
    for (const [file, text] of Object.entries(cm.data as Record<string, string>)) {
      const zone = parseZoneFile(text, file, file);
      assert.ok(zone.active, `${file} is served (active = true)`);
      assert.equal(`${formatName(zone.zone.apex)}toml`, file);
      assert.ok(zone.zone.records.length > 1);
    }
  });
});

/** Fargate's CPU units → allowed memory (MiB). */
const FARGATE_MEMORY: Record<string, number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};
const TASK_KEYS = ['family', 'taskRoleArn', 'executionRoleArn', 'networkMode', 'containerDefinitions', 'volumes', 'placementConstraints',
  'requiresCompatibilities', 'cpu', 'memory', 'tags', 'pidMode', 'ipcMode', 'proxyConfiguration', 'ephemeralStorage', 'runtimePlatform'];
const CONTAINER_KEYS = ['name', 'image', 'repositoryCredentials', 'cpu', 'memory', 'memoryReservation', 'links', 'portMappings', 'essential',
  'restartPolicy', 'entryPoint', 'command', 'environment', 'environmentFiles', 'mountPoints', 'volumesFrom', 'linuxParameters', 'secrets',
  'dependsOn', 'startTimeout', 'stopTimeout', 'hostname', 'user', 'workingDirectory', 'disableNetworking', 'privileged',
  'readonlyRootFilesystem', 'dnsServers', 'dnsSearchDomains', 'extraHosts', 'dockerSecurityOptions', 'interactive', 'pseudoTerminal',
  'dockerLabels', 'ulimits', 'logConfiguration', 'healthCheck', 'systemControls', 'resourceRequirements', 'firelensConfiguration'];

describe('ECS (deploy/ecs)', () => {
  const task = JSON.parse(read('deploy/ecs/task-definition.json')) as Obj;
  const service = JSON.parse(read('deploy/ecs/service.json')) as Obj;
  const c = task.containerDefinitions[0] as Obj;
  const env = Object.fromEntries((c.environment as Obj[]).map((e) => [e.name, e.value]));

  it('task definition: only RegisterTaskDefinition fields, awsvpc, Fargate-valid size, task role', () => {
    for (const k of Object.keys(task)) assert.ok(TASK_KEYS.includes(k), `unknown task definition field ${k}`);
    for (const k of Object.keys(c)) assert.ok(CONTAINER_KEYS.includes(k), `unknown container definition field ${k}`);
    assert.equal(task.networkMode, 'awsvpc');
    assert.ok(task.requiresCompatibilities.includes('FARGATE'));
    assert.ok(FARGATE_MEMORY[task.cpu]?.includes(Number(task.memory)), `Fargate has no ${task.cpu} CPU / ${task.memory} MiB size`);
    assert.match(task.taskRoleArn, /^arn:aws:iam::\d{12}:role\//);
  });

  it('container: ports, health check, logs, settings the server accepts', () => {
    const config = serverConfig(env);
    assert.match(config.zoneDir, /^s3:\/\//);
    const mappings = c.portMappings as Obj[];
    for (const m of mappings) assert.ok(m.hostPort === undefined || m.hostPort === m.containerPort, 'awsvpc: hostPort equals containerPort');
    assert.deepEqual(mappings.filter((m) => m.containerPort === config.port).map((m) => m.protocol).sort(), ['tcp', 'udp']);
    assert.ok(mappings.some((m) => m.containerPort === config.metricsPort && m.protocol === 'tcp'));
    assert.equal(c.healthCheck.command[0], 'CMD');
    assert.equal(c.healthCheck.command[2], '/app/dist/ops/healthcheck.js');
    assert.ok(existsSync(ROOT + 'src/ops/healthcheck.ts'), 'the health check script is part of the build');
    assert.ok(c.healthCheck.interval >= 5 && c.healthCheck.interval <= 300 && c.healthCheck.timeout >= 2 && c.healthCheck.timeout <= 60);
    assert.equal(c.logConfiguration.logDriver, 'awslogs');
    for (const o of ['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix']) assert.ok(c.logConfiguration.options[o], o);
    // The standard execution role (AmazonECSTaskExecutionRolePolicy) may not create log groups:
    // the README has the group created beforehand instead.
    assert.equal(c.logConfiguration.options['awslogs-create-group'], undefined, 'awslogs-create-group needs logs:CreateLogGroup');
    assert.ok(c.stopTimeout <= 120 && c.stopTimeout * 1000 >= config.shutdownGraceMs + 10_000, 'stopTimeout covers the lame duck');
    assert.equal(c.user, '1000:1000');
    const volumes = new Set((task.volumes as Obj[]).map((v) => v.name));
    for (const m of c.mountPoints as Obj[]) assert.ok(volumes.has(m.sourceVolume));
    assert.ok((c.mountPoints as Obj[]).some((m) => m.containerPath === config.zoneCacheDir), 'ZONE_CACHE_DIR is writable');
    // A task volume lives as long as the task: the snapshot serves only a container restarted in it.
    assert.equal(c.restartPolicy?.enabled, true, 'a crashed container restarts in its task, with its snapshot');
    assert.deepEqual(c.restartPolicy.ignoredExitCodes, [0], 'a clean stop (exit 0) is not restarted');
    assert.ok(c.restartPolicy.restartAttemptPeriod >= 60 && c.restartPolicy.restartAttemptPeriod <= 1800);
  });

  it('memory: the task fits the 1,000,000 records the README sizes it for, with headroom', () => {
    const config = serverConfig(env);
    assert.ok(Number(task.memory) >= rssMiB(1_000_000, config.workers) * HEADROOM, `${task.memory} MiB`);
  });

  it('service: several tasks behind the load balancer, on the DNS container port', () => {
    assert.ok(service.desiredCount >= 2);
    assert.equal(service.taskDefinition, task.family);
    for (const lb of service.loadBalancers as Obj[]) {
      assert.equal(lb.containerName, c.name);
      assert.equal(lb.containerPort, Number(env.PORT));
    }
    assert.equal(service.deploymentConfiguration.minimumHealthyPercent, 100, 'new tasks ready before old ones stop');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile.split('\n').filter((l) => l && !l.startsWith('#'));

  it('multi-stage, on node:24-alpine by default, without a package manager, so any node image builds it', () => {
    assert.match(dockerfile, /^ARG BASE=node:(2[4-9]|[3-9]\d)-alpine$/m);
    assert.ok(lines.filter((l) => l.startsWith('FROM ')).length >= 2);
    assert.doesNotMatch(lines.join('\n'), /\b(apk|apt-get|yum|dnf)\b/);
    assert.match(dockerfile, /npm ci --omit=dev/);
  });

  it('runs as a numeric non-root user, exposes DNS and metrics, has a HEALTHCHECK', () => {
    const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
    assert.match(user ?? '', /^USER [1-9]\d*:[1-9]\d*$/, 'numeric, so Kubernetes can verify runAsNonRoot');
    assert.match(dockerfile, /^EXPOSE 53\/udp 53\/tcp 9153\/tcp$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*CMD \["node", "\/app\/dist\/ops\/healthcheck.js"\]$/m);
    for (const l of lines) assert.doesNotMatch(l, /^(USER|EXPOSE|STOPSIGNAL|WORKDIR)\b.*#/, 'no trailing comments on instructions');
  });

  it('the image\'s Node.js satisfies package.json engines, which no longer lists Node.js 20 (end of life April 2026)', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const min = /^>=(\d+)$/.exec(engines);
    assert.ok(min, `engines.node ${engines}: a lower bound`);
    const base = Number(/^ARG BASE=node:(\d+)-/m.exec(dockerfile)![1]);
    assert.ok(base >= Number(min[1]), `node:${base} satisfies ${engines}`);
    assert.ok(Number(min[1]) >= 22, 'Node.js 20 is past its end of life, and the AWS SDK drops it in January 2027');
  });

  it('.dockerignore keeps the build context to what the stages copy', () => {
    const ignore = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(ignore, ['*', '!package.json', '!package-lock.json', '!tsconfig.json', '!src/']);
  });
});

/** A systemd unit's settings: every `Key=value` line by key, in order (comments dropped). */
function unitSettings(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

/** A port below 1024 that nothing on 127.0.0.1 uses over UDP right now (we run as root). */
async function privilegedPort(): Promise<number> {
  for (let port = 1023; port > 600; port--) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free UDP port between 601 and 1023 on 127.0.0.1');
}

describe('systemd (deploy/systemd)', () => {
  const unitText = read('deploy/systemd/eclipso.service');
  const unit = unitSettings(unitText);
  const one = (key: string): string | undefined => unit.get(key)?.at(-1);
  /** The commented line just above a setting: why it is set so. */
  const why = (setting: string): string => {
    const lines = unitText.split('\n');
    const i = lines.indexOf(setting);
    assert.ok(i > 0, `${setting} is in the unit`);
    return lines.slice(0, i).reverse().filter((l, k, all) => l.startsWith('#') && all.slice(0, k).every((x) => x.startsWith('#'))).join(' ');
  };

  it('a dynamic user with only CAP_NET_BIND_SERVICE, ambient, and no way to gain more', () => {
    assert.equal(one('DynamicUser'), 'yes');
    assert.equal(one('AmbientCapabilities'), 'CAP_NET_BIND_SERVICE');
    assert.equal(one('CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE');
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('User'), undefined, 'no fixed user beside DynamicUser');
  });

  it('hardening: read-only system, no home, private /tmp and /dev, IP and Unix sockets only, @system-service calls', () => {
    for (const [key, value] of [['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['PrivateDevices', 'yes'],
      ['SystemCallFilter', '@system-service'], ['RestrictNamespaces', 'yes'], ['RestrictSUIDSGID', 'yes'], ['LockPersonality', 'yes']]) {
      assert.equal(one(key), value, key);
    }
    // AF_UNIX: the workers' IPC with the primary (WORKERS > 1).
    assert.deepEqual(one('RestrictAddressFamilies')?.split(' ').sort(), ['AF_INET', 'AF_INET6', 'AF_UNIX']);
    assert.equal(one('MemoryDenyWriteExecute'), 'no');
    assert.match(why('MemoryDenyWriteExecute=no'), /V8.*JIT|JIT.*V8/, 'says why: the JIT needs writable executable memory');
  });

  it('settings: the optional environment file, the snapshot in its cache folder, values the server accepts', () => {
    assert.deepEqual(unit.get('EnvironmentFile'), ['-/etc/eclipso/eclipso.env'], 'optional (-): the unit runs without it');
    assert.equal(one('CacheDirectory'), 'eclipso');
    const env = Object.fromEntries((unit.get('Environment') ?? []).map((e) => e.split(/=(.*)/s).slice(0, 2)));
    const config = serverConfig(env);
    assert.equal(config.zoneCacheDir, '/var/cache/eclipso', 'ZONE_CACHE_DIR is the CacheDirectory, the one place it may write');
    assert.equal(config.port, 53);
    // The example environment file: every line a comment or VARIABLE=value the server accepts.
    const example = read('deploy/systemd/eclipso.env').split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(example, [], 'the example sets nothing until edited');
    for (const l of read('deploy/systemd/eclipso.env').split('\n').filter((l) => /^#[A-Z_]+=/.test(l))) {
      const [k, v] = l.slice(1).split(/=(.*)/s);
      if (!k.startsWith('AWS_')) serverConfig({ [k]: v });
    }
  });

  it('stops as the server expects: SIGTERM to the primary, time for the lame duck, restart after a crash only', () => {
    assert.match(one('ExecStart') ?? '', /^\/usr\/bin\/node (--\S+ )*\/\S+\/dist\/main\.js$/);
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('RestartPreventExitStatus'), '2', 'a configuration error is not retried');
    assert.equal(one('KillMode'), 'mixed', 'the primary stops its workers itself');
    assert.ok(Number(one('TimeoutStopSec')) * 1000 >= defaults().shutdownGraceMs + 10_000, 'SIGKILL comes well after the lame duck');
    assert.equal(one('WantedBy'), 'multi-user.target');
  });

  it('systemd-analyze verify accepts the unit', (t) => {
    const r = spawnSync('systemd-analyze', ['verify', ROOT + 'deploy/systemd/eclipso.service'], { encoding: 'utf8', timeout: 60_000 });
    if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return t.skip('systemd-analyze is not installed');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', 'no warnings');
  });

  it('as the unit runs it (not root, CAP_NET_BIND_SERVICE ambient), the server binds a port below 1024; without the capability it cannot', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to switch to another user');
    if (spawnSync('setpriv', ['--version']).error) return t.skip('setpriv (util-linux) is not installed');
    const port = await privilegedPort();
    const MAIN = ROOT + 'dist/main.js';
    const run = (caps: string[]): ServerProcess => new ServerProcess(spawn('setpriv', [
      '--reuid=65534', '--regid=65534', '--clear-groups', '--no-new-privs', ...caps,
      process.execPath, MAIN, '--zone-dir', ROOT + 'zones', '--port', String(port), '--host', '127.0.0.1', '--metrics-port', '0', '--workers', '1',
    ], { env: { ...process.env, LOG_FORMAT: 'json', SHUTDOWN_GRACE: '0' }, stdio: ['ignore', 'pipe', 'pipe'] }));

    const without = run(['--bounding-set=-all', '--inh-caps=-all']);
    assert.equal(await without.waitForExit(START_MS), 1);
    assert.ok(without.logs.some((l) => l.msg === `no permission to bind port ${port}`), 'the control: no capability, no port');

    const server = run(['--bounding-set=-all,+net_bind_service', '--inh-caps=-all,+net_bind_service', '--ambient-caps=+net_bind_service']);
    try {
      await server.waitFor((l) => l.msg === 'listening', START_MS, 'the server to listen');
      assert.equal((await query(port, 'hello_a.net', 'A')).rcode, 'NOERROR');
    } finally {
      await server.stop();
    }
    assert.equal(server.exitCode, 0);
  });
});
