// Module entry: registers the kernels and the thread / BLAS introspection helpers.
#include <cblas.h>

#include "common.h"

namespace pelt {

namespace {

// setNumThreads(n): one knob for both our OpenMP loops and OpenBLAS (the OpenMP build of
// OpenBLAS shares the same libgomp thread pool, so the two never oversubscribe the cores).
Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setNumThreads", 1);
  int64_t n = a.size(0, "n");
  if (n < 1 || n > 1024) a.rangeError("n must be in [1, 1024]");
  omp_set_num_threads(static_cast<int>(n));
  openblas_set_num_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

// blasInfo(): { corename, config, threads, parallel } as OpenBLAS reports them.
Napi::Value BlasInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("corename", Napi::String::New(env, openblas_get_corename()));
  o.Set("config", Napi::String::New(env, openblas_get_config()));
  o.Set("threads", Napi::Number::New(env, openblas_get_num_threads()));
  static const char* kModes[] = {"sequential", "pthreads", "openmp"};
  int mode = openblas_get_parallel();
  o.Set("parallel", Napi::String::New(env, mode >= 0 && mode <= 2 ? kModes[mode] : "unknown"));
  return o;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  struct Entry {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  };
  static const Entry entries[] = {
      {"gemm", Gemm},
      {"binary", Binary},
      {"unary", Unary},
      {"unaryBackward", UnaryBackward},
      {"affine", Affine},
      {"axpy", Axpy},
      {"fill", Fill},
      {"sumAxis", SumAxis},
      {"copyStrided", CopyStrided},
      {"scatterStridedAdd", ScatterStridedAdd},
      {"layerNormForward", LayerNormForward},
      {"layerNormBackward", LayerNormBackward},
      {"softmaxForward", SoftmaxForward},
      {"softmaxBackward", SoftmaxBackward},
      {"attentionForward", AttentionForward},
      {"attentionBackward", AttentionBackward},
      {"embeddingForward", EmbeddingForward},
      {"embeddingBackward", EmbeddingBackward},
      {"crossEntropyForward", CrossEntropyForward},
      {"crossEntropyBackward", CrossEntropyBackward},
      {"bernoulliMask", BernoulliMask},
      {"dropoutApply", DropoutApply},
      {"sumSquares", SumSquares},
      {"countNonFinite", CountNonFinite},
      {"adamwStep", AdamwStep},
      {"setNumThreads", SetNumThreads},
      {"getNumThreads", GetNumThreads},
      {"blasInfo", BlasInfo},
  };
  for (const Entry& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  return exports;
}

}  // namespace pelt

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return pelt::Init(env, exports); }

NODE_API_MODULE(pelt_native, InitAll)
