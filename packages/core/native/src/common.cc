#include "common.h"

#include <omp.h>

#include <cstring>

namespace modalab {

napi_value ThrowError(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, ("modalab native: " + message).c_str());
  return nullptr;
}

Args::Args(napi_env env, napi_callback_info info, size_t expected, const char* fn) : env(env), argv(expected), fn(fn) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr) != napi_ok || argc != expected) {
    Fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc));
  }
}

bool Args::Fail(const std::string& message) {
  if (ok) napi_throw_type_error(env, nullptr, (std::string("modalab native ") + fn + ": " + message).c_str());
  ok = false;
  return false;
}

int64_t Args::Int(size_t i, const char* name) {
  int64_t v = 0;
  if (ok && napi_get_value_int64(env, argv[i], &v) != napi_ok) Fail(std::string(name) + " must be a number");
  return v;
}

double Args::Number(size_t i, const char* name) {
  double v = 0;
  if (ok && napi_get_value_double(env, argv[i], &v) != napi_ok) Fail(std::string(name) + " must be a number");
  return v;
}

bool Args::Bool(size_t i, const char* name) {
  bool v = false;
  if (ok && napi_get_value_bool(env, argv[i], &v) != napi_ok) Fail(std::string(name) + " must be a boolean");
  return v;
}

std::vector<int64_t> Args::Ints(size_t i, const char* name) {
  std::vector<int64_t> out;
  if (!ok) return out;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  bool isTyped = false;
  napi_is_typedarray(env, argv[i], &isTyped);
  if (!isTyped || napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_int32_array) {
    Fail(std::string(name) + " must be an Int32Array");
    return out;
  }
  const int32_t* values = static_cast<const int32_t*>(data);
  out.assign(values, values + length);
  return out;
}

std::string Args::String(size_t i, const char* name) {
  char buffer[64];
  size_t len = 0;
  if (ok && napi_get_value_string_utf8(env, argv[i], buffer, sizeof buffer, &len) != napi_ok) Fail(std::string(name) + " must be a string");
  return ok ? std::string(buffer, len) : std::string();
}

uint8_t* Args::Heap(size_t i, size_t* length) {
  if (!ok) return nullptr;
  bool isBuffer = false;
  void* data = nullptr;
  napi_is_arraybuffer(env, argv[i], &isBuffer);
  if (!isBuffer || napi_get_arraybuffer_info(env, argv[i], &data, length) != napi_ok) {
    Fail("heap must be an ArrayBuffer (the wasm memory)");
    return nullptr;
  }
  return static_cast<uint8_t*>(data);
}

float* HeapFloats(Args& args, uint8_t* heap, size_t length, int64_t offset, int64_t count, const char* name) {
  if (!args.ok) return nullptr;
  if (offset < 0 || count < 0 || offset % 4 != 0 || static_cast<uint64_t>(offset) + 4 * static_cast<uint64_t>(count) > length) {
    args.Fail(std::string(name) + ": bytes [" + std::to_string(offset) + ", +" + std::to_string(4 * count) + ") are outside the heap of " +
              std::to_string(length) + " bytes or misaligned");
    return nullptr;
  }
  return reinterpret_cast<float*>(heap + offset);
}

std::string DnnlError(const char* what, dnnl_status_t status) {
  return std::string(what) + " failed with oneDNN status " + std::to_string(static_cast<int>(status));
}

// Per thread: a oneDNN stream is not thread-safe, and Node worker threads may each load the
// addon. Never destroyed (a thread's primitives outlive it): destroying oneDNN objects while
// the process exits can race oneDNN's own teardown.
Dnnl* GetDnnl(napi_env env) {
  static thread_local Dnnl dnnl;
  if (dnnl.engine == nullptr) {
    dnnl_status_t s = dnnl_engine_create(&dnnl.engine, dnnl_cpu, 0);
    if (s != dnnl_success) {
      dnnl.engine = nullptr;
      ThrowError(env, DnnlError("dnnl_engine_create", s));
      return nullptr;
    }
    s = dnnl_stream_create(&dnnl.stream, dnnl.engine, dnnl_stream_default_flags);
    if (s != dnnl_success) {
      dnnl_engine_destroy(dnnl.engine);
      dnnl.engine = nullptr;
      ThrowError(env, DnnlError("dnnl_stream_create", s));
      return nullptr;
    }
  }
  return &dnnl;
}

size_t PrimitiveCache::Hash::operator()(const std::vector<int64_t>& k) const {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the words
  for (int64_t v : k) {
    h ^= static_cast<uint64_t>(v);
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

Primitive* PrimitiveCache::Find(const std::vector<int64_t>& key) {
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : &it->second;
}

Primitive* PrimitiveCache::Insert(const std::vector<int64_t>& key, Primitive p) {
  if (map_.size() >= kMaxEntries) Clear();
  return &map_.emplace(key, std::move(p)).first->second;
}

void PrimitiveCache::Clear() {
  for (auto& entry : map_) dnnl_primitive_destroy(entry.second.primitive);
  map_.clear();
}

PrimitiveCache& Cache() {
  static thread_local PrimitiveCache& cache = *new PrimitiveCache();  // per thread, see GetDnnl
  return cache;
}

bool CreatePrimitive(napi_env env, const_dnnl_op_desc_t op, const_dnnl_primitive_attr_t attr, Primitive* out) {
  Dnnl* dnnl = GetDnnl(env);
  if (dnnl == nullptr) return false;
  dnnl_primitive_desc_t pd = nullptr;
  dnnl_status_t s = dnnl_primitive_desc_create(&pd, op, attr, dnnl->engine, nullptr);
  if (s != dnnl_success) {
    ThrowError(env, DnnlError("dnnl_primitive_desc_create", s));
    return false;
  }
  s = dnnl_primitive_create(&out->primitive, pd);
  dnnl_primitive_desc_destroy(pd);
  if (s != dnnl_success) {
    ThrowError(env, DnnlError("dnnl_primitive_create", s));
    return false;
  }
  return true;
}

bool Execute(napi_env env, Primitive* p, const std::vector<void*>& data) {
  Dnnl* dnnl = GetDnnl(env);
  if (dnnl == nullptr) return false;
  std::vector<dnnl_exec_arg_t> args(p->argKinds.size());
  std::vector<dnnl_memory_t> memories(p->argKinds.size(), nullptr);
  dnnl_status_t s = dnnl_success;
  for (size_t i = 0; i < args.size() && s == dnnl_success; i++) {
    s = dnnl_memory_create(&memories[i], &p->mds[i], dnnl->engine, data[i]);
    args[i] = {p->argKinds[i], memories[i]};
  }
  if (s == dnnl_success) s = dnnl_primitive_execute(p->primitive, dnnl->stream, static_cast<int>(args.size()), args.data());
  if (s == dnnl_success) s = dnnl_stream_wait(dnnl->stream);
  for (dnnl_memory_t m : memories) {
    if (m != nullptr) dnnl_memory_destroy(m);
  }
  if (s != dnnl_success) {
    ThrowError(env, DnnlError("executing a oneDNN primitive", s));
    return false;
  }
  return true;
}

int MaxThreads() { return omp_get_max_threads(); }

Threads::Threads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
Threads::~Threads() { omp_set_num_threads(saved_); }

std::vector<int64_t> DenseStrides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
  return strides;
}

int64_t Volume(const std::vector<int64_t>& dims) {
  int64_t v = 1;
  for (int64_t d : dims) v *= d;
  return v;
}

void SetFunction(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
}

}  // namespace modalab
