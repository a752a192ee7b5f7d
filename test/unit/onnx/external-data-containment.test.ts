/**
 * External data from a hostile model: every location must resolve, links followed, inside the
 * model's real folder before anything is opened or sized, for every reader (load inline, readTensor,
 * FP16, INT8, the optimize CLI) and for saveModel's writer; the answer never tells whether a file
 * outside exists, and only regular files are read.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isTensorRTNodeError } from '../../../lib/errors.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../../lib/onnx/model-io.js';
import { isExternal, readTensor } from '../../../lib/onnx/tensor-data.js';
import type { ModelProto } from '../../../lib/onnx/types.js';
import { convertToFloat16 } from '../../../lib/optimize/convert-fp16.js';
import { quantizeInt8 } from '../../../lib/optimize/quantize.js';
import { Tensor } from '../../../lib/tensor.js';
import { openedInside } from '../../../lib/util/contained-path.js';
import { tinyConvNet } from '../../fixtures/onnx-models.js';
import { randomFloats } from '../../fixtures/random.js';
import { optimizeCli } from '../../fixtures/optimize-cli.js';
import { int8Mode } from '../../../lib/cli/optimize-int8.js';
import { fp16Mode } from '../../../lib/cli/optimize.js';
import { rejection } from '../../shared/rejection.js';

const root = mkdtempSync(join(tmpdir(), 'trtn-containment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A host file the model must never reach, with bytes recognisable in any output. */
const outside = join(root, 'host');
const secret = Buffer.alloc(4096, 'HOST-SECRET-');
let modelDir: string;
let cases = 0;

beforeAll(async () => {
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.bin'), secret);
  // A sound model with its two big convolution weights in weights.bin.
  const source = join(root, 'source');
  mkdirSync(source);
  await saveModel(decodeModel(tinyConvNet()), join(source, 'model.onnx'), { externalData: { location: 'weights.bin', threshold: 256 } });
  modelDir = source;
});

/** A copy of the model in a fresh folder whose external tensors all name `location`; `prepare` lays out the folder. */
function hostileModel(location: string, prepare: (dir: string) => void = () => undefined): string {
  const dir = join(root, `case-${cases++}`);
  mkdirSync(dir);
  prepare(dir);
  const model = decodeModel(readFileSync(join(modelDir, 'model.onnx')));
  for (const tensor of model.graph!.initializer.filter(isExternal)) {
    const entry = tensor.externalData.find((e) => e.key === 'location')!;
    entry.value = location;
    // The whole file: the host file's length is unknown to an attacker.
    tensor.externalData = tensor.externalData.filter((e) => e.key !== 'offset' && e.key !== 'length');
  }
  writeFileSync(join(dir, 'model.onnx'), encodeModel(model));
  return join(dir, 'model.onnx');
}

function expectEscape(error: unknown, location: string): void {
  expect(isTensorRTNodeError(error, 'ERR_MODEL_LOAD'), String(error)).toBe(true);
  const quoted = JSON.stringify(location).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  expect((error as Error).message).toMatch(
    new RegExp(`^Expected an external data location inside the model directory for tensor "conv[12]\\.w" but received ${quoted}$`),
  );
}

const calibration = [{ image: new Tensor('float32', randomFloats(192, 5), [1, 3, 8, 8]) }];

/** Every reader of a model path, each of which must refuse. */
const readers: [string, (path: string) => Promise<unknown>][] = [
  ['loadModel inline', (path) => loadModel(path, { externalData: 'inline' })],
  ['readTensor', async (path) => readTensor((await loadModel(path)).graph!.initializer.find(isExternal)!, { baseDir: join(path, '..') })],
  ['convertToFloat16', (path) => convertToFloat16(path)],
  ['quantizeInt8', (path) => quantizeInt8(path, { calibration })],
];

describe('external data locations must resolve inside the model folder', () => {
  test.each(readers)('%s: a file symlinked to a host file is refused', async (_, read) => {
    const path = hostileModel('w.bin', (dir) => symlinkSync(join(outside, 'secret.bin'), join(dir, 'w.bin')));
    expectEscape(await rejection(read(path)), 'w.bin');
  });

  test.each(readers)('%s: a symlinked directory leading out is refused', async (_, read) => {
    const path = hostileModel('data/secret.bin', (dir) => symlinkSync(outside, join(dir, 'data')));
    expectEscape(await rejection(read(path)), 'data/secret.bin');
  });

  test('links that stay inside the folder are followed', async () => {
    const dir = join(root, `case-${cases++}`);
    mkdirSync(join(dir, 'versions'), { recursive: true });
    writeFileSync(join(dir, 'model.onnx'), readFileSync(join(modelDir, 'model.onnx')));
    writeFileSync(join(dir, 'versions', 'v1.bin'), readFileSync(join(modelDir, 'weights.bin')));
    symlinkSync(join('versions', 'v1.bin'), join(dir, 'weights.bin'));
    const model = await loadModel(join(dir, 'model.onnx'), { externalData: 'inline' });
    expect(Buffer.compare(Buffer.from(encodeModel(model)), Buffer.from(tinyConvNet()))).toBe(0);
  });

  test('the answer is the same whether the host file exists or not', async () => {
    const layouts: [string, (dir: string) => void][] = [
      ['w.bin', (dir) => symlinkSync(join(outside, 'secret.bin'), join(dir, 'w.bin'))],
      ['w.bin', (dir) => symlinkSync(join(outside, 'no-such-file.bin'), join(dir, 'w.bin'))],
      ['data/secret.bin', (dir) => symlinkSync(outside, join(dir, 'data'))],
      ['data/no-such-file.bin', (dir) => symlinkSync(outside, join(dir, 'data'))],
      ['data/no-such-dir/x.bin', (dir) => symlinkSync(outside, join(dir, 'data'))],
      ['../host/secret.bin', () => undefined],
      ['../host/no-such-file.bin', () => undefined],
      ['/etc/hostname', () => undefined],
      ['/no/such/file.bin', () => undefined],
    ];
    for (const [location, prepare] of layouts) {
      const path = hostileModel(location, prepare);
      for (const [, read] of readers.slice(0, 3)) expectEscape(await rejection(read(path)), location);
    }
  });

  test('a missing file inside the folder is a coded ERR_MODEL_LOAD, also through the CLI', async () => {
    const path = hostileModel('missing.bin');
    const error = await rejection(convertToFloat16(path));
    expect(isTensorRTNodeError(error, 'ERR_MODEL_LOAD'), String(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Expected the external data file "missing.bin" of tensor "conv1.w" in the model directory but it does not exist',
    );
    const cliError = await rejection(optimizeCli()('optimize', path, '--fp16', '-o', join(root, 'missing.fp16.onnx')));
    expect(isTensorRTNodeError(cliError, 'ERR_MODEL_LOAD'), String(cliError)).toBe(true);
  });

  test('the optimize CLI (--fp16 and --int8) writes nothing from a host file', async () => {
    const path = hostileModel('w.bin', (dir) => symlinkSync(join(outside, 'secret.bin'), join(dir, 'w.bin')));
    const calibrationDir = join(root, 'calibration');
    mkdirSync(calibrationDir, { recursive: true });
    writeFileSync(join(calibrationDir, 's0.npy'), (await import('../../../lib/npy.js')).encodeNpy(calibration[0].image));
    for (const mode of ['--fp16', '--int8']) {
      const output = join(root, `leak${mode}.onnx`);
      const args = mode === '--int8' ? ['--calibration', calibrationDir] : [];
      const error = await rejection(optimizeCli([fp16Mode, int8Mode])('optimize', path, mode, ...args, '-o', output));
      expectEscape(error, 'w.bin');
      expect(existsSync(output)).toBe(false);
    }
  });

  test('a FIFO inside the folder is refused without waiting for a writer', { timeout: 10_000 }, async () => {
    const path = hostileModel('pipe.bin', (dir) => execFileSync('mkfifo', [join(dir, 'pipe.bin')]));
    const error = await rejection(loadModel(path, { externalData: 'inline' }));
    expect(isTensorRTNodeError(error, 'ERR_MODEL_LOAD'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /Expected a regular external data file "pipe\.bin" of tensor "conv1\.w" at .* but received a FIFO/,
    );
    const sync = (() => {
      try {
        readTensor(decodeModel(readFileSync(path)).graph!.initializer.find(isExternal)!, { baseDir: join(path, '..') });
      } catch (e) {
        return e;
      }
    })();
    expect(isTensorRTNodeError(sync, 'ERR_MODEL_LOAD'), String(sync)).toBe(true);
  });

  test.skipIf(process.platform !== 'linux')(
    'after opening, the descriptor itself is checked to lie inside the folder (a folder swapped for a link meanwhile)',
    () => {
      const fd = openSync(join(outside, 'secret.bin'), 'r');
      try {
        expect(openedInside(fd, realpathSync(outside))).toBe(true);
        expect(openedInside(fd, realpathSync(modelDir))).toBe(false);
      } finally {
        closeSync(fd);
      }
    },
  );

  test('a length beyond the file is refused before anything is allocated', async () => {
    const model = decodeModel(readFileSync(join(modelDir, 'model.onnx')));
    const tensor = model.graph!.initializer.find(isExternal)!;
    tensor.externalData.find((e) => e.key === 'length')!.value = String(2 ** 52);
    expect(() => readTensor(tensor, { baseDir: modelDir })).toThrow(
      /Expected 4503599627370496 bytes of external data for tensor "conv1\.w" at offset \d+ of "weights\.bin" but the file ended after \d+ bytes/,
    );
  });
});

describe('saveModel writes external data only inside the output folder', () => {
  let model: ModelProto;
  beforeAll(() => {
    model = decodeModel(tinyConvNet());
  });

  test.each([['../escape.bin'], ['/tmp/escape.bin'], ['out/escape.bin']])(
    'location %s is refused and nothing is written',
    async (location) => {
      const dir = join(root, `save-${cases++}`);
      mkdirSync(dir);
      symlinkSync(outside, join(dir, 'out'));
      const error = await rejection(saveModel(model, join(dir, 'model.onnx'), { externalData: { location, threshold: 256 } }));
      expect(isTensorRTNodeError(error, 'ERR_INVALID_ARGUMENT'), String(error)).toBe(true);
      expect((error as Error).message).toBe(
        `Expected an external data location inside the output model's directory for options.externalData.location but received ${JSON.stringify(location)}`,
      );
      expect(existsSync(join(root, 'escape.bin')) || existsSync(join(outside, 'escape.bin')) || existsSync('/tmp/escape.bin')).toBe(false);
      expect(existsSync(join(dir, 'model.onnx'))).toBe(false);
    },
  );

  test('a data file name that is a symbolic link is refused, the link left as it was', async () => {
    const dir = join(root, `save-${cases++}`);
    mkdirSync(dir);
    symlinkSync(join(outside, 'secret.bin'), join(dir, 'model.onnx.data'));
    const error = await rejection(saveModel(model, join(dir, 'model.onnx'), { externalData: { threshold: 256 } }));
    expect(isTensorRTNodeError(error, 'ERR_INVALID_ARGUMENT'), String(error)).toBe(true);
    expect(readFileSync(join(outside, 'secret.bin'))).toEqual(secret);
  });
});
