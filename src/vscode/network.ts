// What the extension loads when it first talks to OpenRouter or runs the proxy, not at activation: the HTTP
// client (undici), the session (poller, account model, proxy), sign-in's exchange, chat requests and the
// dashboard's builder. The bundle makes this a chunk of its own (esbuild.js), imported by Services.network().
export { buildDashboardView } from '../core/dashboard/view';
export { streamChat } from '../core/chat/client';
export { streamChatWithFallback } from '../core/chat/fallback';
export { Agent } from '../core/http/undici';
export { exchangeCode } from '../core/oauth/exchange';
export { ExtensionClients } from './clientFactory';
export { QuotaSession } from './session';
