// Parsers of `tensorrt-node build`'s trtexec-style values.
import { describe, expect, it } from 'vitest';

import { buildOptionsFromFlags } from '../../../lib/cli/build.js';
import { parseHardwareCompatibility, parseMemPoolSize, parseShapeList, parseSize, parseSparsity } from '../../../lib/cli/build-flags.js';
import { ErrorCode } from '../../../lib/errors.js';

describe('build flags', () => {
  it('shape lists: several inputs, quoted names, names with colons', () => {
    expect(parseShapeList('--shapes', 'x:1x3x640x640, y:2')).toEqual({ x: [1, 3, 640, 640], y: [2] });
    expect(parseShapeList('--shapes', "'input:0':1x4")).toEqual({ 'input:0': [1, 4] });
    for (const bad of ['x=1x4', 'x:1x-4', ':1x4', 'x:', '']) {
      expect(() => parseShapeList('--shapes', bad)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }));
    }
  });

  it('sizes with units; trtexec pools in MiB', () => {
    expect(parseSize('--workspace', '1073741824')).toBe(1 << 30);
    expect(parseSize('--workspace', '512M')).toBe(512 * 1024 ** 2);
    expect(parseSize('--workspace', '1.5G')).toBe(1.5 * 1024 ** 3);
    expect(() => parseSize('--workspace', '12 parsecs')).toThrow(
      /Expected a size such as 1073741824, 512M or 2G for --workspace but received "12 parsecs"/,
    );
    expect(parseMemPoolSize('workspace:1024')).toBe(1 << 30);
    expect(parseMemPoolSize('dlaSRAM:1,workspace:2G')).toBe(2 * 1024 ** 3);
    expect(parseMemPoolSize('dlaSRAM:1')).toBeUndefined();
  });

  it('hardware levels and sparsity modes in both spellings', () => {
    expect(parseHardwareCompatibility('--hardware-compat', 'sameComputeCapability')).toBe('same-compute-capability');
    expect(parseHardwareCompatibility('--hardware-compat', 'ampere+')).toBe('ampere+');
    expect(() => parseHardwareCompatibility('--hardware-compat', 'hopper+')).toThrow(/for --hardware-compat but received "hopper\+"/);
    expect(parseSparsity(true)).toBe(true);
    expect(parseSparsity('force')).toBe(true);
    expect(parseSparsity('disable')).toBe(false);
  });

  it('flags become build options; min/opt/max must name the same inputs', () => {
    expect(
      buildOptionsFromFlags({
        minShapes: 'x:1x4',
        optShapes: 'x:2x4',
        maxShapes: 'x:8x4',
        fp16: true,
        vc: true,
        memPoolSize: 'workspace:1',
      }),
    ).toEqual({
      profiles: [{ x: { min: [1, 4], opt: [2, 4], max: [8, 4] } }],
      precision: 'fp16',
      versionCompatible: true,
      workspace: 1024 ** 2,
    });
    expect(() => buildOptionsFromFlags({ minShapes: 'x:1x4', optShapes: 'x:2x4', maxShapes: 'y:8x4' })).toThrow(
      /dims for input x .* for --max-shapes/,
    );
    expect(() => buildOptionsFromFlags({ precision: 'fp32', int8: true })).toThrow(/Expected one precision for --precision/);
    expect(() => buildOptionsFromFlags({ shapes: 'x:1x4', minShapes: 'x:1x4' })).toThrow(/either --shapes or --min-shapes/);
  });
});
