// The status bar item: copies a StatusBarView (rendered by core/format from the snapshot) onto VS Code's
// item. Re-created when its alignment setting changes, since VS Code cannot move an existing item.
import * as vscode from 'vscode';
import type { StatusBarView } from '../core/format';
import { CommandId } from '../shared/commandIds';

const ITEM_ID = 'openrouterQuota.status';
/** VS Code only lets status bar items use its warning and error theme colours as backgrounds. */
const SEVERITY_COLOURS: Record<StatusBarView['severity'], 'warning' | 'error' | undefined> = {
  normal: undefined,
  warning: 'warning',
  critical: 'error',
};

export class StatusBarController implements vscode.Disposable {
  private item: vscode.StatusBarItem;
  private last?: StatusBarView;

  constructor(alignment: 'left' | 'right') {
    this.item = this.create(alignment);
  }

  setAlignment(alignment: 'left' | 'right'): void {
    const want = alignment === 'left' ? vscode.StatusBarAlignment.Left : vscode.StatusBarAlignment.Right;
    if (this.item.alignment === want) return;
    this.item.dispose();
    this.item = this.create(alignment);
    if (this.last) this.render(this.last);
  }

  render(view: StatusBarView): void {
    this.last = view;
    const item = this.item;
    item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    // Links may run our own commands only; text from the network is escaped by core/format.
    tooltip.isTrusted = { enabledCommands: Object.values(CommandId) };
    item.tooltip = tooltip;
    item.command = view.command;
    item.accessibilityInformation = { label: view.accessibilityLabel, role: 'button' };
    const kind = SEVERITY_COLOURS[view.severity];
    item.backgroundColor = kind && new vscode.ThemeColor(`statusBarItem.${kind}Background`);
    item.color = kind && new vscode.ThemeColor(`statusBarItem.${kind}Foreground`);
    item.show();
  }

  /** What the item shows now (for the extension's API and tests). */
  get view(): StatusBarView | undefined {
    return this.last;
  }

  dispose(): void {
    this.item.dispose();
  }

  private create(alignment: 'left' | 'right'): vscode.StatusBarItem {
    const item = vscode.window.createStatusBarItem(
      ITEM_ID,
      alignment === 'left' ? vscode.StatusBarAlignment.Left : vscode.StatusBarAlignment.Right,
      // Right side: near the left end of the right group, where glanceable counters usually sit.
      alignment === 'left' ? 0 : 100,
    );
    item.name = 'OpenRouter Quota';
    return item;
  }
}
