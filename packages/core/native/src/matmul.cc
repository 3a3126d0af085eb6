// Batched matrix products through oneDNN's matmul primitive: transposes are strides (no copy),
// batch dimensions broadcast as in tfjs, and a fused bias plus activation run as the
// primitive's bias and eltwise post-op. oneDNN threads the work over the OpenMP team. In the
// bf16 math mode (src/bf16.cc) large products read bf16 copies of their operands.
#include <omp.h>

#include <cstring>

#include "common.h"

namespace modalab {
namespace {

// Below this many flops a product runs on one thread (see Threads in common.h).
constexpr double kParallelFlops = 2e6;

// In bf16 mode, a product of output rows x cols is converted only when rows * cols /
// (rows + cols) reaches this: converting costs (rows + cols) * k element passes, the product
// saves a share of rows * cols * k multiply-adds. Measured on AMX with one thread, conversions
// included: clip-mini's projection, MLP and weight-gradient products (value 102-456) ran
// 1.9-2.4x faster, its batched 65 x 32 x 65 attention products (value 21-33) 1.2-1.6x slower:
// tiles that small leave AMX mostly idle, and the conversion is then most of the cost.
constexpr double kBf16MinIntensity = 64;

bool Bf16Pays(int64_t rows, int64_t cols) {
  return static_cast<double>(rows) * static_cast<double>(cols) / static_cast<double>(rows + cols) >= kBf16MinIntensity;
}

// tfjs's FusableActivation codes (as wasm numbers them), mapped to oneDNN eltwise kinds.
enum Activation { kLinear = 0, kRelu = 1, kRelu6 = 2, kLeakyRelu = 4, kSigmoid = 5, kElu = 6 };

bool AppendActivation(dnnl_post_ops_t ops, int64_t act, float alpha) {
  switch (act) {
    case kLinear: return true;
    case kRelu: return dnnl_post_ops_append_eltwise(ops, 1.f, dnnl_eltwise_relu, 0.f, 0.f) == dnnl_success;
    case kRelu6: return dnnl_post_ops_append_eltwise(ops, 1.f, dnnl_eltwise_clip, 0.f, 6.f) == dnnl_success;
    case kLeakyRelu: return dnnl_post_ops_append_eltwise(ops, 1.f, dnnl_eltwise_relu, alpha, 0.f) == dnnl_success;
    case kSigmoid: return dnnl_post_ops_append_eltwise(ops, 1.f, dnnl_eltwise_logistic, 0.f, 0.f) == dnnl_success;
    case kElu: return dnnl_post_ops_append_eltwise(ops, 1.f, dnnl_eltwise_elu, 1.f, 0.f) == dnnl_success;
    default: return false;
  }
}

// Logical dims [...batch, rows, cols] and strides of an operand stored [...batch, rows, cols],
// or [...batch, cols, rows] when transposed; batch padded with leading 1s to `batchRank`.
void OperandLayout(const std::vector<int64_t>& batch, size_t batchRank, int64_t rows, int64_t cols, bool transposed,
                   std::vector<int64_t>* dims, std::vector<int64_t>* strides) {
  dims->assign(batchRank - batch.size(), 1);
  dims->insert(dims->end(), batch.begin(), batch.end());
  std::vector<int64_t> stored = *dims;
  stored.push_back(transposed ? cols : rows);
  stored.push_back(transposed ? rows : cols);
  std::vector<int64_t> storedStrides = DenseStrides(stored);
  dims->push_back(rows);
  dims->push_back(cols);
  *strides = storedStrides;
  if (transposed) std::swap((*strides)[batchRank], (*strides)[batchRank + 1]);
}

// matmul(heap, aOffset, bOffset, outOffset, biasOffset, batchA, batchB, m, n, k, transposeA,
//        transposeB, biasSize, activation, alpha): out [...broadcast batch, m, n] =
// act(op(a) op(b) + bias), bias of biasSize (0: none, 1: a scalar, n: per column).
napi_value Matmul(napi_env env, napi_callback_info info) {
  Args args(env, info, 15, "matmul");
  size_t length = 0;
  uint8_t* heap = args.Heap(0, &length);
  const int64_t aOff = args.Int(1, "aOffset"), bOff = args.Int(2, "bOffset"), outOff = args.Int(3, "outOffset");
  const int64_t biasOff = args.Int(4, "biasOffset");
  const std::vector<int64_t> batchA = args.Ints(5, "batchA"), batchB = args.Ints(6, "batchB");
  const int64_t m = args.Int(7, "m"), n = args.Int(8, "n"), k = args.Int(9, "k");
  const bool tA = args.Bool(10, "transposeA"), tB = args.Bool(11, "transposeB");
  const int64_t biasSize = args.Int(12, "biasSize"), act = args.Int(13, "activation");
  const float alpha = static_cast<float>(args.Number(14, "alpha"));
  if (!args.ok) return nullptr;
  if (m <= 0 || n <= 0 || k <= 0) return args.Fail("m, n and k must be positive (empty products stay on wasm)"), nullptr;
  if (biasSize != 0 && biasSize != 1 && biasSize != n) return args.Fail("biasSize must be 0, 1 or n"), nullptr;

  const size_t batchRank = std::max(batchA.size(), batchB.size());
  if (batchRank + 2 > DNNL_MAX_NDIMS) return args.Fail("rank above " + std::to_string(DNNL_MAX_NDIMS)), nullptr;
  std::vector<int64_t> aDims, aStrides, bDims, bStrides;
  OperandLayout(batchA, batchRank, m, k, tA, &aDims, &aStrides);
  OperandLayout(batchB, batchRank, k, n, tB, &bDims, &bStrides);
  std::vector<int64_t> cDims(batchRank + 2);
  for (size_t d = 0; d < batchRank; d++) {
    if (aDims[d] != bDims[d] && aDims[d] != 1 && bDims[d] != 1) return args.Fail("batch dimensions do not broadcast"), nullptr;
    cDims[d] = std::max(aDims[d], bDims[d]);
  }
  cDims[batchRank] = m;
  cDims[batchRank + 1] = n;

  float* a = HeapFloats(args, heap, length, aOff, Volume(aDims), "a");
  float* b = HeapFloats(args, heap, length, bOff, Volume(bDims), "b");
  float* c = HeapFloats(args, heap, length, outOff, Volume(cDims), "out");
  float* bias = biasSize == 0 ? nullptr : HeapFloats(args, heap, length, biasOff, biasSize, "bias");
  if (!args.ok) return nullptr;

  const double flops = 2.0 * static_cast<double>(Volume(cDims)) * static_cast<double>(k);
  const int threads = flops >= kParallelFlops ? omp_get_max_threads() : 1;
  Threads scope(threads);
  const bool bf16 = CurrentMathMode() == MathMode::kBf16 && Bf16Pays(m, n);
  void* aData = a;
  void* bData = b;
  if (bf16) {
    // B starts on a cache line of its own (the scratch rounds A up to whole lines).
    const size_t aElements = ((static_cast<size_t>(Volume(aDims)) + 31) / 32) * 32;
    uint16_t* scratch = Bf16Scratch(aElements + static_cast<size_t>(Volume(bDims)));
    if (scratch == nullptr) return ThrowError(env, "matmul: out of memory for the bf16 operands");
    if (!ToBf16(env, a, scratch, Volume(aDims)) || !ToBf16(env, b, scratch + aElements, Volume(bDims))) return nullptr;
    aData = scratch;
    bData = scratch + aElements;
  }
  std::vector<int64_t> key = {-1, static_cast<int64_t>(batchRank), tA, tB, biasSize, act, threads, bf16};
  int32_t alphaBits;
  std::memcpy(&alphaBits, &alpha, sizeof alphaBits);
  key.push_back(alphaBits);
  key.insert(key.end(), aDims.begin(), aDims.end());
  key.insert(key.end(), bDims.begin(), bDims.end());
  Primitive* p = Cache().Find(key);
  if (p == nullptr) {
    const int nd = static_cast<int>(batchRank + 2);
    Primitive created;
    dnnl_memory_desc_t aMd, bMd, cMd, biasMd;
    std::vector<int64_t> biasDims(nd, 1);
    biasDims[nd - 1] = biasSize == n ? n : 1;
    const dnnl_data_type_t in = bf16 ? dnnl_bf16 : dnnl_f32;  // bias and output stay f32
    bool ok = dnnl_memory_desc_init_by_strides(&aMd, nd, aDims.data(), in, aStrides.data()) == dnnl_success &&
              dnnl_memory_desc_init_by_strides(&bMd, nd, bDims.data(), in, bStrides.data()) == dnnl_success &&
              dnnl_memory_desc_init_by_strides(&cMd, nd, cDims.data(), dnnl_f32, DenseStrides(cDims).data()) == dnnl_success &&
              dnnl_memory_desc_init_by_strides(&biasMd, nd, biasDims.data(), dnnl_f32, DenseStrides(biasDims).data()) == dnnl_success;
    dnnl_matmul_desc_t desc;
    ok = ok && dnnl_matmul_desc_init(&desc, &aMd, &bMd, biasSize == 0 ? nullptr : &biasMd, &cMd) == dnnl_success;
    if (!ok) return ThrowError(env, "matmul: oneDNN rejected the shapes");
    dnnl_primitive_attr_t attr = nullptr;
    dnnl_post_ops_t ops = nullptr;
    dnnl_primitive_attr_create(&attr);
    dnnl_post_ops_create(&ops);
    if (!AppendActivation(ops, act, alpha)) {
      dnnl_post_ops_destroy(ops);
      dnnl_primitive_attr_destroy(attr);
      return args.Fail("unknown activation code " + std::to_string(act)), nullptr;
    }
    dnnl_primitive_attr_set_post_ops(attr, ops);
    const bool made = CreatePrimitive(env, &desc, attr, &created);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    if (!made) return nullptr;
    created.argKinds = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
    created.mds = {aMd, bMd, cMd};
    if (biasSize != 0) {
      created.argKinds.push_back(DNNL_ARG_BIAS);
      created.mds.push_back(biasMd);
    }
    p = Cache().Insert(key, std::move(created));
  }
  std::vector<void*> data = {aData, bData, c};
  if (biasSize != 0) data.push_back(bias);
  Execute(env, p, data);
  return nullptr;
}

}  // namespace

void RegisterMatmul(napi_env env, napi_value exports) { SetFunction(env, exports, "matmul", Matmul); }

}  // namespace modalab
