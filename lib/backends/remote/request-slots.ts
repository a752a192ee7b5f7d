/**
 * Requests in flight to one server: at most `limit` at once (one per connection), at most `maxQueue`
 * more waiting (ERR_QUEUE_FULL beyond), in arrival order. A run whose signal fires while it waits
 * leaves the queue and is never sent.
 */
import { ErrorCode, TensorRTNodeError, abortError } from '../../errors.js';
import { onAbort } from '../../util/abort-listeners.js';

interface Waiter {
  grant(): void;
}

export class RequestSlots {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly limit: number,
    readonly maxQueue: number,
    private readonly what: string,
  ) {}

  /** Resolves with the function that gives the slot back, once one is free. */
  acquire(signal: AbortSignal | undefined): Promise<() => void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(
        new TensorRTNodeError(
          ErrorCode.QUEUE_FULL,
          `Expected at most ${this.maxQueue} runs waiting for ${this.what} but received one more; wait for runs to settle or raise maxQueue`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          unsubscribe();
          resolve(this.releaser());
        },
      };
      const unsubscribe = signal
        ? onAbort(signal, () => {
            const index = this.waiting.indexOf(waiter);
            if (index >= 0) this.waiting.splice(index, 1);
            reject(abortError(signal));
          })
        : () => {};
      this.waiting.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter: `active` stays as it is.
      if (next) next.grant();
      else this.active--;
    };
  }
}
