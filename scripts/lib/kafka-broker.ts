/**
 * A real single-node Apache Kafka broker (KRaft mode: broker and controller in one JVM) for the
 * Kafka tests. The jars come from Maven Central (tools/kafka/pom.xml) into .tools/kafka/libs the
 * first time; Java 17 runs them. Each broker gets a fresh data directory and free ports.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../lib/net';

const ROOT = path.resolve(__dirname, '..', '..');
const LIBS = path.join(ROOT, '.tools', 'kafka', 'libs');
const POM = path.join(ROOT, 'tools', 'kafka', 'pom.xml');

/** Downloads the broker's jars once (mvn dependency:copy-dependencies); returns the classpath. */
export function ensureKafkaJars(log: (line: string) => void = () => undefined): string {
  const ready = fs.existsSync(LIBS) && fs.readdirSync(LIBS).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
  if (!ready) {
    log(`kafka: fetching the broker jars from Maven Central into ${path.relative(ROOT, LIBS)}`);
    const tmp = `${LIBS}.partial-${process.pid}`;
    try {
      execFileSync(
        'mvn',
        [
          '-q',
          '-B',
          '-f',
          POM,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${tmp}`,
          '-DincludeScope=runtime',
        ],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error('the Kafka tests fetch the broker with Maven: `mvn` (and Java 17) must be on PATH');
      }
      throw err;
    }
    fs.mkdirSync(path.dirname(LIBS), { recursive: true });
    fs.renameSync(tmp, LIBS);
  }
  return path.join(LIBS, '*');
}

/**
 * A cluster id as Kafka makes them: 16 random bytes in base64url, never starting with '-' (the
 * storage tool would read such an id as an option, as Kafka's own Uuid.randomUuid avoids).
 */
function newClusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface KafkaBroker {
  brokers: string[];
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`kafka broker exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`kafka broker did not listen on ${port} within ${timeoutMs} ms`);
}

/** Starts a broker; `stop()` kills it and removes its data. */
export async function startKafkaBroker(log: (line: string) => void = () => undefined): Promise<KafkaBroker> {
  const classpath = ensureKafkaJars(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const config = path.join(dir, 'server.properties');
  fs.writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'num.partitions=3',
      'auto.create.topics.enable=true',
    ].join('\n'),
  );
  const log4j = path.join(dir, 'log4j.properties');
  fs.writeFileSync(
    log4j,
    [
      'log4j.rootLogger=WARN, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${path.join(dir, 'broker.log')}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    ].join('\n'),
  );
  const jvm = ['-Xmx512m', `-Dlog4j.configuration=file:${log4j}`, '-cp', classpath];
  const clusterId = newClusterId();
  execFileSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config], {
    stdio: 'ignore',
  });
  const child = spawn('java', [...jvm, 'kafka.Kafka', config], { stdio: 'ignore' });
  try {
    await waitForPort(port, child, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  log(`kafka: broker (KRaft, single node) on 127.0.0.1:${port}`);
  return {
    brokers: [`127.0.0.1:${port}`],
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
