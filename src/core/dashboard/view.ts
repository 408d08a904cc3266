// The whole dashboard as the webview draws it: built from the same snapshot the status bar renders (and
// the proxy's history), so the page cannot tell a different story than the tooltip. Pure: the same input
// gives the same view.
import type { CardView, DashboardView, RowView } from '../../shared/dashboardView';
import { balanceCard, errorCard, headerOf, keyCapCard, loadingCard, noKeyCard, tierCard } from './accountCards';
import { bannerOf } from './banner';
import { forecastOf } from './forecast';
import { fallbacksCard, freeModelsCard } from './freeModelsCard';
import type { DashboardInput } from './input';
import { countsCard, eventsCard, historyCard, proxyCard } from './proxyCards';
import { minuteCard, paceCard, splitCard, todayCard } from './quotaCards';

const wide = (card: CardView): RowView => ({ layout: 'wide', cards: [card] });

export function buildDashboardView(input: DashboardInput): DashboardView {
  const { snapshot: s, history, proxy, now } = input;
  const rows: RowView[] = [];
  if (s.status === 'no-key') rows.push(wide(noKeyCard()), wide(proxyCard(proxy)));
  else if (s.status === 'loading') rows.push(wide(loadingCard()));
  else if (!s.day || !s.minute) rows.push(wide(errorCard(s)), wide(proxyCard(proxy)));
  else {
    const split = splitCard(s);
    rows.push(
      {
        layout: 'top',
        cards: [todayCard(s, s.day), minuteCard(s, s.minute), paceCard(s.day, forecastOf(s, history, now), now)],
      },
      ...(split ? [wide(split)] : []),
      { layout: 'three', cards: [tierCard(s.day), keyCapCard(s), balanceCard(s)] },
      wide(historyCard(s, history, proxy, now)),
      { layout: 'two', cards: [countsCard('models', history?.models), countsCard('clients', history?.clients)] },
      wide(freeModelsCard(input.freeModels, proxy)),
      wide(eventsCard(input.events, proxy, now)),
      wide(fallbacksCard(s.fallback, proxy, now)),
      wide(proxyCard(proxy)),
    );
  }
  return {
    now,
    header: headerOf(s),
    banner: bannerOf(input),
    rows,
    footer: ['openSettings', 'showLog'],
    busy: s.status === 'loading',
  };
}
