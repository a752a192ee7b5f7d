// The KServe v2 codec against the request and response examples of the protocol's own documents:
//   KServe "Predict Protocol - Version 2" (kserve/kserve docs/predict-api/v2/required_api.md),
//     section "Inference Request Examples" and the "Tensor Data Types" table;
//   Triton "Binary Tensor Data Extension" (triton-inference-server/server docs/protocol/extension_binary_data.md),
//     section "Examples" and "Raw Binary Request".
// The example bodies are copied from those documents (whitespace aside); where a document's example is
// itself inconsistent, the test says so and what it checks instead.
import { describe, expect, it } from 'vitest';

import { DTYPES, ErrorCode, Tensor, type TensorInfo } from '../../../lib/index.js';
import { dtypeFromKServe, dtypeInfo } from '../../../lib/dtype.js';
import {
  decodeInferRequest,
  decodeInferResponse,
  encodeInferRequest,
  encodeInferResponse,
} from '../../../lib/backends/kserve/inference.js';
import { decodeMessage, encodeMessage } from '../../../lib/backends/kserve/message.js';
import { decodeModelMetadata, encodeModelMetadata } from '../../../lib/backends/kserve/metadata.js';
import { jsonSafe } from '../../../lib/backends/kserve/tensor-data.js';

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(chunks as Uint8Array[]);
}

function bytes(text: string, ...binary: Uint8Array[]): { body: Uint8Array; headerLength: string } {
  const head = Buffer.from(text, 'utf8');
  return { body: Buffer.concat([head, ...binary]), headerLength: String(head.length) };
}

// KServe required_api.md, "Inference Request Examples": the JSON request.
const kserveJsonRequest = `{
  "id" : "42",
  "inputs" : [
    {
      "name" : "input0",
      "shape" : [ 2, 2 ],
      "datatype" : "UINT32",
      "data" : [ 1, 2, 3, 4 ]
    },
    {
      "name" : "input1",
      "shape" : [ 3 ],
      "datatype" : "BOOL",
      "data" : [ true ]
    }
  ],
  "outputs" : [
    {
      "name" : "output0"
    }
  ]
}`;

// KServe required_api.md, the response to that request. The document omits the comma after "42",
// which makes it invalid JSON; it is added here.
const kserveJsonResponse = `{
  "id" : "42",
  "outputs" : [
    {
      "name" : "output0",
      "shape" : [ 3, 2 ],
      "datatype"  : "FP32",
      "data" : [ 1.0, 1.1, 2.0, 2.1, 3.0, 3.1 ]
    }
  ]
}`;

// Triton extension_binary_data.md, "Examples": the request header (binary data follows it).
const tritonBinaryRequest = `{
  "model_name" : "mymodel",
  "inputs" : [
    {
      "name" : "input0",
      "shape" : [ 2, 2 ],
      "datatype" : "UINT32",
      "parameters" : {
        "binary_data_size" : 16
      }
    },
    {
      "name" : "input1",
      "shape" : [ 3 ],
      "datatype" : "BOOL",
      "parameters" : {
        "binary_data_size" : 3
      }
    }
  ],
  "outputs" : [
    {
      "name" : "output0",
      "parameters" : {
        "binary_data" : true
      }
    }
  ]
}`;

// Triton extension_binary_data.md, "Examples": the response header (24 bytes of FP32 follow it).
const tritonBinaryResponse = `{
  "outputs" : [
    {
      "name" : "output0",
      "shape" : [ 3, 2 ],
      "datatype"  : "FP32",
      "parameters" : {
        "binary_data_size" : 24
      }
    }
  ]
}`;

const input0 = Uint32Array.from([1, 2, 3, 4]);
const input1 = Uint8Array.from([1, 0, 1]);
const output0 = Float32Array.from([1.0, 1.1, 2.0, 2.1, 3.0, 3.1]);

describe('KServe v2 codec: the KServe protocol document', () => {
  it('refuses the documented JSON request as written: input1 has shape [3] but one element of data', () => {
    const body = Buffer.from(kserveJsonRequest);
    expect(() => decodeInferRequest(decodeMessage(body, undefined))).toThrow(
      expect.objectContaining({
        code: ErrorCode.SHAPE_MISMATCH,
        message: 'Expected 3 elements (shape [3]) for input "input1" but received 1',
      }),
    );
  });

  it('decodes the documented JSON request with input1 given its three elements', () => {
    const body = Buffer.from(kserveJsonRequest.replace('"data" : [ true ]', '"data" : [ true, false, true ]'));
    const request = decodeInferRequest(decodeMessage(body, undefined));
    expect(request.id).toBe('42');
    expect(request.binaryOutput).toBe(false);
    expect(request.outputs).toEqual([{ name: 'output0', binary: undefined }]);
    expect(request.inputs.input0?.dtype).toBe('uint32');
    expect(request.inputs.input0?.dims).toEqual([2, 2]);
    expect(request.inputs.input0?.data).toEqual(input0);
    expect(request.inputs.input1?.dtype).toBe('bool');
    expect(request.inputs.input1?.data).toEqual(input1);
  });

  it('decodes the documented JSON response, and encodes the same JSON from its tensor', () => {
    const response = decodeInferResponse(decodeMessage(Buffer.from(kserveJsonResponse), undefined));
    expect(response.id).toBe('42');
    expect(response.outputs.output0?.dtype).toBe('float32');
    expect(response.outputs.output0?.dims).toEqual([3, 2]);
    expect(response.outputs.output0?.data).toEqual(output0);

    const encoded = encodeInferResponse({
      modelName: 'mymodel',
      id: '42',
      outputs: [{ name: 'output0', tensor: new Tensor('float32', output0, [3, 2]), binary: false }],
    });
    expect(encoded.headers).toEqual({ 'content-type': 'application/json' });
    // The protocol requires model_name in a response; the document's example leaves it out.
    expect(JSON.parse(Buffer.from(concat(encoded.chunks)).toString())).toEqual({
      model_name: 'mymodel',
      ...JSON.parse(kserveJsonResponse),
    });
  });

  it('encodes a JSON request equal to the documented one (with input1 consistent)', () => {
    const encoded = encodeInferRequest({
      id: '42',
      inputs: [
        { name: 'input0', tensor: new Tensor('uint32', input0, [2, 2]), binary: false },
        { name: 'input1', tensor: new Tensor('bool', input1, [3]), binary: false },
      ],
      outputs: [{ name: 'output0' }],
    });
    const expected = JSON.parse(kserveJsonRequest.replace('"data" : [ true ]', '"data" : [ true, false, true ]'));
    expect(JSON.parse(Buffer.from(concat(encoded.chunks)).toString())).toEqual(expected);
    expect(encoded.headers['inference-header-content-length']).toBeUndefined();
  });

  it('maps every datatype of the "Tensor Data Types" table except BYTES, and every dtype to one of them', () => {
    const table = {
      BOOL: 1,
      UINT8: 1,
      UINT16: 2,
      UINT32: 4,
      UINT64: 8,
      INT8: 1,
      INT16: 2,
      INT32: 4,
      INT64: 8,
      FP16: 2,
      FP32: 4,
      FP64: 8,
      BF16: 2,
    };
    for (const [datatype, size] of Object.entries(table)) {
      const dtype = dtypeFromKServe(datatype);
      expect(dtype, datatype).toBeDefined();
      expect(dtypeInfo(dtype as (typeof DTYPES)[number]).bytesPerElement, datatype).toBe(size);
    }
    for (const dtype of DTYPES) expect(Object.keys(table)).toContain(dtypeInfo(dtype).kserve);
    expect(dtypeFromKServe('BYTES')).toBeUndefined();
  });
});

describe('KServe v2 codec: the Triton binary tensor data document', () => {
  it('decodes the documented binary request: 16 bytes of UINT32 and 3 of BOOL after the JSON', () => {
    const { body, headerLength } = bytes(tritonBinaryRequest, new Uint8Array(input0.buffer), input1);
    expect(body.length).toBe(Number(headerLength) + 19);
    const request = decodeInferRequest(decodeMessage(body, headerLength));
    expect(request.inputs.input0?.data).toEqual(input0);
    expect(request.inputs.input0?.dims).toEqual([2, 2]);
    expect(request.inputs.input1?.data).toEqual(input1);
    expect(request.outputs).toEqual([{ name: 'output0', binary: true }]);
  });

  it('encodes the documented binary request, with the JSON length in Inference-Header-Content-Length', () => {
    const encoded = encodeInferRequest({
      inputs: [
        { name: 'input0', tensor: new Tensor('uint32', input0, [2, 2]), binary: true },
        { name: 'input1', tensor: new Tensor('bool', input1, [3]), binary: true },
      ],
      outputs: [{ name: 'output0', binary: true }],
    });
    const body = concat(encoded.chunks);
    const jsonLength = Number(encoded.headers['inference-header-content-length']);
    expect(encoded.headers['content-type']).toBe('application/octet-stream');
    expect(body.length).toBe(jsonLength + 19);
    // The document's request also names the model in the body; the protocol takes it from the URL.
    const { model_name: _name, ...documented } = JSON.parse(tritonBinaryRequest);
    expect(JSON.parse(Buffer.from(body.subarray(0, jsonLength)).toString())).toEqual(documented);
    expect(Buffer.from(body.subarray(jsonLength))).toEqual(Buffer.concat([new Uint8Array(input0.buffer), input1]));
  });

  it('decodes the documented binary response and encodes the same message from its tensor', () => {
    const { body, headerLength } = bytes(tritonBinaryResponse, new Uint8Array(output0.buffer));
    const response = decodeInferResponse(decodeMessage(body, headerLength));
    expect(response.outputs.output0?.data).toEqual(output0);
    expect(response.outputs.output0?.dims).toEqual([3, 2]);

    const encoded = encodeInferResponse({
      modelName: 'mymodel',
      outputs: [{ name: 'output0', tensor: new Tensor('float32', output0, [3, 2]), binary: true }],
    });
    const out = concat(encoded.chunks);
    const jsonLength = Number(encoded.headers['inference-header-content-length']);
    expect(out.length).toBe(jsonLength + 24);
    expect(JSON.parse(Buffer.from(out.subarray(0, jsonLength)).toString())).toEqual({
      model_name: 'mymodel',
      ...JSON.parse(tritonBinaryResponse),
    });
  });

  it('refuses the raw binary request (Inference-Header-Content-Length: 0), which needs no JSON at all', () => {
    expect(() => decodeMessage(new Uint8Array(16), '0')).toThrow(
      'Expected a JSON inference header before the binary data for the Inference-Header-Content-Length header but received "0"',
    );
  });
});

describe('KServe v2 codec: what it refuses', () => {
  const request = (input: object, ...binary: Uint8Array[]) => {
    const { body, headerLength } = bytes(JSON.stringify({ inputs: [input] }), ...binary);
    return () => decodeInferRequest(decodeMessage(body, binary.length > 0 ? headerLength : undefined));
  };

  it('refuses BYTES (string) tensors with ERR_UNSUPPORTED and unknown datatypes with ERR_INVALID_ARGUMENT', () => {
    expect(request({ name: 's', shape: [1], datatype: 'BYTES', data: ['text'] })).toThrow(
      expect.objectContaining({ code: ErrorCode.UNSUPPORTED, message: expect.stringContaining('string tensors are not supported') }),
    );
    expect(request({ name: 'x', shape: [1], datatype: 'FP8', data: [1] })).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_ARGUMENT,
        message: expect.stringMatching(/^Expected a KServe v2 datatype .* for the datatype of input "x" but received "FP8"$/),
      }),
    );
  });

  it('checks binary sizes against the shape and against the body', () => {
    expect(request({ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 4 } }, new Uint8Array(4))).toThrow(
      'Expected 8 bytes of float32 data (shape [2]) for input "x" but received 4',
    );
    expect(request({ name: 'x', shape: [1], datatype: 'FP32', parameters: { binary_data_size: 4 } }, new Uint8Array(8))).toThrow(
      /^Expected binary data that the tensors' binary_data_size account for \(4 bytes\) for the body but received "8 bytes"$/,
    );
    expect(request({ name: 'x', shape: [4], datatype: 'FP32', parameters: { binary_data_size: 16 } }, new Uint8Array(8))).toThrow(
      'Expected at most the 8 bytes of binary data left for binary_data_size of input "x" but received 16',
    );
    expect(() => decodeMessage(new Uint8Array(10), '11')).toThrow(/Inference-Header-Content-Length/);
  });

  it('refuses JSON data of the wrong kind, FP16 as JSON, and non-integers for integer types', () => {
    expect(request({ name: 'x', shape: [2], datatype: 'FP16', data: [1, 2] })).toThrow(
      expect.objectContaining({ code: ErrorCode.UNSUPPORTED }),
    );
    expect(request({ name: 'x', shape: [2], datatype: 'INT32', data: [1, 2.5] })).toThrow(
      'Expected an integer (int32) for input "x"[1] but received 2.5',
    );
    expect(request({ name: 'x', shape: [2], datatype: 'BOOL', data: [true, 'yes'] })).toThrow(
      'Expected true, false, 0 or 1 for input "x"[1] but received "yes"',
    );
  });

  it('reads nested JSON data in row-major order', () => {
    const decoded = decodeInferRequest(
      decodeMessage(
        Buffer.from(
          JSON.stringify({
            inputs: [
              {
                name: 'm',
                shape: [2, 2],
                datatype: 'INT64',
                data: [
                  [1, 2],
                  [4, 5],
                ],
              },
            ],
          }),
        ),
        undefined,
      ),
    );
    expect(decoded.inputs.m?.data).toEqual(BigInt64Array.from([1n, 2n, 4n, 5n]));
  });

  it('says which tensors JSON cannot carry exactly', () => {
    expect(jsonSafe(new Tensor('float32', Float32Array.from([1, Number.NaN])))).toBe(false);
    expect(jsonSafe(new Tensor('float32', Float32Array.from([1, -0])))).toBe(false);
    expect(jsonSafe(new Tensor('float32', Float32Array.from([1, 2])))).toBe(true);
    expect(jsonSafe(new Tensor('int64', BigInt64Array.from([2n ** 53n])))).toBe(false);
    expect(jsonSafe(new Tensor('int64', BigInt64Array.from([2n ** 53n - 1n])))).toBe(true);
    expect(jsonSafe(new Tensor('float16', new Uint16Array(1)))).toBe(false);
  });

  it('keeps a float32 exact through JSON', () => {
    const values = Float32Array.from([0.1, 1 / 3, 3.4e38, -1.17e-38, 1e-45]);
    const encoded = encodeMessage({ outputs: [] }, []);
    expect(encoded.chunks.length).toBe(1);
    const response = encodeInferResponse({
      modelName: 'm',
      outputs: [{ name: 'y', tensor: new Tensor('float32', values), binary: false }],
    });
    expect(decodeInferResponse(decodeMessage(concat(response.chunks), undefined)).outputs.y?.data).toEqual(values);
  });
});

describe('KServe v2 model metadata', () => {
  it('writes symbolic and dynamic dims as -1 and reads them back', () => {
    const inputs: TensorInfo[] = [{ name: 'x', dtype: 'float32', shape: ['batch', 3, -1] }];
    const outputs: TensorInfo[] = [{ name: 'y', dtype: 'float16', shape: ['batch', 2] }];
    const json = encodeModelMetadata({ name: 'cls', versions: ['1'], platform: 'onnxruntime_onnx', inputs, outputs });
    expect(json).toEqual({
      name: 'cls',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1] }],
      outputs: [{ name: 'y', datatype: 'FP16', shape: [-1, 2] }],
    });
    expect(decodeModelMetadata(json).inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [-1, 3, -1] }]);
    expect(() => decodeModelMetadata({ name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [-2] }], outputs: [] })).toThrow(
      'Expected a shape of integers (-1 for a variable dim) for the shape of "x" in the model metadata but received [-2]',
    );
  });
});
