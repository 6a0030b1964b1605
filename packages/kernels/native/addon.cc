// Module entry: exposes every function registered with ML_EXPORT, plus info() and setThreads().
#include "common.h"
#include "cpu.h"
#include "pool.h"

namespace ml {

std::vector<ExportEntry>& export_registry() {
  static std::vector<ExportEntry> entries;
  return entries;
}

static napi_value info(napi_env env, napi_callback_info) {
  napi_value obj, s;
  napi_create_object(env, &obj);
  napi_create_string_utf8(env, simd_name(simd_level()), NAPI_AUTO_LENGTH, &s);
  napi_set_named_property(env, obj, "simd", s);
  napi_set_named_property(env, obj, "threads", make_number(env, num_threads()));
  return obj;
}
ML_EXPORT(info, info);

static napi_value set_threads(napi_env env, napi_callback_info cbinfo) {
  ML_NAPI_BODY(env, cbinfo, 1, {
    int n = args.i32(0);
    if (n < 1) throw ArgError{"threads must be >= 1"};
    set_num_threads(n);
  });
}
ML_EXPORT(setThreads, set_threads);

}  // namespace ml

static napi_value Init(napi_env env, napi_value exports) {
  for (const auto& e : ml::export_registry()) {
    napi_value fn;
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &fn);
    napi_set_named_property(env, exports, e.name, fn);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
