// Shared helpers for the N-API entry points: argument access with clear errors, and a static
// registry so each kernel file exports its own functions without touching addon.cc.
#pragma once
#include <node_api.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace ml {

using NapiFn = napi_value (*)(napi_env, napi_callback_info);

struct ExportEntry {
  const char* name;
  NapiFn fn;
};

std::vector<ExportEntry>& export_registry();

struct ExportRegistrar {
  ExportRegistrar(const char* name, NapiFn fn) { export_registry().push_back({name, fn}); }
};

// ML_EXPORT(jsName, cFunction): makes cFunction callable from JS as binding.jsName.
#define ML_CONCAT_INNER(a, b) a##b
#define ML_CONCAT(a, b) ML_CONCAT_INNER(a, b)
#define ML_EXPORT(js_name, fn) static ::ml::ExportRegistrar ML_CONCAT(ml_export_, __LINE__)(#js_name, fn)

// Thrown inside kernels' argument parsing; converted to a JS TypeError by ML_NAPI_BODY.
struct ArgError {
  std::string msg;
};

// Wraps the body of an N-API function: parses up to N args into `args`, and turns ArgError into a JS error.
#define ML_NAPI_BODY(env, info, N, body)                                          \
  do {                                                                            \
    size_t argc_ = N;                                                             \
    napi_value argv_[N > 0 ? N : 1];                                              \
    napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr);                 \
    ::ml::Args args{env, argv_, argc_};                                           \
    try {                                                                         \
      body                                                                        \
    } catch (const ::ml::ArgError& e) {                                           \
      napi_throw_type_error(env, nullptr, e.msg.c_str());                         \
    }                                                                             \
    return nullptr;                                                               \
  } while (0)

struct Args {
  napi_env env;
  napi_value* argv;
  size_t argc;

  napi_value at(size_t i) const {
    if (i >= argc) throw ArgError{"missing argument " + std::to_string(i)};
    return argv[i];
  }
  bool is_null(size_t i) const {
    if (i >= argc) return true;
    napi_valuetype t;
    napi_typeof(env, argv[i], &t);
    return t == napi_null || t == napi_undefined;
  }
  double num(size_t i) const {
    double v;
    if (napi_get_value_double(env, at(i), &v) != napi_ok) throw ArgError{"argument " + std::to_string(i) + " must be a number"};
    return v;
  }
  int64_t i64(size_t i) const { return static_cast<int64_t>(num(i)); }
  int i32(size_t i) const { return static_cast<int>(num(i)); }
  bool boolean(size_t i) const {
    bool v;
    if (napi_get_value_bool(env, at(i), &v) != napi_ok) throw ArgError{"argument " + std::to_string(i) + " must be a boolean"};
    return v;
  }
  // Typed array data pointer (honours the view's byte offset) and element count.
  template <typename T>
  T* typed(size_t i, size_t* length = nullptr) const {
    bool is_ta = false;
    napi_is_typedarray(env, at(i), &is_ta);
    if (!is_ta) throw ArgError{"argument " + std::to_string(i) + " must be a typed array"};
    napi_typedarray_type type;
    size_t len;
    void* data;
    napi_value ab;
    size_t off;
    napi_get_typedarray_info(env, argv[i], &type, &len, &data, &ab, &off);
    if (sizeof(T) == 4 && !(type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array))
      throw ArgError{"argument " + std::to_string(i) + " must be a 32-bit typed array"};
    if (sizeof(T) == 1 && !(type == napi_uint8_array || type == napi_int8_array || type == napi_uint8_clamped_array))
      throw ArgError{"argument " + std::to_string(i) + " must be an 8-bit typed array"};
    if (length) *length = len;
    return static_cast<T*>(data);
  }
  float* f32(size_t i, size_t* length = nullptr) const { return typed<float>(i, length); }
  int32_t* i32arr(size_t i, size_t* length = nullptr) const { return typed<int32_t>(i, length); }
  // Array of numbers (e.g. a shape) → vector<int64_t>.
  std::vector<int64_t> ints(size_t i) const {
    napi_value a = at(i);
    bool is_arr = false;
    napi_is_array(env, a, &is_arr);
    if (!is_arr) throw ArgError{"argument " + std::to_string(i) + " must be an array of numbers"};
    uint32_t n;
    napi_get_array_length(env, a, &n);
    std::vector<int64_t> out(n);
    for (uint32_t k = 0; k < n; ++k) {
      napi_value e;
      napi_get_element(env, a, k, &e);
      double v;
      napi_get_value_double(env, e, &v);
      out[k] = static_cast<int64_t>(v);
    }
    return out;
  }
};

inline napi_value make_number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

}  // namespace ml
