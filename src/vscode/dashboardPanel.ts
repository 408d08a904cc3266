// The quota dashboard: one WebviewPanel at a time (revealed if already open), restored after a window reload
// by a serializer. The host pushes full DashboardViews (update); the panel posts them only while visible
// and again when the webview (re)loads or becomes visible, since retainContextWhenHidden is off (a hidden
// webview is torn down; reloading it is cheaper than keeping it in memory). Clicks in the webview arrive as
// UserActions and run through runAction, like a notification's buttons (the Free models card's buttons as
// ModelActions with their ids, through runModelAction); nothing else from it is trusted.
import * as vscode from 'vscode';
import { errorText, type Logger } from '../core/logger';
import type { DashboardView } from '../shared/dashboardView';
import { type HostMessage, isWebviewMessage } from '../shared/protocol';
import { runAction, runModelAction } from './actions';
import { dashboardWebviewOptions, renderDashboardHtml } from './dashboardHtml';

/** Also the `onWebviewPanel:` activation event in the manifest. */
export const DASHBOARD_VIEW_TYPE = 'openrouterQuota.dashboard';
const TITLE = 'OpenRouter Quota';
/** Updates closer together than this are sent as one (a burst of proxied requests changes the state often). */
const COALESCE_MS = 250;

export interface DashboardPanelOptions {
  extensionUri: vscode.Uri;
  log: Logger;
  /**
   * Builds the current state afresh (buildDashboardView with `now`), for when the webview loads or becomes
   * visible and after invalidate(); when it gives nothing, the last state it built is posted again. May be
   * async (e.g. to read the proxy's history from another window).
   */
  getState?: () => DashboardView | undefined | Promise<DashboardView | undefined>;
}

export class DashboardPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  /** Listeners of the current panel; dropped with it. */
  private panelScope: vscode.Disposable[] = [];
  private last?: DashboardView;
  private pending?: NodeJS.Timeout;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly opts: DashboardPanelOptions) {
    // Registered during activation (the manifest's onWebviewPanel event activates us for it), so a panel
    // that was open before a reload comes back with its UI state.
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
        deserializeWebviewPanel: (panel: vscode.WebviewPanel) => {
          this.opts.log.info('dashboard: restored after a window reload');
          this.attach(panel);
          return Promise.resolve();
        },
      }),
    );
  }

  /** Opens the dashboard, or brings the open one to the front. */
  createOrShow(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, TITLE, vscode.ViewColumn.Active, {
      ...dashboardWebviewOptions(this.opts.extensionUri),
      retainContextWhenHidden: false,
      enableFindWidget: true,
    });
    this.attach(panel);
  }

  /**
   * Something the dashboard shows changed: its state is built (getState) and posted once within COALESCE_MS
   * however many changes come meanwhile, and not at all while the panel is hidden (it is rebuilt when it
   * becomes visible).
   */
  invalidate(): void {
    if (!this.panel?.visible || this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      if (this.panel?.visible) this.postCurrent();
    }, COALESCE_MS);
  }

  private attach(panel: vscode.WebviewPanel): void {
    if (this.panel) {
      // Only one dashboard: a second restored copy (two editor groups before a reload) is dropped.
      panel.dispose();
      this.panel.reveal();
      return;
    }
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.opts.extensionUri, 'media', 'icon.png');
    panel.webview.options = dashboardWebviewOptions(this.opts.extensionUri);
    this.panelScope.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.visible) this.postCurrent();
      }),
      panel.onDidDispose(() => this.detach()),
    );
    panel.webview.html = renderDashboardHtml(panel.webview, this.opts.extensionUri);
  }

  private detach(): void {
    this.panel = undefined;
    for (const d of this.panelScope.splice(0)) d.dispose();
  }

  private postCurrent(): void {
    void Promise.resolve(this.opts.getState?.())
      .then((fresh) => {
        const state = fresh ?? this.last;
        if (fresh) this.last = fresh;
        if (state) this.post(state);
      })
      .catch((e: unknown) => this.opts.log.error(`dashboard: building the state failed: ${errorText(e)}`));
  }

  private post(state: DashboardView): void {
    const message: HostMessage = { type: 'state', view: state };
    this.panel?.webview
      .postMessage(message)
      .then(undefined, (e: unknown) => this.opts.log.debug(`dashboard: post failed: ${errorText(e)}`));
  }

  private onMessage(m: unknown): void {
    if (!isWebviewMessage(m)) {
      this.opts.log.warn('dashboard: ignored a message of unknown shape from the webview');
      return;
    }
    if (m.type === 'ready') {
      this.postCurrent();
      return;
    }
    if (m.type === 'modelAction') void runModelAction(m.action, m.ids, this.opts.log);
    else void runAction(m.action, this.opts.log);
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.panel?.dispose();
    this.detach();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
