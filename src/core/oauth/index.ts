// "Sign in with OpenRouter" (OAuth PKCE), without vscode; the adapter is src/vscode/signIn.ts. Research
// notes on what OpenRouter documents and what is assumed: docs/oauth.md. One import path for callers that
// want several parts (config.ts, the tests); each part also stands alone.
export { base64url, challengeFor, createPkce, createState, type Pkce } from './pkce';
export { buildAuthUrl, CALLBACK_PATH, type CallbackParams, DEFAULT_AUTH_URL, parseCallbackQuery } from './urls';
export { type CallbackMatch, type CallbackRefusal, PendingSignIn, SIGN_IN_TTL_MS, type SignInAttempt } from './pending';
export { exchangeCode, type ExchangeOptions } from './exchange';
export { describeExchangeError, describeRefusal } from './messages';
