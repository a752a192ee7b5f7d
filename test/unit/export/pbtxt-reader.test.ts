// The test-side text-format reader (test/shared/pbtxt.ts) on text written the ways Triton's own
// documentation writes configs, so that tests built on it check structure and can fail.
import { describe, expect, it } from 'vitest';

import { ident, msg, msgs, num, nums, parsePbtxt, str, stringMap } from '../../shared/pbtxt.js';

describe('text-format reader', () => {
  it('reads messages, lists of messages, repeated fields by repetition, enums, maps and comments', () => {
    const config = parsePbtxt(`
      # a comment
      name: "m" platform: 'onnxruntime_onnx'
      max_batch_size: 8
      input [ { name: "a", data_type: TYPE_FP32, dims: [ 3, -1 ] }, { name: "b" data_type: TYPE_INT64 dims: 4 dims: 5 } ]
      dynamic_batching: { max_queue_delay_microseconds: 100 };
      optimization { execution_accelerators { gpu_execution_accelerator: [ { name: "tensorrt"
        parameters { key: "precision_mode" value: "FP16" } parameters < key: "k" value: "v" > } ] } }
    `);
    expect(str(config, 'name')).toBe('m');
    expect(str(config, 'platform')).toBe('onnxruntime_onnx');
    expect(num(config, 'max_batch_size')).toBe(8);
    const [a, b] = msgs(config, 'input');
    expect(str(a!, 'name')).toBe('a');
    expect(ident(a!, 'data_type')).toBe('TYPE_FP32');
    expect(nums(a!, 'dims')).toEqual([3, -1]);
    expect(nums(b!, 'dims')).toEqual([4, 5]);
    expect(num(msg(config, 'dynamic_batching'), 'max_queue_delay_microseconds')).toBe(100);
    const [accelerator] = msgs(msg(msg(config, 'optimization'), 'execution_accelerators'), 'gpu_execution_accelerator');
    expect(stringMap(accelerator!, 'parameters')).toEqual({ precision_mode: 'FP16', k: 'v' });
  });

  it('decodes escapes and joins adjacent strings', () => {
    expect(str(parsePbtxt(String.raw`s: "a\"b\\c\n\t\101\x42" "d"`), 's')).toBe('a"b\\c\n\tABd');
  });

  it('refuses what protobuf would refuse', () => {
    expect(() => parsePbtxt('name "x"')).toThrow(/expected ':'/);
    expect(() => parsePbtxt('input [ { name: "x" }')).toThrow(SyntaxError);
    expect(() => parsePbtxt('name: "x')).toThrow(/unterminated/);
    expect(() => parsePbtxt('a: 1 } ')).toThrow(SyntaxError);
    expect(() => num(parsePbtxt('a: 1 a: 2'), 'a')).toThrow(/one value/);
  });
});
