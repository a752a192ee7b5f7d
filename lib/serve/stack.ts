/** Stacking single items into one batch along the first dim, and splitting a batch's outputs back. */
import { type DTypeArrayMap, dtypeInfo } from '../dtype.js';
import { Tensor, elementCount } from '../tensor.js';

/** One tensor of `items.length` rows: each item's tensor (first dim 1) copied into its row. */
export function stackRows(items: readonly Tensor[]): Tensor {
  const first = items[0] as Tensor;
  if (items.length === 1) return first;
  const rowLength = first.data.length;
  const { arrayType } = dtypeInfo(first.dtype);
  const data = new arrayType(rowLength * items.length) as DTypeArrayMap[typeof first.dtype];
  items.forEach((item, row) =>
    (data as { set(source: ArrayLike<number | bigint>, offset: number): void }).set(
      item.data as ArrayLike<number | bigint>,
      row * rowLength,
    ),
  );
  return new Tensor(first.dtype, data, [items.length, ...first.dims.slice(1)]);
}

/**
 * Row `row` of a batch output as its own tensor: a view of the batch's array (no copy), with the
 * first dim dropped when the item came without one.
 */
export function takeRow(batch: Tensor, row: number, keepBatchDim: boolean): Tensor {
  const rows = batch.dims[0] as number;
  const rowDims = batch.dims.slice(1);
  const rowLength = elementCount(rowDims);
  const data = rows === 1 ? batch.data : (batch.data.subarray(row * rowLength, (row + 1) * rowLength) as typeof batch.data);
  return new Tensor(batch.dtype, data, keepBatchDim ? [1, ...rowDims] : rowDims);
}
