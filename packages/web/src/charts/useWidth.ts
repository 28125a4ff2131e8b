import { type RefObject, useEffect, useRef, useState } from 'react';

/** The content width of an element, kept current with a ResizeObserver (charts draw at their real size). */
export function useWidth<T extends HTMLElement>(fallback = 600): [RefObject<T | null>, number] {
  const ref = useRef<T | null>(null);
  const [w, setW] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => {
      const cw = Math.floor(el.getBoundingClientRect().width);
      if (cw > 0) setW(cw);
    };
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}
