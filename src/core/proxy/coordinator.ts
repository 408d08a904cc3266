// Exactly one process on the machine hosts the proxy on its port; the others read its GET /quota, and take
// over within seconds when the host goes away (a VS Code window closing, a CLI stopped). The port itself is
// the lock: whoever binds it hosts. A port held by another program is reported, never fatal.
import * as net from 'node:net';
import { request } from 'undici';
import type { Clock, TimerHandle } from '../clock';
import { errorText, Logger, nullLogger } from '../logger';
import type { ProxyHistory, ProxyQuotaStatus } from './meter';
import { MeteringProxy, PortInUseError, PROXY_ID_HEADER } from './server';

export type ProxyRole =
  | { role: 'starting'; port: number }
  | { role: 'host'; port: number }
  | { role: 'reader'; port: number }
  | { role: 'blocked'; port: number; message: string }
  | { role: 'stopped'; port: number };

export interface CoordinatorOptions {
  port: number;
  /** Builds the proxy (and opens its ledger) once the port is known to be free. */
  createProxy: () => MeteringProxy;
  clock: Clock;
  log?: Logger;
  /** How often a reader reads /quota and tries to take over. */
  readerIntervalMs?: number;
  onRole?: (r: ProxyRole) => void;
  /** A reader's view of the host's counts (undefined when it cannot be read). */
  onStatus?: (s: ProxyQuotaStatus | undefined) => void;
}

/** Is something listening on 127.0.0.1:port that is not us? Binding a throwaway server answers it. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** GET `path` from our proxy on the port: its JSON, or undefined when something else answers (or nothing). */
async function getFromProxy<T>(port: number, path: string, signal?: AbortSignal): Promise<T | undefined> {
  try {
    const res = await request(`http://127.0.0.1:${port}${path}`, { headers: { host: `127.0.0.1:${port}` }, signal, headersTimeout: 2000, bodyTimeout: 2000 });
    const text = await res.body.text();
    return res.statusCode === 200 && res.headers[PROXY_ID_HEADER] === '1' ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** GET /quota from whatever holds the port: our proxy's status, or 'foreign' for any other program. */
export async function probeProxy(port: number, signal?: AbortSignal): Promise<ProxyQuotaStatus | 'foreign'> {
  return (await getFromProxy<ProxyQuotaStatus>(port, '/quota', signal)) ?? 'foreign';
}

/** GET /quota/history from the proxy on the port (a reader window's dashboard). */
export function fetchHistory(port: number, signal?: AbortSignal): Promise<ProxyHistory | undefined> {
  return getFromProxy<ProxyHistory>(port, '/quota/history', signal);
}

export class ProxyCoordinator {
  private proxy?: MeteringProxy;
  private role: ProxyRole;
  private timer?: TimerHandle;
  private stopped = false;
  private readonly log: Logger;
  private running?: Promise<void>;

  constructor(private readonly opts: CoordinatorOptions) {
    this.log = opts.log ?? nullLogger;
    this.role = { role: 'starting', port: opts.port };
  }

  get current(): ProxyRole {
    return this.role;
  }

  /** The proxy, when this process hosts it. */
  get hosted(): MeteringProxy | undefined {
    return this.proxy;
  }

  /** Try to host; otherwise read the host (or report the foreign program). Resolves after the first attempt. */
  start(): Promise<void> {
    return this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    await this.running;
    const p = this.proxy;
    this.proxy = undefined;
    await p?.close();
    this.setRole({ role: 'stopped', port: this.opts.port });
  }

  private attempt(): Promise<void> {
    this.running ??= this.tryHost().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async tryHost(): Promise<void> {
    if (this.stopped || this.proxy) return;
    const port = this.opts.port;
    if (await portFree(port)) {
      const proxy = this.opts.createProxy();
      try {
        await proxy.listen();
        if (this.stopped) {
          await proxy.close();
          return;
        }
        this.proxy = proxy;
        this.log.info(`proxy: listening on http://127.0.0.1:${proxy.port}/api/v1`);
        this.setRole({ role: 'host', port: proxy.port });
        this.opts.onStatus?.(undefined);
        return;
      } catch (e) {
        await proxy.close().catch(() => undefined);
        if (!(e instanceof PortInUseError)) {
          this.log.error(`proxy: cannot listen on 127.0.0.1:${port}: ${errorText(e)}`);
          this.setRole({ role: 'blocked', port, message: `Cannot listen on 127.0.0.1:${port}: ${(e as Error).message}` });
          return this.schedule();
        }
        // lost a race with another window: read it below
      }
    }
    const status = await probeProxy(port);
    if (this.stopped) return;
    if (status === 'foreign') {
      this.setRole({
        role: 'blocked',
        port,
        message: `Port ${port} on 127.0.0.1 is used by another program, so the OpenRouter Quota proxy cannot start. Choose another port in the setting openrouterQuota.proxy.port.`,
      });
      this.opts.onStatus?.(undefined);
    } else {
      this.setRole({ role: 'reader', port });
      this.opts.onStatus?.(status);
    }
    this.schedule();
  }

  private schedule(): void {
    this.timer?.cancel();
    if (this.stopped) return;
    const ms = this.role.role === 'blocked' ? 30_000 : (this.opts.readerIntervalMs ?? 3_000);
    this.timer = this.opts.clock.setTimer(ms, () => void this.attempt());
  }

  private setRole(r: ProxyRole): void {
    const changed = r.role !== this.role.role || (r.role === 'blocked' && this.role.role === 'blocked' && r.message !== this.role.message);
    this.role = r;
    if (changed) this.opts.onRole?.(r);
  }
}
