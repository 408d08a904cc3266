/// <reference lib="dom" />
// Core's prepared text (shared/text.ts) as DOM nodes: words as text, clocks in the reader's own time zone,
// countdowns and ages as elements the ticker (ticker.ts) rewrites every second.
import { pieceText, type Piece, type Text } from '../shared/text';
import { h } from './dom';
import { now } from './ticker';

function pieceNode(p: Piece): Node | string {
  if (typeof p === 'string') return p;
  const words = pieceText(p, { now: now() });
  if ('countdown' in p) return h('strong', { role: 'timer', 'data-countdown-to': p.countdown }, words);
  if ('secondsTo' in p) return h('strong', { role: 'timer', 'data-seconds-to': p.secondsTo }, words);
  if ('ageFrom' in p) return h('span', { 'data-age-from': p.ageFrom }, words);
  if ('strong' in p) return h('strong', {}, words);
  if ('code' in p) return h('code', {}, words);
  return words;
}

export function textNodes(t: Text): (Node | string)[] {
  return typeof t === 'string' ? [t] : t.map(pieceNode);
}
