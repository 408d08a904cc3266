// Money as the extension shows it, shared by the host and the dashboard.

/** "$74.50", "-$0.42", and four decimals below one cent ("$0.0042"). */
export function usd(v: number): string {
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  return `${sign}$${a < 0.01 && a > 0 ? a.toFixed(4) : a.toFixed(2)}`;
}
