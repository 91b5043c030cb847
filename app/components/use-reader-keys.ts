/**
 * The reader keymap (DESIGN.md): 1–9 choose, Enter submits, n next case, [ ] previous/next image,
 * arrows pan when zoomed, + − zoom, i invert, w window presets, f full screen, 0 reset.
 * No shortcut fires inside a text input.
 *
 * Rules that keep keys from changing answers unseen:
 * - a digit answers the current item and moves focus to the next item's container, never onto a
 *   radio (a focused radio takes the arrow keys and would change an answer);
 * - the arrow keys pan when zoomed and otherwise do nothing to answers; a radio or slider the
 *   reader focused (Tab or click) keeps its own arrow keys;
 * - Enter submits only when focus is in the form (never from a link, a button or the header);
 * - while a submit or navigation is under way (`ready` false) every key is swallowed, so keys
 *   typed ahead never land on the case being left.
 */
import { useEffect, useRef, type RefObject } from 'react';
import type { ViewerApi } from './image-viewer.tsx';

function typing(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement) return !['radio', 'checkbox', 'button', 'submit', 'range'].includes(el.type);
  return (el as HTMLElement).isContentEditable;
}

/** Controls that own the arrow keys when the reader focused them. */
function ownsArrows(el: Element | null): boolean {
  return el instanceof HTMLInputElement && ['radio', 'range', 'number'].includes(el.type);
}

/** The item the keys act on: the one holding focus, else the first unanswered one, else the first. */
function activeItem(form: HTMLFormElement): HTMLElement | null {
  const focused = document.activeElement?.closest<HTMLElement>('[data-item]');
  if (focused && form.contains(focused)) return focused;
  const items = [...form.querySelectorAll<HTMLElement>('[data-item]')];
  return items.find((it) => !it.querySelector('input:checked')) ?? items[0] ?? null;
}

export function useReaderKeys(opts: {
  formRef: RefObject<HTMLFormElement>;
  viewer: RefObject<ViewerApi | null>;
  onNext?: () => void;
  ready: boolean;
  /**
   * True from the moment the page sends a read until the router settles: the router's busy state
   * reaches React a render or more later, and keys let through in between answered again and
   * sent a second submit that replaced the first.
   */
  sending?: RefObject<boolean>;
}) {
  const ready = useRef(opts.ready);
  ready.current = opts.ready;
  const sending = opts.sending;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (!ready.current || sending?.current) {
        // Typed ahead while the case is being saved or the next one loads: dropped, not replayed.
        if (e.key !== 'Tab') {
          e.preventDefault();
          e.stopPropagation();
        }
        return;
      }
      const active = document.activeElement;
      if (typing(active)) return;
      const form = opts.formRef.current;
      const v = opts.viewer.current;
      if (/^[1-9]$/.test(e.key) && form) {
        const item = activeItem(form);
        const input = item?.querySelector<HTMLInputElement>(`input[data-key="${e.key}"]`);
        if (input && !input.disabled) {
          e.preventDefault();
          input.click();
          // A single-choice answer moves on to the next item, so "2 4 Enter" answers two items and submits.
          const items = [...form.querySelectorAll<HTMLElement>('[data-item]')];
          const nextItem = input.type === 'radio' ? items[items.indexOf(item!) + 1] : undefined;
          (nextItem ?? item!).focus();
        }
      } else if (e.key === 'Enter') {
        // Only from the form: a link, a button or anything outside it does what it does natively.
        if (!form || !active || !form.contains(active) || active instanceof HTMLButtonElement || active instanceof HTMLAnchorElement) return;
        e.preventDefault();
        form.requestSubmit();
      } else if (e.key === 'n' && opts.onNext) {
        e.preventDefault();
        opts.onNext();
      } else if (e.key.startsWith('Arrow')) {
        if (ownsArrows(active)) return;
        if (v?.zoomed()) {
          e.preventDefault();
          const d = 40;
          v.pan(e.key === 'ArrowLeft' ? d : e.key === 'ArrowRight' ? -d : 0, e.key === 'ArrowUp' ? d : e.key === 'ArrowDown' ? -d : 0);
        }
      } else if (v && e.key === '[') v.prev();
      else if (v && e.key === ']') v.next();
      else if (v && (e.key === '+' || e.key === '=')) v.zoom(1.25);
      else if (v && e.key === '-') v.zoom(0.8);
      else if (v && e.key === '0') v.reset();
      else if (v && e.key === 'i') v.invert();
      else if (v && e.key === 'w') v.nextPreset();
      else if (v && e.key === 'f') v.fullscreen();
    };
    // Capture phase: a key swallowed while not ready never reaches a focused radio.
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, [opts.formRef, opts.viewer, opts.onNext, sending]);
}
