import type { Tensor } from '../tensor.js';

/** A model's inputs by name, as the optimizer's calibration, evaluation and engine cache take them. */
export type Feeds = Readonly<Record<string, Tensor>>;
