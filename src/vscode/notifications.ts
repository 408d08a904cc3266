// Notifications before limits, the thin adapter: each new snapshot goes to core's rules (alerts.ts), each
// alert they return is claimed in the directory all windows share (alertClaims.ts), and only the window
// that wins the claim shows it, with its action buttons. The decision memory is kept per window (in
// workspaceState when given, so a reload does not repeat anything either).
import * as vscode from 'vscode';
import { AlertClaims } from '../core/alertClaims';
import { type Alert, type AlertMemory, type AlertSettings, decide, normalizeMemory } from '../core/alerts';
import { errorText, type Logger } from '../core/logger';
import type { QuotaSnapshot } from '../core/quota';
import { formatClock, HOUR, nextUtcMidnight } from '../shared/time';
import { offerActions } from './actions';

const MEMORY_KEY = 'openrouterQuota.notificationMemory';
const CLEANUP_EVERY_MS = HOUR;

type NotificationSettingsGetter = () => Omit<AlertSettings, 'mutedUntil'>;

export interface NotificationOptions {
  /** Where this window keeps its decision memory across reloads (context.workspaceState). */
  state?: vscode.Memento;
  /** When given, an unfocused window neither decides nor claims, so the focused one shows the alert. */
  isFocused?: () => boolean;
  now?: () => number;
}

export class QuotaNotifications implements vscode.Disposable {
  private readonly claims?: AlertClaims;
  private memory: AlertMemory;
  private saved: string;
  private lastCleanup = -Infinity;
  /** This window's own record of a mute, for when the shared directory cannot hold it. */
  private localMuteUntil?: number;
  private disposed = false;
  private readonly now: () => number;

  constructor(
    dir: string,
    private readonly log: Logger,
    private readonly settings: NotificationSettingsGetter,
    private readonly options: NotificationOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    try {
      this.claims = new AlertClaims(dir, log);
    } catch (e) {
      log.warn(`cannot share notifications between windows (${(e as Error).message}); each window decides on its own`);
    }
    this.memory = normalizeMemory(options.state?.get<unknown>(MEMORY_KEY));
    this.saved = JSON.stringify(this.memory);
  }

  /** Called with every snapshot this window renders. Never throws. */
  update(s: QuotaSnapshot): void {
    if (this.disposed || (this.options.isFocused && !this.options.isFocused())) return;
    try {
      const now = this.now();
      if (now - this.lastCleanup >= CLEANUP_EVERY_MS) {
        this.lastCleanup = now;
        this.claims?.cleanup(now);
      }
      const { show, memory } = decide(s, this.memory, { ...this.settings(), mutedUntil: this.mutedUntil(now) }, now);
      this.memory = memory;
      this.persist();
      for (const alert of show) {
        if (this.claims && !this.claims.tryClaim(alert.claim, now)) {
          this.log.debug(`notification ${alert.kind} (${alert.claim.key}) already shown by another window`);
          continue;
        }
        this.show(alert);
      }
    } catch (e) {
      this.log.error(`notifications: ${errorText(e)}`);
    }
  }

  /** Mute every window's notifications (except a rejected key) until the next 00:00 UTC. */
  muteToday(): void {
    const now = this.now();
    const until = nextUtcMidnight(now);
    // This window honours it even if the shared directory cannot record it for the others.
    this.localMuteUntil = until;
    try {
      this.claims?.mute(now);
    } catch (e) {
      this.log.warn(`cannot record the mute for other windows: ${(e as Error).message}`);
    }
    this.log.info(`notifications muted until ${new Date(until).toISOString()}`);
    vscode.window.setStatusBarMessage(
      `$(bell-slash) OpenRouter notifications muted until 00:00 UTC (${formatClock(until)} local)`,
      5000,
    );
  }

  dispose(): void {
    this.disposed = true;
  }

  private show(alert: Alert): void {
    this.log.info(`notification: ${alert.kind}`);
    const show = alert.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    offerActions(show, alert.message, alert.actions, this.log);
  }

  private persist(): void {
    const text = JSON.stringify(this.memory);
    if (text === this.saved || !this.options.state) return;
    this.saved = text;
    Promise.resolve(this.options.state.update(MEMORY_KEY, this.memory)).catch((e: unknown) =>
      this.log.debug(`cannot save notification memory: ${errorText(e)}`),
    );
  }

  private mutedUntil(now: number): number | undefined {
    const shared = this.claims?.mutedUntil(now);
    const local = this.localMuteUntil !== undefined && this.localMuteUntil > now ? this.localMuteUntil : undefined;
    return shared ?? local;
  }
}
