// Where things are by default. A file of its own so that the settings (read at activation) can name them
// without loading the HTTP client or the proxy, which load when first needed.

/** OpenRouter's API. */
export const DEFAULT_BASE_URL = 'https://openrouter.ai/api/v1';

/** The local proxy's port on 127.0.0.1 (openrouterQuota.proxy.port, the CLI's --port). */
export const DEFAULT_PROXY_PORT = 18_789;
