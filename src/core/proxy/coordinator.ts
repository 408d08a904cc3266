// Exactly one process hosts the proxy of an account; the others read its GET /quota and take over within
// seconds when the host goes away (a VS Code window closing, a CLI stopped). Two locks decide who hosts:
// the port (whoever binds it serves it) and the account's state directory (whoever holds host.lock writes
// its ledger). A port held by another program, or by the proxy of another account, is reported and never
// read: its counts are not ours. An unusable state directory is reported, and retried slowly, not in a loop.
import * as net from 'node:net';
import { request } from '../http/undici';
import type { Clock, TimerHandle } from '../clock';
import { errorText, type Logger, nullLogger } from '../logger';
import { HostLock } from '../state/hostLock';
import { ensurePrivateDir, StateDirError } from '../state/stateDir';
import { ACCOUNT_HEADER, type MeteringProxy, PortInUseError, PROXY_ID_HEADER } from './server';

export type ProxyRole =
  | { role: 'starting'; port: number }
  | { role: 'host'; port: number }
  /** Reading the host on `port` (another port than ours when the state directory's holder listens there). */
  | { role: 'reader'; port: number }
  | { role: 'blocked'; port: number; reason: 'foreign' | 'other-account' | 'listen'; message: string }
  /** The state directory cannot be used: nothing is hosted or read until it can. */
  | { role: 'failed'; port: number; message: string }
  | { role: 'stopped'; port: number };

export interface CoordinatorOptions {
  port: number;
  /** accountFingerprint() of the key: sent to a proxy found on the port, which answers only its own account. */
  fingerprint: string;
  /** The account's state directory (host.lock, ledger). */
  stateDir: string;
  /** Builds the proxy (and opens its ledger) once this process holds the port and the lock. */
  createProxy: () => MeteringProxy;
  clock: Clock;
  log?: Logger;
  /** How often a reader reads /quota and tries to take over. */
  readerIntervalMs?: number;
  onRole?: (r: ProxyRole) => void;
  /** A reader's copy of the host's GET /quota (undefined when there is none). */
  onRemote?: (json: unknown) => void;
  /**
   * How this audience chooses another port, ending the messages about a taken port: the CLI names its flag,
   * the extension its setting (the default, PORT_HINT_SETTING).
   */
  portHint?: string;
}

/** The extension's way to another port (its notification also has a button that opens the setting). */
export const PORT_HINT_SETTING = 'Choose another port in the setting openrouterQuota.proxy.port.';

export type Probe = { kind: 'ours'; json: unknown } | { kind: 'other-account' } | { kind: 'foreign' };

/** Is something listening on 127.0.0.1:port? Binding a throwaway server answers it. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** GET `path` from whatever holds the port, as the account with this fingerprint. */
export async function probeProxy(
  port: number,
  fingerprint: string,
  path = '/quota',
  signal?: AbortSignal,
): Promise<Probe> {
  try {
    const res = await request(`http://127.0.0.1:${port}${path}`, {
      headers: { host: `127.0.0.1:${port}`, [ACCOUNT_HEADER]: fingerprint },
      signal,
      headersTimeout: 2000,
      bodyTimeout: 2000,
    });
    const text = await res.body.text();
    if (res.headers[PROXY_ID_HEADER] !== '1') return { kind: 'foreign' };
    if (res.statusCode === 200) return { kind: 'ours', json: JSON.parse(text) as unknown };
    if (res.statusCode === 403 && text.includes('"other-account"')) return { kind: 'other-account' };
    return { kind: 'foreign' };
  } catch {
    return { kind: 'foreign' };
  }
}

export class ProxyCoordinator {
  private proxy?: MeteringProxy;
  private lock?: HostLock;
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

  /** Try to host; otherwise read the host (or report what is in the way). Resolves after the first attempt. */
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
    this.lock?.release();
    this.lock = undefined;
    this.setRole({ role: 'stopped', port: this.opts.port });
  }

  private attempt(): Promise<void> {
    this.running ??= this.tryHost()
      .catch((e: unknown) => {
        // Never thrown out of a timer: an unexpected failure becomes a role, and a slow retry.
        this.log.error(`proxy: ${errorText(e)}`);
        this.setRole({
          role: 'failed',
          port: this.opts.port,
          message: `The OpenRouter Quota proxy could not start: ${(e as Error).message}`,
        });
      })
      .finally(() => {
        this.running = undefined;
        if (!this.proxy) this.schedule();
      });
    return this.running;
  }

  private async tryHost(): Promise<void> {
    if (this.stopped || this.proxy) return;
    const { port, stateDir } = this.opts;
    if (await portFree(port)) {
      let taken;
      try {
        ensurePrivateDir(stateDir);
        taken = HostLock.acquire(stateDir, port);
      } catch (e) {
        return this.fail(e);
      }
      if (!taken.ok) {
        // Another process writes this account's ledger: read its proxy (on its port) instead, once it listens.
        if (taken.owner.port === 0) return;
        return this.read(taken.owner.port);
      }
      if (this.stopped) return taken.lock.release();
      let proxy: MeteringProxy;
      try {
        proxy = this.opts.createProxy();
      } catch (e) {
        taken.lock.release();
        return this.fail(e);
      }
      try {
        await proxy.listen();
      } catch (e) {
        await proxy.close().catch(() => undefined);
        taken.lock.release();
        if (!(e instanceof PortInUseError)) {
          this.log.error(`proxy: cannot listen on 127.0.0.1:${port}: ${errorText(e)}`);
          return this.setRole({
            role: 'blocked',
            port,
            reason: 'listen',
            message: `Cannot listen on 127.0.0.1:${port}: ${(e as Error).message}`,
          });
        }
        return this.read(port); // lost a race with another process: read it
      }
      if (this.stopped) {
        await proxy.close();
        return taken.lock.release();
      }
      this.proxy = proxy;
      this.lock = taken.lock;
      taken.lock.setPort(proxy.port);
      this.log.info(`proxy: listening on http://127.0.0.1:${proxy.port}/api/v1`);
      this.setRole({ role: 'host', port: proxy.port });
      this.opts.onRemote?.(undefined);
      return;
    }
    return this.read(port);
  }

  private async read(port: number): Promise<void> {
    const probe = await probeProxy(port, this.opts.fingerprint);
    if (this.stopped) return;
    if (probe.kind === 'ours') {
      this.setRole({ role: 'reader', port });
      this.opts.onRemote?.(probe.json);
      return;
    }
    this.opts.onRemote?.(undefined);
    if (probe.kind === 'other-account') {
      this.setRole({
        role: 'blocked',
        port,
        reason: 'other-account',
        message: `Port ${port} on 127.0.0.1 is used by the OpenRouter Quota proxy of another key (another account, profile or user), so no proxy meters this key. Its counts are not shown. ${this.portHint}`,
      });
      return;
    }
    if (port !== this.opts.port) return; // the lock's holder is still starting (or just stopped): try again soon
    this.setRole({
      role: 'blocked',
      port,
      reason: 'foreign',
      message: `Port ${port} on 127.0.0.1 is used by another program, so the OpenRouter Quota proxy cannot start. ${this.portHint}`,
    });
  }

  private get portHint(): string {
    return this.opts.portHint ?? PORT_HINT_SETTING;
  }

  private fail(e: unknown): void {
    const message =
      e instanceof StateDirError
        ? e.message
        : `The OpenRouter Quota proxy could not open its state in ${this.opts.stateDir}: ${(e as Error).message}`;
    this.log.error(`proxy: ${message}`);
    this.setRole({ role: 'failed', port: this.opts.port, message });
  }

  private schedule(): void {
    this.timer?.cancel();
    if (this.stopped) return;
    const slow = this.role.role === 'blocked' || this.role.role === 'failed';
    const ms = slow ? 30_000 : (this.opts.readerIntervalMs ?? 3_000);
    this.timer = this.opts.clock.setTimer(ms, () => void this.attempt());
  }

  private setRole(r: ProxyRole): void {
    const prev = this.role;
    const changed =
      r.role !== prev.role ||
      r.port !== prev.port ||
      ('message' in r && 'message' in prev && r.message !== prev.message);
    this.role = r;
    if (changed) this.opts.onRole?.(r);
  }
}
