// OpenRouter: Sign In (openrouterQuota.signIn): OpenRouter's OAuth PKCE flow (src/core/oauth/; research
// notes in docs/oauth.md), ending in setApiKey(services, key), which checks the new key with GET /key and
// stores it in SecretStorage exactly as Set API Key does. Also the UriHandler that receives the browser's
// callback:
//   <uriScheme>://openrouter-quota.openrouter-quota/auth-callback?state=<state>&code=<code>
// A cancelled sign-in, a replayed/foreign/expired callback, an `error` in the callback and a failed exchange
// each end with a message saying so; none of them stores anything.
import * as vscode from 'vscode';
import { errorText, type Logger } from '../core/logger';
import { describeExchangeError, describeRefusal } from '../core/oauth/messages';
import { PendingSignIn, SIGN_IN_TTL_MS } from '../core/oauth/pending';
import {
  buildAuthUrl,
  CALLBACK_PATH,
  type CallbackParams,
  DEFAULT_AUTH_URL,
  parseCallbackQuery,
} from '../core/oauth/urls';
import { CommandId } from '../shared/commandIds';
import * as config from './config';
import { setApiKey } from './keyCommands';
import type { Services } from './services';

/** `publisher.name` from package.json: the authority VS Code routes our callback URIs by. */
export const EXTENSION_ID = 'openrouter-quota.openrouter-quota';

export type SignInResult = 'stored' | 'cancelled' | 'denied' | 'failed' | 'timeout' | 'not-stored';

type Outcome =
  | { kind: 'callback'; params: CallbackParams }
  | { kind: 'cancelled' }
  | { kind: 'no-browser' }
  | { kind: 'timeout' }
  | { kind: 'superseded' };

const NOTHING_STORED = 'Nothing was stored.';

export class SignInController implements vscode.UriHandler, vscode.Disposable {
  private readonly registry: PendingSignIn;
  /** The sign-in waiting for its callback, if any (one at a time: a new one supersedes it). */
  private waiting?: { state: string; resolve: (o: Outcome) => void };

  constructor(
    private readonly services: Services,
    opts: { now?: () => number; extensionId?: string } = {},
  ) {
    this.registry = new PendingSignIn(opts.now);
    this.extensionId = opts.extensionId ?? EXTENSION_ID;
  }

  private readonly extensionId: string;

  /** The command. Resolves with what happened; every path but 'stored' leaves SecretStorage untouched. */
  async signIn(): Promise<SignInResult> {
    this.waiting?.resolve({ kind: 'superseded' });
    const attempt = this.registry.begin();
    const log = this.services.log;
    try {
      // Desktop: asExternalUri keeps the vscode:// URI and adds `windowId=…` so the callback reaches this window.
      // Web hosts (code-server, Codespaces): it becomes an https callback page whose query nests ours; whether
      // the `code` OpenRouter appends to that page's URL is passed on is NOT verified (Set API Key is the
      // fallback there). The state is base64url, so it needs no escaping in either form.
      const callback = await vscode.env.asExternalUri(
        vscode.Uri.parse(`${vscode.env.uriScheme}://${this.extensionId}${CALLBACK_PATH}?state=${attempt.state}`),
      );
      // toString(true): the plain URL; buildAuthUrl() percent-encodes it once, as the callback_url parameter.
      const authUrl = buildAuthUrl(authBase(), callback.toString(true), attempt.pkce.challenge);
      log.info(
        `sign-in: opening ${authUrl.split('?')[0]} (callback ${callback.scheme}://${callback.authority}${callback.path}${vscode.env.uiKind === vscode.UIKind.Web ? ', web host' : ''})`,
      );

      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Signing in with OpenRouter', cancellable: true },
        async (progress, token) => {
          progress.report({ message: 'approve access in the browser, then come back here…' });
          const wait = this.waitForCallback(attempt.state, token);
          // A string, not a Uri: Uri.parse + openExternal re-encode the query and mangle the nested callback_url
          // (microsoft/vscode#135949, #248416). VS Code opens a string as is; the typings still say Uri
          // (microsoft/vscode#85930, #173239).
          const opened = await vscode.env.openExternal(authUrl as unknown as vscode.Uri);
          if (!opened) this.waiting?.resolve({ kind: 'no-browser' });
          return wait;
        },
      );

      switch (outcome.kind) {
        case 'cancelled':
          this.registry.cancel(attempt.state);
          log.info('sign-in: cancelled');
          void vscode.window.showInformationMessage(`OpenRouter sign-in cancelled. ${NOTHING_STORED}`);
          return 'cancelled';
        case 'no-browser':
          this.registry.cancel(attempt.state);
          log.warn('sign-in: the browser was not opened');
          void vscode.window
            .showWarningMessage(
              `OpenRouter sign-in needs the browser, which was not opened. ${NOTHING_STORED} You can paste a key with Set API Key instead.`,
              'Set API Key',
            )
            .then((a) => (a ? vscode.commands.executeCommand(CommandId.setApiKey) : undefined));
          return 'cancelled';
        case 'superseded':
          this.registry.cancel(attempt.state);
          log.info('sign-in: superseded by a newer sign-in');
          return 'cancelled';
        case 'timeout':
          this.registry.cancel(attempt.state);
          log.warn('sign-in: no callback in time');
          void vscode.window
            .showWarningMessage(
              `OpenRouter sign-in timed out: no answer from the browser within ${SIGN_IN_TTL_MS / 60_000} minutes. ${NOTHING_STORED}`,
              'Try Again',
            )
            .then(retry(log));
          return 'timeout';
        case 'callback':
          break;
      }

      const params = outcome.params;
      if (params.error) {
        const detail = params.errorDescription ? `: ${clip(params.errorDescription)}` : '';
        log.warn(`sign-in: the callback carried error=${clip(params.error)}`);
        void vscode.window
          .showWarningMessage(
            `OpenRouter did not grant access (${clip(params.error)}${detail}). ${NOTHING_STORED}`,
            'Try Again',
          )
          .then(retry(log));
        return 'denied';
      }
      const code = params.code;
      if (!code) {
        log.warn('sign-in: the callback carried no code');
        void vscode.window
          .showErrorMessage(`OpenRouter sign-in: the link that came back has no code. ${NOTHING_STORED}`, 'Try Again')
          .then(retry(log));
        return 'failed';
      }

      let key: string;
      try {
        key = await vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: 'Signing in with OpenRouter: getting your key…',
            cancellable: true,
          },
          async (_p, token) => {
            const abort = new AbortController();
            const sub = token.onCancellationRequested(() => abort.abort());
            // The extension's shared agent (http.proxy honoured) and User-Agent; the exchange leaves the agent open.
            const { exchangeCode } = await this.services.network();
            const clients = (await this.services.clients()).current;
            return exchangeCode({
              apiBaseUrl: clients.baseUrl,
              code,
              verifier: attempt.pkce.verifier,
              dispatcher: clients.dispatcher,
              signal: abort.signal,
              userAgent: clients.userAgent,
            }).finally(() => sub.dispose());
          },
        );
      } catch (e) {
        const text = describeExchangeError(e);
        log.warn(`sign-in: exchange failed: ${text}`);
        void vscode.window.showErrorMessage(`${text} ${NOTHING_STORED}`, 'Try Again').then(retry(log));
        return 'failed';
      }

      // From here on it is Set API Key: GET /key, then SecretStorage; it shows its own messages.
      const stored = await setApiKey(this.services, key);
      if (stored === 'stored') return 'stored';
      log.warn(`sign-in: OpenRouter created a key, but it was not stored (${stored})`);
      if (stored === 'cancelled') {
        void vscode.window.showInformationMessage(
          'The key OpenRouter created for this sign-in was not stored. You can delete it at openrouter.ai/settings/keys.',
        );
      }
      return 'not-stored';
    } catch (e) {
      this.registry.cancel(attempt.state);
      throw e;
    } finally {
      if (this.waiting?.state === attempt.state) this.waiting = undefined;
    }
  }

  /** Called by VS Code for <uriScheme>://openrouter-quota.openrouter-quota/<path>?<query>. */
  handleUri(uri: vscode.Uri): void {
    const log = this.services.log;
    if (uri.path !== CALLBACK_PATH) {
      log.info(`ignored a link to ${uri.path || '/'}`);
      return;
    }
    const params = parseCallbackQuery(uri.query);
    const match = this.registry.take(params.state);
    if (!match.ok) {
      // Never log the code; the state is useless once refused, but there is no reason to log it either.
      log.warn(`sign-in: refused a callback (${match.reason})`);
      void vscode.window
        .showWarningMessage(`OpenRouter sign-in: ${describeRefusal(match.reason)} ${NOTHING_STORED}`, 'Sign In Again')
        .then(retry(log));
      return;
    }
    if (this.waiting?.state !== match.attempt.state) {
      // Taken from the registry but nobody waits: the flow ended between the two (cannot normally happen).
      log.warn('sign-in: a valid callback arrived after its sign-in ended');
      void vscode.window.showWarningMessage(`OpenRouter sign-in: ${describeRefusal('cancelled')} ${NOTHING_STORED}`);
      return;
    }
    this.waiting.resolve({ kind: 'callback', params });
  }

  private waitForCallback(state: string, token: vscode.CancellationToken): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => finish({ kind: 'timeout' }), SIGN_IN_TTL_MS);
      const sub = token.onCancellationRequested(() => finish({ kind: 'cancelled' }));
      const finish = (o: Outcome) => {
        clearTimeout(timer);
        sub.dispose();
        if (this.waiting?.state === state) this.waiting = undefined;
        resolve(o);
      };
      this.waiting = { state, resolve: finish };
    });
  }

  dispose(): void {
    this.waiting?.resolve({ kind: 'superseded' });
  }
}

function authBase(): string {
  const v: unknown = config.get('signIn.authUrl');
  return typeof v === 'string' && v.trim() ? v.trim() : DEFAULT_AUTH_URL;
}

/** The "Try Again" button's handler: a failure to start the new sign-in goes to the log. */
function retry(log: Logger): (choice: string | undefined) => void {
  return (choice) => {
    if (choice)
      void vscode.commands
        .executeCommand(CommandId.signIn)
        .then(undefined, (e: unknown) => log.error(`sign-in: ${errorText(e)}`));
  };
}

/** Text from the callback is attacker-controlled: keep it short and on one line. */
function clip(s: string): string {
  const t = s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 120)}…` : t;
}
