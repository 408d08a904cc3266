// Small playwright helpers for driving the VS Code 1.139 web workbench like a user. Selectors verified
// against code-server 4.139.1; re-check them when bumping code-server.
export const SEL = {
  statusbar: '.monaco-workbench .part.statusbar',
  // Extension status bar items get the DOM id `<publisher.name>.<item id>` (item id: the one given to
  // createStatusBarItem, or a generated number), so the prefix finds them whatever id the extension uses.
  statusItem: (extensionId) => `.part.statusbar .statusbar-item[id^="${extensionId}."]`,
  quickInput: '.quick-input-widget input',
  quickInputRow: '.quick-input-list .monaco-list-row',
  toast: '.notifications-toasts .notification-toast',
  // Status bar tooltips use the workbench hover: <div class="monaco-hover workbench-hover ..."> inside
  // .workbench-hover-container.
  hover: '.workbench-hover, .monaco-hover',
};

/** locator.waitFor with an error that says what was awaited (playwright's only names the timeout). */
export async function waitFor(locator, what, { timeout = 15000, state = 'visible' } = {}) {
  try {
    await locator.waitFor({ state, timeout });
  } catch (e) {
    if (!/Timeout/.test(e.message)) throw e;
    throw new Error(`${what}: not ${state} within ${timeout / 1000}s`);
  }
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Locator for the extension's status bar item whose text contains `text` (or equals it, with exact). */
export function statusItem(page, extensionId, text, { exact = false } = {}) {
  const hasText = exact ? new RegExp(`^\\s*${escapeRe(text)}\\s*$`) : text;
  return page.locator(SEL.statusItem(extensionId)).filter({ hasText });
}

/** F1, type ">title", wait until the highlighted row is that command, Enter. */
export async function runCommand(page, title, { timeout = 15000 } = {}) {
  const input = page.locator(SEL.quickInput);
  // The palette closes again when focus goes back to a webview that had it (e.g. one restored by a
  // reload): open it again rather than wait on an input that is gone.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await waitFor(input, 'command palette (F1)', { timeout });
      await input.fill(`>${title}`, { timeout: 10000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
  // Enter runs the focused row: make sure it is ours and not a fuzzy match ranked above it.
  await waitFor(page.locator(`${SEL.quickInputRow}.focused`).filter({ hasText: title }), `palette row "${title}"`, {
    timeout,
  });
  await page.keyboard.press('Enter');
}

/** Text and aria-label of every status bar item of the extension (for failure messages). */
export function statusItemsNow(page, extensionId) {
  return page
    .locator(SEL.statusItem(extensionId))
    .evaluateAll((els) =>
      els.map((e) => `"${e.innerText.trim()}" (aria-label "${e.getAttribute('aria-label')}", class "${e.className}")`),
    );
}

/** Computed style facts of an element: background colour and class list. */
export function styleOf(locator) {
  return locator.evaluate((el) => ({ background: getComputedStyle(el).backgroundColor, classes: [...el.classList] }));
}

/** The computed rgb() value a theme colour variable (e.g. --vscode-statusBarItem-warningBackground) resolves to. */
export function themeColor(page, cssVar) {
  return page.evaluate((v) => {
    const probe = document.createElement('div');
    probe.style.backgroundColor = `var(${v})`;
    document.querySelector('.monaco-workbench').appendChild(probe);
    const c = getComputedStyle(probe).backgroundColor;
    probe.remove();
    return c;
  }, cssVar);
}

/** Screenshot of the smallest viewport region holding all `locators`, padded and extended to the bottom edge. */
export async function screenshotRegion(page, locators, file, { pad = 24 } = {}) {
  const boxes = await Promise.all(locators.map((l) => l.boundingBox()));
  if (boxes.some((b) => !b)) throw new Error('screenshotRegion: an element is not visible');
  const vp = page.viewportSize();
  const x0 = Math.max(0, Math.min(...boxes.map((b) => b.x)) - pad);
  const y0 = Math.max(0, Math.min(...boxes.map((b) => b.y)) - pad);
  const x1 = Math.min(vp.width, Math.max(...boxes.map((b) => b.x + b.width)) + pad);
  // the status bar sits at the bottom: include everything down to the window edge
  await page.screenshot({
    path: file,
    animations: 'disabled',
    clip: { x: x0, y: y0, width: x1 - x0, height: vp.height - y0 },
  });
}
