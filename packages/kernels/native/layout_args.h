// Argument helpers shared by the layout entry points (layout.cc, gather.cc): any 4-byte or 1-byte
// typed array as raw words, and Float64Array parameter blocks.
#pragma once
#include <cstddef>
#include <string>

#include "common.h"

namespace ml {
namespace layout {

// Raw data of a typed array argument: pointer (view offset applied), element size and length.
struct Raw {
  void* data;
  size_t elem;
  size_t len;
};

inline Raw raw_array(const Args& args, size_t i) {
  napi_value v = args.at(i);
  bool is_ta = false;
  napi_is_typedarray(args.env, v, &is_ta);
  if (!is_ta) throw ArgError{"argument " + std::to_string(i) + " must be a typed array"};
  napi_typedarray_type type;
  size_t len, off;
  void* data;
  napi_value ab;
  napi_get_typedarray_info(args.env, v, &type, &len, &data, &ab, &off);
  size_t elem = 0;
  switch (type) {
    case napi_float32_array:
    case napi_int32_array:
    case napi_uint32_array: elem = 4; break;
    case napi_uint8_array:
    case napi_int8_array:
    case napi_uint8_clamped_array: elem = 1; break;
    default: throw ArgError{"argument " + std::to_string(i) + " must be a 4-byte or 1-byte typed array"};
  }
  return Raw{data, elem, len};
}

// Float64Array argument → pointer and length.
inline const double* f64_array(const Args& args, size_t i, size_t* len) {
  napi_value v = args.at(i);
  bool is_ta = false;
  napi_is_typedarray(args.env, v, &is_ta);
  napi_typedarray_type type = napi_int8_array;
  void* data = nullptr;
  napi_value ab;
  size_t off;
  if (is_ta) napi_get_typedarray_info(args.env, v, &type, len, &data, &ab, &off);
  if (!is_ta || type != napi_float64_array)
    throw ArgError{"argument " + std::to_string(i) + " must be a Float64Array"};
  return static_cast<const double*>(data);
}

}  // namespace layout
}  // namespace ml
