// The tensor engine's public surface.
export { Tensor, zeros, full, tensor, param, alloc, type DType } from './tensor.ts';
export { noGrad, isGradEnabled, setCheckFinite, record, releaseGrad, type GradCtx, type BackwardFn } from './autograd.ts';
export { scope, keep, setPoolPoison, clearPool, poolStats, inScope } from './pool.ts';
export { setBackend, backendName, nativeAvailable, activeKernels, kernelsFor, type BackendName } from './backend.ts';
export * from './ops/elementwise.ts';
export * from './ops/shape.ts';
export * from './ops/reduce.ts';
export * from './ops/matmul.ts';
export * from './ops/lowrank.ts';
export * from './ops/nn.ts';
export * from './ops/loss.ts';
