// The pure-TypeScript backend: complete, exact, slow. The reference every other backend is tested
// against, and the path to browsers. Works on Float32Array and Float64Array alike.

import type { Kernels } from '../kernels.ts';
import { gemm } from './gemm.ts';
import { binary, unary, unaryBackward, affine, axpy, fill } from './elementwise.ts';
import { sumAxis, copyStrided, scatterStridedAdd } from './layout.ts';
import { layerNormForward, layerNormBackward, softmaxForward, softmaxBackward } from './norm.ts';
import { attentionForward, attentionBackward } from './attention.ts';
import { embeddingForward, embeddingBackward, crossEntropyForward, crossEntropyBackward } from './loss.ts';
import { bernoulliMask, dropoutApply, sumSquares, countNonFinite, adamwStep } from './misc.ts';

export const jsKernels: Kernels = {
  name: 'js',
  gemm, binary, unary, unaryBackward, affine, axpy, fill, sumAxis, copyStrided, scatterStridedAdd,
  layerNormForward, layerNormBackward, softmaxForward, softmaxBackward, attentionForward, attentionBackward,
  embeddingForward, embeddingBackward, crossEntropyForward, crossEntropyBackward,
  bernoulliMask, dropoutApply, sumSquares, countNonFinite, adamwStep,
};
