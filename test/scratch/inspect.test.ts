import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { decodeModel } from '../../lib/onnx/model-io.js';
import { realModels } from '../fixtures/real-models.js';
test('inspect', () => {
  for (const p of Object.values(realModels).filter((p) => p.endsWith('.onnx'))) {
    const m = decodeModel(readFileSync(p));
    const g = m.graph!;
    const c: Record<string, number> = {};
    for (const n of g.node) c[n.opType] = (c[n.opType] ?? 0) + 1;
    console.log(p.split('/').pop(), JSON.stringify(c));
    const shape = (v: any) => v.type?.value.value?.shape?.dim.map((d: any) => d.value.value?.toString());
    console.log(' in', g.input.map((i) => [i.name, i.type?.value.value && (i.type.value.value as any).elemType, shape(i)]));
    console.log(' out', g.output.map((i) => [i.name, i.type?.value.value && (i.type.value.value as any).elemType, shape(i)]));
    console.log(' vi', g.valueInfo.length, 'init', g.initializer.length);
    for (const n of g.node) if (['Cast', 'Resize', 'ConstantOfShape', 'If', 'Loop'].includes(n.opType)) console.log('  ', n.opType, n.input.join(','), n.attribute.map((a) => a.name + '=' + a.i).join(' '));
  }
});
