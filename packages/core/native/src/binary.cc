// Broadcasting binary float32 ops and reductions as plain loops, compiled for AVX-512, AVX2
// and baseline x86-64 with the best picked at load time (target_clones). oneDNN 2.6's binary
// and reduction primitives fall back to reference code for several shapes a training step
// uses (a sum over the rows of [4160, 512] took 5x wasm's time), so these are written here.
//
//   binary(heap, full, other, out, blockSizes, blockBroadcast, op, reversed)
//     out = full op other (or other op full when reversed); out has full's shape, described as
//     blocks of merged axes, each either matching in `other` or broadcast (size 1 there).
//   reduce(heap, x, out, pre, red, post, op): x viewed as [pre, red, post], out [pre, post].
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "common.h"

namespace modalab {
namespace {

constexpr int64_t kParallelElements = 1 << 17;

enum Op { kAdd, kMul, kSub, kDiv, kMax, kMin, kSubReversed, kDivReversed };

bool ParseOp(const std::string& name, bool reversed, Op* op) {
  if (name == "add") *op = kAdd;
  else if (name == "mul") *op = kMul;
  else if (name == "sub") *op = reversed ? kSubReversed : kSub;
  else if (name == "div") *op = reversed ? kDivReversed : kDiv;
  else if (name == "max") *op = kMax;
  else if (name == "min") *op = kMin;
  else return false;
  return true;
}

// NaN in either operand gives NaN, as Math.max and Math.min do.
inline float Max(float x, float y) { return (x > y || x != x) ? x : y; }
inline float Min(float x, float y) { return (x < y || x != x) ? x : y; }

#define ROW_LOOP(EXPR)                               \
  if (scalar) {                                      \
    const float y = b[0];                            \
    for (int64_t k = 0; k < n; k++) {                \
      const float x = a[k];                          \
      o[k] = (EXPR);                                 \
    }                                                \
  } else {                                           \
    for (int64_t k = 0; k < n; k++) {                \
      const float x = a[k], y = b[k];                \
      o[k] = (EXPR);                                 \
    }                                                \
  }

// One row: o = a op b, b a row of n values or (scalar) one value.
__attribute__((target_clones("avx512f", "avx2", "default"))) void Row(Op op, const float* __restrict a, const float* __restrict b,
                                                                        float* __restrict o, int64_t n, bool scalar) {
  switch (op) {
    case kAdd: ROW_LOOP(x + y) break;
    case kMul: ROW_LOOP(x * y) break;
    case kSub: ROW_LOOP(x - y) break;
    case kDiv: ROW_LOOP(x / y) break;
    case kSubReversed: ROW_LOOP(y - x) break;
    case kDivReversed: ROW_LOOP(y / x) break;
    case kMax: ROW_LOOP(Max(x, y)) break;
    case kMin: ROW_LOOP(Min(x, y)) break;
  }
}

napi_value Binary(napi_env env, napi_callback_info info) {
  Args args(env, info, 8, "binary");
  size_t length = 0;
  uint8_t* heap = args.Heap(0, &length);
  const int64_t fullOff = args.Int(1, "fullOffset"), otherOff = args.Int(2, "otherOffset"), outOff = args.Int(3, "outOffset");
  const std::vector<int64_t> sizes = args.Ints(4, "blockSizes"), bcast = args.Ints(5, "blockBroadcast");
  const std::string name = args.String(6, "op");
  const bool reversed = args.Bool(7, "reversed");
  Op op = kAdd;
  if (args.ok && !ParseOp(name, reversed, &op)) args.Fail("unknown op '" + name + "'");
  if (args.ok && (sizes.empty() || sizes.size() != bcast.size())) args.Fail("blockSizes and blockBroadcast must be non-empty and of one length");
  if (!args.ok) return nullptr;
  int64_t total = 1, otherSize = 1;
  for (size_t i = 0; i < sizes.size(); i++) {
    if (sizes[i] <= 0) return args.Fail("block sizes must be positive"), nullptr;
    total *= sizes[i];
    if (!bcast[i]) otherSize *= sizes[i];
  }
  const float* full = HeapFloats(args, heap, length, fullOff, total, "full");
  const float* other = HeapFloats(args, heap, length, otherOff, otherSize, "other");
  float* out = HeapFloats(args, heap, length, outOff, total, "out");
  if (!args.ok) return nullptr;
  // Strides of `other` per block (0 where it broadcasts), and the inner row.
  const size_t nb = sizes.size();
  std::vector<int64_t> otherStride(nb, 0);
  for (int64_t s = 1, i = static_cast<int64_t>(nb) - 1; i >= 0; i--) {
    if (!bcast[i]) {
      otherStride[i] = s;
      s *= sizes[i];
    }
  }
  const int64_t n = sizes[nb - 1], rows = total / n;
  const bool scalar = bcast[nb - 1] != 0;
  const int threads = total >= kParallelElements ? omp_get_max_threads() : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    int64_t rest = r, off = 0;
    for (size_t i = nb - 1; i-- > 0;) {
      off += (rest % sizes[i]) * otherStride[i];
      rest /= sizes[i];
    }
    Row(op, full + r * n, other + off, out + r * n, n, scalar);
  }
  return nullptr;
}

enum Reduction { kSum, kMean, kRMax, kRMin };

// Accumulates rows of x [red, post] into acc [post]; first row copied.
__attribute__((target_clones("avx512f", "avx2", "default"))) void ReduceRows(Reduction op, const float* __restrict x, float* __restrict acc,
                                                                               int64_t red, int64_t post, int64_t stride) {
  std::memcpy(acc, x, post * sizeof(float));
  for (int64_t r = 1; r < red; r++) {
    const float* row = x + r * stride;
    switch (op) {
      case kSum:
      case kMean:
        for (int64_t j = 0; j < post; j++) acc[j] += row[j];
        break;
      case kRMax:
        for (int64_t j = 0; j < post; j++) acc[j] = Max(acc[j], row[j]);
        break;
      case kRMin:
        for (int64_t j = 0; j < post; j++) acc[j] = Min(acc[j], row[j]);
        break;
    }
  }
}

#define RUN_LOOP(INIT, STEP)                                  \
  {                                                           \
    float lanes[kLanes];                                      \
    for (int l = 0; l < kLanes; l++) lanes[l] = (INIT);       \
    int64_t k = 0;                                            \
    for (; k + kLanes <= n; k += kLanes)                      \
      for (int l = 0; l < kLanes; l++) {                      \
        const float acc = lanes[l], v = x[k + l];             \
        lanes[l] = (STEP);                                    \
      }                                                       \
    for (; k < n; k++) {                                      \
      const float acc = lanes[0], v = x[k];                   \
      lanes[0] = (STEP);                                      \
    }                                                         \
    float r = lanes[0];                                       \
    for (int l = 1; l < kLanes; l++) {                        \
      const float acc = r, v = lanes[l];                      \
      r = (STEP);                                             \
    }                                                         \
    return r;                                                 \
  }

// One contiguous run of n values to one value, in 16 interleaved partial results (vectorised).
__attribute__((target_clones("avx512f", "avx2", "default"))) float ReduceRun(Reduction op, const float* __restrict x, int64_t n) {
  constexpr int kLanes = 16;
  constexpr float inf = std::numeric_limits<float>::infinity();
  switch (op) {
    case kRMax: RUN_LOOP(-inf, Max(acc, v))
    case kRMin: RUN_LOOP(inf, Min(acc, v))
    default: RUN_LOOP(0.f, acc + v)
  }
}

// Combines two partial results of the same reduction.
inline float Combine(Reduction op, float a, float b) { return op == kRMax ? Max(a, b) : op == kRMin ? Min(a, b) : a + b; }

napi_value Reduce(napi_env env, napi_callback_info info) {
  Args args(env, info, 7, "reduce");
  size_t length = 0;
  uint8_t* heap = args.Heap(0, &length);
  const int64_t xOff = args.Int(1, "xOffset"), outOff = args.Int(2, "outOffset");
  const int64_t pre = args.Int(3, "pre"), red = args.Int(4, "red"), post = args.Int(5, "post");
  const std::string name = args.String(6, "op");
  Reduction op = kSum;
  if (name == "sum") op = kSum;
  else if (name == "mean") op = kMean;
  else if (name == "max") op = kRMax;
  else if (name == "min") op = kRMin;
  else if (args.ok) args.Fail("unknown op '" + name + "'");
  if (args.ok && (pre <= 0 || red <= 0 || post <= 0)) args.Fail("pre, red and post must be positive");
  const float* x = HeapFloats(args, heap, length, xOff, pre * red * post, "x");
  float* out = HeapFloats(args, heap, length, outOff, pre * post, "out");
  if (!args.ok) return nullptr;
  const int threads = pre * red * post >= kParallelElements ? omp_get_max_threads() : 1;
  const float scale = op == kMean ? 1.f / static_cast<float>(red) : 1.f;
  if (post == 1 && pre >= threads) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t p = 0; p < pre; p++) out[p] = ReduceRun(op, x + p * red, red) * scale;
    return nullptr;
  }
  if (post == 1) {
    // Few long runs (a full sum): each run is cut into one piece per thread.
    for (int64_t p = 0; p < pre; p++) {
      std::vector<float> partial(threads);
      const int64_t piece = (red + threads - 1) / threads;
#pragma omp parallel for num_threads(threads) schedule(static)
      for (int t = 0; t < threads; t++) {
        const int64_t k0 = std::min(red, t * piece), k1 = std::min(red, k0 + piece);
        partial[t] = k1 > k0 ? ReduceRun(op, x + p * red + k0, k1 - k0) : ReduceRun(op, x + p * red, 0);
      }
      float r = partial[0];
      for (int t = 1; t < threads; t++) r = Combine(op, r, partial[t]);
      out[p] = r * scale;
    }
    return nullptr;
  }
  // Columns: split the post axis among threads when there are few outer items.
  const int64_t chunk = pre >= threads ? post : std::max<int64_t>(64, (post + threads - 1) / threads);
  const int64_t chunks = (post + chunk - 1) / chunk;
#pragma omp parallel for num_threads(threads) schedule(static) collapse(2)
  for (int64_t p = 0; p < pre; p++) {
    for (int64_t c = 0; c < chunks; c++) {
      const int64_t j0 = c * chunk, width = std::min(chunk, post - j0);
      float* acc = out + p * post + j0;
      ReduceRows(op, x + p * red * post + j0, acc, red, width, post);
      if (op == kMean)
        for (int64_t j = 0; j < width; j++) acc[j] *= scale;
    }
  }
  return nullptr;
}

}  // namespace

void RegisterBinary(napi_env env, napi_value exports) {
  SetFunction(env, exports, "binary", Binary);
  SetFunction(env, exports, "reduce", Reduce);
}

}  // namespace modalab
