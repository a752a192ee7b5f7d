/**
 * One 'abort' listener per AbortSignal, shared by every run that waits on it. A caller may give one
 * signal (a request's, a shutdown's) to thousands of runs; a listener each would pass EventTarget's
 * limit of 10 (MaxListenersExceededWarning) and cost an entry per run on the signal itself.
 */
interface Subscribers {
  readonly callbacks: Set<() => void>;
  readonly listener: () => void;
}

const bySignal = new WeakMap<AbortSignal, Subscribers>();

/**
 * Calls `callback` once when `signal` aborts. Returns the unsubscribe function; call it when the
 * run settles so a long-lived signal does not keep finished runs alive.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let subscribers = bySignal.get(signal);
  if (subscribers === undefined) {
    const callbacks = new Set<() => void>();
    const listener = (): void => {
      bySignal.delete(signal);
      for (const fn of callbacks) fn();
      callbacks.clear();
    };
    subscribers = { callbacks, listener };
    bySignal.set(signal, subscribers);
    signal.addEventListener('abort', listener, { once: true });
  }
  const { callbacks, listener } = subscribers;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    // The last run on this signal settled: take the listener off until another run needs it.
    if (bySignal.get(signal)?.callbacks === callbacks) bySignal.delete(signal);
    signal.removeEventListener('abort', listener);
  };
}
