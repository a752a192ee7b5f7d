/**
 * Records keyed by tensor names. Names come from models, and a model may name an input
 * "__proto__": plain assignment of that key changes the object's prototype instead of adding an
 * entry, so the entry would silently go missing.
 */

/** Sets `record[key]` as an own, enumerable property, whatever the key. */
export function setEntry<T>(record: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
}
