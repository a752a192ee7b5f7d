import { requireBinding } from '../../lib/binding.js';

/**
 * Native memory is freed on a release thread (cudaFree synchronizes the device and must not
 * stall the JS thread), and finalizers run after a garbage collection: wait for a condition over
 * a bounded number of turns of the event loop, collecting garbage in between when possible.
 */
export async function eventually(done: () => boolean, turns = 2000): Promise<boolean> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let turn = 0; turn < turns && !done(); turn++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return done();
}

/** Collects garbage and waits until the release thread has freed everything handed to it. */
export async function releasesSettled(): Promise<void> {
  const binding = requireBinding();
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round < 3; round++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!(await eventually(() => binding.pendingReleases() === 0))) throw new Error('the release thread did not drain');
}

/** Waits until nothing is pending on the release thread and `done()` holds. */
export async function eventuallyReleased(done: () => boolean): Promise<boolean> {
  const binding = requireBinding();
  return eventually(() => binding.pendingReleases() === 0 && done());
}
