/**
 * The reader keymap (DESIGN.md): 1–9 choose, Enter submits, n next case, [ ] previous/next image,
 * arrows pan when zoomed, + − zoom, i invert, w window presets, f full screen, 0 reset.
 * No shortcut fires inside a text input.
 */
import { useEffect, type RefObject } from 'react';
import type { ViewerApi } from './image-viewer.tsx';

function typing(el: Element | null): boolean {
  if (!el) return false;
  if (el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) return true;
  if (el instanceof HTMLInputElement) return !['radio', 'checkbox', 'button', 'submit', 'range'].includes(el.type);
  return (el as HTMLElement).isContentEditable;
}

/** The item the keys act on: the one holding focus, else the first unanswered one, else the first. */
function activeItem(form: HTMLFormElement): HTMLElement | null {
  const focused = document.activeElement?.closest<HTMLElement>('[data-item]');
  if (focused && form.contains(focused)) return focused;
  const items = [...form.querySelectorAll<HTMLElement>('[data-item]')];
  return items.find((it) => !it.querySelector('input:checked')) ?? items[0] ?? null;
}

export function useReaderKeys(opts: { formRef: RefObject<HTMLFormElement>; viewer: RefObject<ViewerApi | null>; onNext?: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
      const form = opts.formRef.current;
      const v = opts.viewer.current;
      if (/^[1-9]$/.test(e.key) && form) {
        const item = activeItem(form);
        const input = item?.querySelector<HTMLInputElement>(`input[data-key="${e.key}"]`);
        if (input && !input.disabled) {
          input.click();
          e.preventDefault();
          // A single-choice answer moves on to the next item, so "2 4 Enter" answers two items and submits.
          const items = [...form.querySelectorAll<HTMLElement>('[data-item]')];
          const nextItem = input.type === 'radio' ? items[items.indexOf(item!) + 1] : undefined;
          (nextItem?.querySelector<HTMLInputElement>('input:checked, input') ?? input).focus();
        }
      } else if (e.key === 'Enter' && form && !(document.activeElement instanceof HTMLButtonElement)) {
        e.preventDefault();
        form.requestSubmit();
      } else if (e.key === 'n' && opts.onNext) {
        e.preventDefault();
        opts.onNext();
      } else if (v && e.key === '[') v.prev();
      else if (v && e.key === ']') v.next();
      else if (v && (e.key === '+' || e.key === '=')) v.zoom(1.25);
      else if (v && e.key === '-') v.zoom(0.8);
      else if (v && e.key === '0') v.reset();
      else if (v && e.key === 'i') v.invert();
      else if (v && e.key === 'w') v.nextPreset();
      else if (v && e.key === 'f') v.fullscreen();
      else if (v && v.zoomed() && e.key.startsWith('Arrow')) {
        e.preventDefault();
        const d = 40;
        v.pan(e.key === 'ArrowLeft' ? d : e.key === 'ArrowRight' ? -d : 0, e.key === 'ArrowUp' ? d : e.key === 'ArrowDown' ? -d : 0);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [opts.formRef, opts.viewer, opts.onNext]);
}
