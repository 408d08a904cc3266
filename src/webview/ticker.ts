/// <reference lib="dom" />
// The live parts of the page: countdowns and ages, rewritten every second on the host's clock (the state's
// `now`), not the webview's, so a countdown agrees with the status bar even when the two clocks differ.
import { pieceText } from '../shared/text';

const SECOND = 1000;

/** state.now − Date.now() when the last state arrived. */
let clockOffset = 0;

export const now = (): number => Date.now() + clockOffset;

export function followHostClock(hostNow: number): void {
  clockOffset = hostNow - Date.now();
}

export function tick(root: ParentNode): void {
  const t = now();
  for (const el of root.querySelectorAll<HTMLElement>('[data-countdown-to]'))
    el.textContent = pieceText({ countdown: Number(el.dataset.countdownTo) }, { now: t });
  for (const el of root.querySelectorAll<HTMLElement>('[data-seconds-to]'))
    el.textContent = pieceText({ secondsTo: Number(el.dataset.secondsTo) }, { now: t });
  for (const el of root.querySelectorAll<HTMLElement>('[data-age-from]'))
    el.textContent = pieceText({ ageFrom: Number(el.dataset.ageFrom) }, { now: t });
}

let timer: number | undefined;

/**
 * Ticks on the host clock's whole seconds (every reset time is a whole second), so a countdown changes
 * exactly when a second has passed rather than up to a second late, as a free-running interval would.
 */
export function scheduleTicks(root: ParentNode): void {
  window.clearTimeout(timer);
  const intoSecond = ((now() % SECOND) + SECOND) % SECOND;
  timer = window.setTimeout(() => {
    tick(root);
    scheduleTicks(root);
  }, SECOND - intoSecond);
}
