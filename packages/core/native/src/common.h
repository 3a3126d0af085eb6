// Shared pieces of the modalab native kernels: N-API argument reading, the oneDNN engine and
// stream, and a cache of oneDNN primitives keyed by their shape parameters.
//
// Every kernel reads and writes tensors in place: JS passes the wasm heap (a plain
// ArrayBuffer) and byte offsets into it. No JS runs while a kernel runs, so the buffer cannot
// grow or move under us; each offset range is checked against the buffer length first.
#pragma once

#include <node_api.h>
#include <oneapi/dnnl/dnnl.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace modalab {

// Throws a JS Error with `message` and returns nullptr (the N-API convention for "threw").
napi_value ThrowError(napi_env env, const std::string& message);

// Reads argument values; each returns false after throwing a JS TypeError naming the argument.
struct Args {
  napi_env env;
  std::vector<napi_value> argv;
  const char* fn;
  bool ok = true;

  Args(napi_env env, napi_callback_info info, size_t expected, const char* fn);
  int64_t Int(size_t i, const char* name);
  double Number(size_t i, const char* name);
  bool Bool(size_t i, const char* name);
  std::vector<int64_t> Ints(size_t i, const char* name);  // from an Int32Array
  std::string String(size_t i, const char* name);         // short names only
  // The heap: base pointer and length of an ArrayBuffer.
  uint8_t* Heap(size_t i, size_t* length);
  bool Fail(const std::string& message);
};

// The float32 range [offset, offset + 4 * count) inside the heap, or nullptr after throwing.
float* HeapFloats(Args& args, uint8_t* heap, size_t length, int64_t offset, int64_t count, const char* name);

struct Dnnl {
  dnnl_engine_t engine = nullptr;
  dnnl_stream_t stream = nullptr;
};
// The CPU engine and its stream, created on first use; nullptr after throwing.
Dnnl* GetDnnl(napi_env env);
std::string DnnlError(const char* what, dnnl_status_t status);

// A oneDNN primitive with the memory descriptors of its arguments, in execution order.
struct Primitive {
  dnnl_primitive_t primitive = nullptr;
  std::vector<int> argKinds;  // DNNL_ARG_*
  std::vector<dnnl_memory_desc_t> mds;
};

// Primitives by key: creating one costs tens of microseconds, executing a small one less.
// Cleared when it reaches `kMaxEntries` (shapes in a training run are few and repeat).
class PrimitiveCache {
 public:
  static constexpr size_t kMaxEntries = 1024;
  Primitive* Find(const std::vector<int64_t>& key);
  Primitive* Insert(const std::vector<int64_t>& key, Primitive p);
  size_t Size() const { return map_.size(); }
  void Clear();

 private:
  struct Hash {
    size_t operator()(const std::vector<int64_t>& k) const;
  };
  std::unordered_map<std::vector<int64_t>, Primitive, Hash> map_;
};
PrimitiveCache& Cache();

// Creates a primitive from an op descriptor (attr may be null); false after throwing.
bool CreatePrimitive(napi_env env, const_dnnl_op_desc_t op, const_dnnl_primitive_attr_t attr, Primitive* out);
// Runs `p` with one data pointer per argument (same order as p.argKinds); false after throwing.
bool Execute(napi_env env, Primitive* p, const std::vector<void*>& data);

// Sets the OpenMP team size for the oneDNN calls in scope and restores it after. Small work is
// created and run on one thread (the count is part of each cache key, as a primitive may fix
// its split when created): waking the team costs more than it saves, and on a busy machine a
// team waits for a core.
class Threads {
 public:
  explicit Threads(int n);
  ~Threads();

 private:
  int saved_;
};

// The OpenMP team size later work may use (setThreads, OMP_NUM_THREADS, or every core).
int MaxThreads();

// How products multiply: float32 throughout, or operands rounded to bfloat16 and accumulated
// in float32 (setMathMode; src/bf16.cc). Per Node thread, fp32 until set.
enum class MathMode { kFp32, kBf16 };
MathMode CurrentMathMode();
const char* MathModeName(MathMode mode);
// Whether the CPU has bf16 dot-product instructions (avx512_core_bf16, AMX): without them
// oneDNN would emulate bf16 products more slowly than float32 ones.
bool HasBf16Units();
// A per-thread buffer of at least `elements` bf16 values, 64-byte aligned, kept for the next
// call; nullptr when out of memory.
uint16_t* Bf16Scratch(size_t elements);
void ReleaseBf16Scratch();
// dst = src rounded to bf16 (nearest even), `count` values; false after throwing. May clear
// the primitive cache: look primitives up after converting.
bool ToBf16(napi_env env, const float* src, uint16_t* dst, int64_t count);

// Row-major strides of `dims`.
std::vector<int64_t> DenseStrides(const std::vector<int64_t>& dims);
int64_t Volume(const std::vector<int64_t>& dims);

// Each kernel file registers its exports here.
void RegisterMatmul(napi_env env, napi_value exports);
void RegisterTranspose(napi_env env, napi_value exports);
void RegisterElementwise(napi_env env, napi_value exports);
void RegisterBinary(napi_env env, napi_value exports);
void RegisterCopy(napi_env env, napi_value exports);
void RegisterConv(napi_env env, napi_value exports);
void RegisterMathMode(napi_env env, napi_value exports);
void SetFunction(napi_env env, napi_value exports, const char* name, napi_callback cb);

}  // namespace modalab
