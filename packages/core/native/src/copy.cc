// Strided row copies: copyRows(heap, src, dst, rows, rowBytes, srcStrideBytes, dstStrideBytes)
// copies `rows` rows of rowBytes each. Split, slice and concat along an axis are such copies
// (the rows are the blocks before the axis); rows are shared over the OpenMP team when many.
#include <omp.h>

#include <cstring>

#include "common.h"

namespace modalab {
namespace {

constexpr int64_t kParallelBytes = 1 << 19;

napi_value CopyRows(napi_env env, napi_callback_info info) {
  Args args(env, info, 7, "copyRows");
  size_t length = 0;
  uint8_t* heap = args.Heap(0, &length);
  const int64_t src = args.Int(1, "srcOffset"), dst = args.Int(2, "dstOffset"), rows = args.Int(3, "rows");
  const int64_t rowBytes = args.Int(4, "rowBytes"), srcStride = args.Int(5, "srcStride"), dstStride = args.Int(6, "dstStride");
  if (!args.ok) return nullptr;
  if (rows < 0 || rowBytes < 0 || srcStride < rowBytes || dstStride < rowBytes) return args.Fail("rows, rowBytes and strides must be non-negative with strides >= rowBytes"), nullptr;
  if (rows == 0 || rowBytes == 0) return nullptr;
  const uint64_t srcEnd = static_cast<uint64_t>(src) + static_cast<uint64_t>(rows - 1) * srcStride + rowBytes;
  const uint64_t dstEnd = static_cast<uint64_t>(dst) + static_cast<uint64_t>(rows - 1) * dstStride + rowBytes;
  if (src < 0 || dst < 0 || srcEnd > length || dstEnd > length) return args.Fail("the rows reach outside the heap"), nullptr;
  const int threads = rows * rowBytes >= kParallelBytes ? omp_get_max_threads() : 1;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t r = 0; r < rows; r++) std::memcpy(heap + dst + r * dstStride, heap + src + r * srcStride, rowBytes);
  return nullptr;
}

}  // namespace

void RegisterCopy(napi_env env, napi_value exports) { SetFunction(env, exports, "copyRows", CopyRows); }

}  // namespace modalab
