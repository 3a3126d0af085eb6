// modalab_native: tfjs kernels for the wasm backend that run natively on the wasm heap.
// Loaded by packages/core/src/backend/native/addon.ts; see that folder for the JS side.
#include <omp.h>

#include "common.h"

namespace modalab {
namespace {

const char* IsaName(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    default: return "other";
  }
}

void SetString(napi_env env, napi_value obj, const char* key, const std::string& value) {
  napi_value v;
  napi_create_string_utf8(env, value.c_str(), value.size(), &v);
  napi_set_named_property(env, obj, key, v);
}

void SetNumber(napi_env env, napi_value obj, const char* key, double value) {
  napi_value v;
  napi_create_double(env, value, &v);
  napi_set_named_property(env, obj, key, v);
}

// info(): { library, version, isa, threads, cachedPrimitives, math }
napi_value Info(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  napi_value obj;
  napi_create_object(env, &obj);
  SetString(env, obj, "library", "oneDNN");
  SetString(env, obj, "version", std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
  SetString(env, obj, "isa", IsaName(dnnl_get_effective_cpu_isa()));
  SetNumber(env, obj, "threads", omp_get_max_threads());
  SetNumber(env, obj, "cachedPrimitives", static_cast<double>(Cache().Size()));
  SetString(env, obj, "math", MathModeName(CurrentMathMode()));
  return obj;
}

// setThreads(n): the OpenMP team size for every later kernel (oneDNN's and ours).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args args(env, info, 1, "setThreads");
  const int64_t n = args.Int(0, "threads");
  if (!args.ok) return nullptr;
  if (n < 1) return args.Fail("threads must be at least 1"), nullptr;
  omp_set_num_threads(static_cast<int>(n));
  return nullptr;
}

napi_value ClearCache(napi_env, napi_callback_info) {
  Cache().Clear();
  ReleaseBf16Scratch();
  return nullptr;
}

}  // namespace
}  // namespace modalab

NAPI_MODULE_INIT() {
  using namespace modalab;
  SetFunction(env, exports, "info", Info);
  SetFunction(env, exports, "setThreads", SetThreads);
  SetFunction(env, exports, "clearCache", ClearCache);
  RegisterMatmul(env, exports);
  RegisterTranspose(env, exports);
  RegisterElementwise(env, exports);
  RegisterBinary(env, exports);
  RegisterCopy(env, exports);
  RegisterConv(env, exports);
  RegisterMathMode(env, exports);
  return exports;
}
