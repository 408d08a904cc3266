// The "OpenRouter Quota" log (a LogOutputChannel, so the user picks the level), behind core's Logger
// interface. Every line is redacted: the current key, and anything shaped like an OpenRouter key.
import * as vscode from 'vscode';
import { errorText, type Logger, redact } from '../core/logger';

export class ExtensionLog implements Logger, vscode.Disposable {
  readonly channel: vscode.LogOutputChannel;

  constructor(private readonly secrets: () => readonly string[]) {
    this.channel = vscode.window.createOutputChannel('OpenRouter Quota', { log: true });
  }

  private clean(m: string): string {
    return redact(m, this.secrets());
  }

  trace(m: string): void {
    this.channel.trace(this.clean(m));
  }
  debug(m: string): void {
    this.channel.debug(this.clean(m));
  }
  info(m: string): void {
    this.channel.info(this.clean(m));
  }
  warn(m: string): void {
    this.channel.warn(this.clean(m));
  }
  error(m: string | Error): void {
    this.channel.error(this.clean(typeof m === 'string' ? m : errorText(m)));
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
