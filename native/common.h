// Shared argument checking for every kernel. JS hands us raw typed-array memory, so each kernel
// validates types and the largest index it will touch *before* doing any work: a bad call throws
// a JS TypeError/RangeError naming the kernel and the argument instead of corrupting memory.
#pragma once

#ifndef NAPI_CPP_EXCEPTIONS
#define NAPI_CPP_EXCEPTIONS
#endif
#include <napi.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace pelt {

// Below this many elements a parallel region costs more than it saves (measured: ~2-5 us to
// wake the second core vs ~1 ns per element of simple work).
constexpr int64_t kParMin = 32768;
inline bool par(int64_t work) { return work > kParMin && omp_get_max_threads() > 1; }

// True when OpenBLAS may be called from inside our OpenMP parallel regions and then runs
// single-threaded there (its OpenMP or sequential builds). A pthread build would start its own
// threads from every region, so kernels then loop sequentially and let OpenBLAS thread instead.
bool blasNestsInOpenMP();

using i128 = __int128;  // index arithmetic for bounds checks cannot overflow

struct F32 {
  float* p = nullptr;
  int64_t n = 0;
};
struct I32 {
  int32_t* p = nullptr;
  int64_t n = 0;
};

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* kernel, size_t nargs);

  F32 f32(size_t i, const char* name) const;
  F32 f32OrNull(size_t i, const char* name) const;  // null / undefined -> {nullptr, 0}
  I32 i32(size_t i, const char* name) const;
  double num(size_t i, const char* name) const;
  int64_t size(size_t i, const char* name) const;     // integer >= 0
  int64_t integer(size_t i, const char* name) const;  // any safe integer
  bool flag(size_t i, const char* name) const;
  // Array or typed array of integers (shape / strides); at most 32 entries.
  std::vector<int64_t> ints(size_t i, const char* name) const;

  // RangeError unless buffer b holds at least `needed` elements.
  void need(const F32& b, const char* name, i128 needed) const;
  void need(const I32& b, const char* name, i128 needed) const;
  // RangeError unless the index range [lo, hi] lies inside b (only when the range is non-empty).
  void span(const F32& b, const char* name, i128 lo, i128 hi) const;

  [[noreturn]] void rangeError(const std::string& msg) const;

 private:
  // Whether argument i is a typed array of `type`; if so its data (null when empty) and length.
  bool typed(size_t i, napi_typedarray_type type, void** data, size_t* length) const;
 public:
  [[noreturn]] void typeError(const std::string& msg) const;

  Napi::Env env() const { return info_.Env(); }
  const char* kernel() const { return kernel_; }

 private:
  std::string describe(const Napi::Value& v) const;
  const Napi::CallbackInfo& info_;
  const char* kernel_;
};

// Index range (min, max) touched by an N-d strided walk starting at `off`; strides may be negative
// or zero. Returns false when the shape is empty (nothing is touched).
bool stridedExtent(int64_t off, const std::vector<int64_t>& shape,
                   const std::vector<int64_t>& strides, i128* lo, i128* hi);

// Kernel entry points, one per Kernels method (see src/tensor/backends/kernels.ts).
Napi::Value Gemm(const Napi::CallbackInfo& info);
Napi::Value Binary(const Napi::CallbackInfo& info);
Napi::Value Unary(const Napi::CallbackInfo& info);
Napi::Value UnaryBackward(const Napi::CallbackInfo& info);
Napi::Value Affine(const Napi::CallbackInfo& info);
Napi::Value Axpy(const Napi::CallbackInfo& info);
Napi::Value Fill(const Napi::CallbackInfo& info);
Napi::Value SumAxis(const Napi::CallbackInfo& info);
Napi::Value CopyStrided(const Napi::CallbackInfo& info);
Napi::Value ScatterStridedAdd(const Napi::CallbackInfo& info);
Napi::Value LayerNormForward(const Napi::CallbackInfo& info);
Napi::Value LayerNormBackward(const Napi::CallbackInfo& info);
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info);
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info);
Napi::Value DropoutApply(const Napi::CallbackInfo& info);
Napi::Value AttentionForward(const Napi::CallbackInfo& info);
Napi::Value AttentionBackward(const Napi::CallbackInfo& info);
Napi::Value EmbeddingForward(const Napi::CallbackInfo& info);
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info);
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info);
Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info);
Napi::Value BernoulliMask(const Napi::CallbackInfo& info);
Napi::Value SumSquares(const Napi::CallbackInfo& info);
Napi::Value CountNonFinite(const Napi::CallbackInfo& info);
Napi::Value AdamwStep(const Napi::CallbackInfo& info);

}  // namespace pelt
