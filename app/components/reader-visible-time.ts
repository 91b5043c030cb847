/**
 * Visible time on the reading page, for time on case: counts only while the page is visible,
 * reports what it counted when the page is hidden or left (a beacon to the read action), and hands
 * the rest to the read on submit. The server adds the reports up per assignment, so a reload
 * continues the clock instead of restarting it.
 */
import { useCallback, useEffect, useRef } from 'react';

export function useVisibleTime(reportUrl: string, caseKey: string) {
  const since = useRef<number | null>(null);
  const banked = useRef(0);
  const take = useCallback(() => {
    const now = performance.now();
    const ms = banked.current + (since.current === null ? 0 : now - since.current);
    banked.current = 0;
    since.current = document.visibilityState === 'visible' ? now : null;
    return Math.round(ms);
  }, []);
  useEffect(() => {
    banked.current = 0;
    since.current = document.visibilityState === 'visible' ? performance.now() : null;
    const report = () => {
      const ms = take();
      if (ms <= 0) return;
      const body = new FormData();
      body.set('intent', 'time');
      body.set('visibleMs', String(ms));
      navigator.sendBeacon(reportUrl, body);
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') report();
      else since.current = performance.now();
    };
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('pagehide', report);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('pagehide', report);
      // Leaving the case inside the app (a link, the next case): what was counted is kept.
      report();
    };
  }, [reportUrl, caseKey, take]);
  /** Visible milliseconds not yet reported: sent with the read, then counting starts again. */
  return take;
}
