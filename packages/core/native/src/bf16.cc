// The bf16 math mode: products whose operands are rounded to bfloat16 (8 significant bits)
// and accumulated in float32, which AMX and AVX512-BF16 units run 3-5x faster than float32
// FMAs. oneDNN 2.6 ignores fpmath_mode for f32 matmuls, so the operands are converted
// explicitly, into a per-thread scratch buffer, before the product reads them.
#include <cstdlib>
#include <string>

#include "common.h"

namespace modalab {
namespace {

// Per thread, like the primitive cache: each Node thread that loads the addon has its own mode.
thread_local MathMode mode = MathMode::kFp32;

struct Scratch {
  uint16_t* data = nullptr;
  size_t capacity = 0;  // elements
};
thread_local Scratch scratch;

// Below this many elements one thread converts.
constexpr int64_t kParallelElements = 1 << 17;

napi_value SetMathMode(napi_env env, napi_callback_info info) {
  Args args(env, info, 1, "setMathMode");
  const std::string name = args.String(0, "mode");
  if (!args.ok) return nullptr;
  if (name == "fp32") {
    mode = MathMode::kFp32;
  } else if (name == "bf16") {
    if (!HasBf16Units()) return ThrowError(env, "setMathMode: bf16 needs avx512_core_bf16 or AMX, which this CPU does not have");
    mode = MathMode::kBf16;
  } else {
    return args.Fail("mode must be 'fp32' or 'bf16', got '" + name + "'"), nullptr;
  }
  return nullptr;
}

}  // namespace

MathMode CurrentMathMode() { return mode; }

const char* MathModeName(MathMode m) { return m == MathMode::kBf16 ? "bf16" : "fp32"; }

bool HasBf16Units() {
  // The ISA values are nested bit sets: every ISA with bf16 instructions contains these bits.
  const unsigned isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
  return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

uint16_t* Bf16Scratch(size_t elements) {
  if (elements > scratch.capacity) {
    ReleaseBf16Scratch();
    // Whole cache lines, so the second operand can start on one.
    const size_t bytes = ((elements * sizeof(uint16_t) + 63) / 64) * 64;
    scratch.data = static_cast<uint16_t*>(std::aligned_alloc(64, bytes));
    if (scratch.data != nullptr) scratch.capacity = bytes / sizeof(uint16_t);
  }
  return scratch.data;
}

void ReleaseBf16Scratch() {
  std::free(scratch.data);
  scratch = Scratch();
}

bool ToBf16(napi_env env, const float* src, uint16_t* dst, int64_t count) {
  const int threads = count >= kParallelElements ? MaxThreads() : 1;
  Threads scope(threads);
  // Layout does not change, so one flat conversion serves every stride and transpose: the
  // product then reads the bf16 copy with the strides it would have used on the original.
  const std::vector<int64_t> key = {-7, count, threads};
  Primitive* p = Cache().Find(key);
  if (p == nullptr) {
    Dnnl* dnnl = GetDnnl(env);
    if (dnnl == nullptr) return false;
    Primitive created;
    dnnl_memory_desc_t from, to;
    const int64_t dims[1] = {count}, strides[1] = {1};
    dnnl_primitive_desc_t pd = nullptr;
    dnnl_status_t s = dnnl_memory_desc_init_by_strides(&from, 1, dims, dnnl_f32, strides);
    if (s == dnnl_success) s = dnnl_memory_desc_init_by_strides(&to, 1, dims, dnnl_bf16, strides);
    if (s == dnnl_success) s = dnnl_reorder_primitive_desc_create(&pd, &from, dnnl->engine, &to, dnnl->engine, nullptr);
    if (s == dnnl_success) s = dnnl_primitive_create(&created.primitive, pd);
    if (pd != nullptr) dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) return ThrowError(env, DnnlError("converting to bf16", s)), false;
    created.argKinds = {DNNL_ARG_FROM, DNNL_ARG_TO};
    created.mds = {from, to};
    p = Cache().Insert(key, std::move(created));
  }
  return Execute(env, p, {const_cast<float*>(src), dst});
}

void RegisterMathMode(napi_env env, napi_value exports) { SetFunction(env, exports, "setMathMode", SetMathMode); }

}  // namespace modalab
