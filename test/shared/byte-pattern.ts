/** Bytes that differ from position to position and from seed to seed: a copy that lands short, shifted or stale shows. */
export function bytePattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}
