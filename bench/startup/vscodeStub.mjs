// Stands in for the `vscode` module that only VS Code's extension host provides, so that the activation
// bundle can be imported in plain Node to time its loading (nothing from it is called at import time).
const handler = { get: (_t, key) => (key === '__esModule' ? false : new Proxy(function () {}, handler)) };
export default new Proxy({}, handler);
