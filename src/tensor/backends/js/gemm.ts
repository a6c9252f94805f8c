import type { Buf } from '../kernels.ts';

/** Reference batched GEMM (see Kernels.gemm); i-k-j loops, accumulating in the buffer's precision. */
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: Buf, aOff: number, lda: number, strideA: number,
  B: Buf, bOff: number, ldb: number, strideB: number,
  beta: number, C: Buf, cOff: number, ldc: number, strideC: number, batch: number,
): void {
  const acc = C instanceof Float64Array ? new Float64Array(N) : new Float32Array(N);
  for (let bi = 0; bi < batch; bi++) {
    const a0 = aOff + bi * strideA, b0 = bOff + bi * strideB, c0 = cOff + bi * strideC;
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const aik = transA ? A[a0 + k * lda + i]! : A[a0 + i * lda + k]!;
        if (aik === 0) continue;
        if (transB) for (let j = 0; j < N; j++) acc[j]! += aik * B[b0 + j * ldb + k]!;
        else {
          const row = b0 + k * ldb;
          for (let j = 0; j < N; j++) acc[j]! += aik * B[row + j]!;
        }
      }
      const row = c0 + i * ldc;
      if (beta === 0) for (let j = 0; j < N; j++) C[row + j] = alpha * acc[j]!;
      else for (let j = 0; j < N; j++) C[row + j] = alpha * acc[j]! + beta * C[row + j]!;
    }
  }
}
