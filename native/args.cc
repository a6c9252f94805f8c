// Argument decoding and bounds checks shared by all kernels (see common.h for why).
#include "common.h"

namespace pelt {

namespace {
constexpr double kMaxSafe = 9007199254740992.0;  // 2^53: beyond it JS numbers skip integers

std::string typedArrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "typed array";
  }
}

std::string str(i128 v) {  // std::to_string has no __int128 overload
  return std::to_string(static_cast<long long>(v));
}
}  // namespace

Args::Args(const Napi::CallbackInfo& info, const char* kernel, size_t nargs)
    : info_(info), kernel_(kernel) {
  if (info.Length() < nargs) {
    typeError("expected " + std::to_string(nargs) + " arguments, got " +
              std::to_string(info.Length()));
  }
}

void Args::rangeError(const std::string& msg) const {
  throw Napi::RangeError::New(info_.Env(), std::string(kernel_) + ": " + msg);
}
void Args::typeError(const std::string& msg) const {
  throw Napi::TypeError::New(info_.Env(), std::string(kernel_) + ": " + msg);
}

std::string Args::describe(const Napi::Value& v) const {
  if (v.IsTypedArray()) return typedArrayName(v.As<Napi::TypedArray>().TypedArrayType());
  if (v.IsNull()) return "null";
  if (v.IsUndefined()) return "undefined";
  if (v.IsArray()) return "Array";
  if (v.IsArrayBuffer()) return "ArrayBuffer";
  if (v.IsNumber()) return "number";
  if (v.IsBoolean()) return "boolean";
  if (v.IsString()) return "string";
  if (v.IsFunction()) return "function";
  return "object";
}

// Raw N-API here: one napi_get_typedarray_info per buffer keeps a kernel call under a microsecond.
bool Args::typed(size_t i, napi_typedarray_type want, void** data, size_t* length) const {
  napi_env env = info_.Env();
  napi_value v = info_[i];
  bool isTyped = false;
  napi_typedarray_type type;
  *data = nullptr;
  return napi_is_typedarray(env, v, &isTyped) == napi_ok && isTyped &&
         napi_get_typedarray_info(env, v, &type, length, data, nullptr, nullptr) == napi_ok && type == want;
}

F32 Args::f32(size_t i, const char* name) const {
  size_t length = 0;
  void* data = nullptr;
  if (typed(i, napi_float32_array, &data, &length)) return F32{static_cast<float*>(data), static_cast<int64_t>(length)};
  typeError(std::string("argument ") + name + " must be a Float32Array (got " + describe(info_[i]) + ")");
}

F32 Args::f32OrNull(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  if (v.IsNull() || v.IsUndefined()) return F32{};
  return f32(i, name);
}

I32 Args::i32(size_t i, const char* name) const {
  size_t length = 0;
  void* data = nullptr;
  if (typed(i, napi_int32_array, &data, &length)) return I32{static_cast<int32_t*>(data), static_cast<int64_t>(length)};
  typeError(std::string("argument ") + name + " must be an Int32Array (got " + describe(info_[i]) + ")");
}

double Args::num(size_t i, const char* name) const {
  double d = 0;
  if (napi_get_value_double(info_.Env(), info_[i], &d) != napi_ok) {
    typeError(std::string("argument ") + name + " must be a number (got " + describe(info_[i]) + ")");
  }
  return d;
}

int64_t Args::integer(size_t i, const char* name) const {
  double d = num(i, name);
  if (!(std::floor(d) == d) || std::fabs(d) > kMaxSafe) {
    rangeError(std::string("argument ") + name + " must be an integer (got " +
               Napi::Value(info_[i]).ToString().Utf8Value() + ")");
  }
  return static_cast<int64_t>(d);
}

int64_t Args::size(size_t i, const char* name) const {
  int64_t v = integer(i, name);
  if (v < 0) rangeError(std::string("argument ") + name + " must be >= 0 (got " + std::to_string(v) + ")");
  return v;
}

bool Args::flag(size_t i, const char* name) const {
  (void)name;
  Napi::Value v = info_[i];
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
  return v.ToBoolean().Value();
}

std::vector<int64_t> Args::ints(size_t i, const char* name) const {
  Napi::Value v = info_[i];
  std::vector<int64_t> out;
  auto check = [&](double d, uint32_t k) {
    if (!(std::floor(d) == d) || std::fabs(d) > kMaxSafe) {
      rangeError(std::string("argument ") + name + "[" + std::to_string(k) + "] must be an integer");
    }
    return static_cast<int64_t>(d);
  };
  if (v.IsTypedArray()) {
    auto ta = v.As<Napi::TypedArray>();
    size_t n = ta.ElementLength();
    if (n > 32) rangeError(std::string("argument ") + name + " has more than 32 dimensions");
    out.reserve(n);
    if (ta.TypedArrayType() == napi_int32_array) {
      const int32_t* p = v.As<Napi::Int32Array>().Data();
      for (size_t k = 0; k < n; k++) out.push_back(p[k]);
      return out;
    }
    if (ta.TypedArrayType() == napi_float64_array) {
      const double* p = v.As<Napi::Float64Array>().Data();
      for (size_t k = 0; k < n; k++) out.push_back(check(p[k], k));
      return out;
    }
  }
  if (!v.IsObject()) {
    typeError(std::string("argument ") + name + " must be an array of integers (got " + describe(v) + ")");
  }
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value lenV = o.Get("length");
  if (!lenV.IsNumber()) {
    typeError(std::string("argument ") + name + " must be an array of integers (got " + describe(v) + ")");
  }
  double len = lenV.As<Napi::Number>().DoubleValue();
  if (!(len >= 0 && len <= 32 && std::floor(len) == len)) {
    rangeError(std::string("argument ") + name + " must have between 0 and 32 entries");
  }
  out.reserve(static_cast<size_t>(len));
  for (uint32_t k = 0; k < static_cast<uint32_t>(len); k++) {
    Napi::Value e = o.Get(k);
    if (!e.IsNumber()) {
      typeError(std::string("argument ") + name + "[" + std::to_string(k) + "] must be a number");
    }
    out.push_back(check(e.As<Napi::Number>().DoubleValue(), k));
  }
  return out;
}

void Args::need(const F32& b, const char* name, i128 needed) const {
  if (needed > b.n) {
    rangeError(std::string("buffer ") + name + " is too short: needs " + str(needed) +
               " elements, has " + std::to_string(b.n));
  }
}
void Args::need(const I32& b, const char* name, i128 needed) const {
  if (needed > b.n) {
    rangeError(std::string("buffer ") + name + " is too short: needs " + str(needed) +
               " elements, has " + std::to_string(b.n));
  }
}

void Args::span(const F32& b, const char* name, i128 lo, i128 hi) const {
  if (lo < 0) {
    rangeError(std::string("buffer ") + name + ": offsets/strides reach index " + str(lo) + " < 0");
  }
  if (hi >= b.n) {
    rangeError(std::string("buffer ") + name + " is too short: index " + str(hi) +
               " is touched, length is " + std::to_string(b.n));
  }
}

bool stridedExtent(int64_t off, const std::vector<int64_t>& shape,
                   const std::vector<int64_t>& strides, i128* lo, i128* hi) {
  i128 mn = off, mx = off;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 0) return false;
    i128 reach = static_cast<i128>(shape[d] - 1) * strides[d];
    if (reach < 0) mn += reach; else mx += reach;
  }
  *lo = mn;
  *hi = mx;
  return true;
}

}  // namespace pelt
