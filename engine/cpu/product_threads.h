#pragma once
// How many threads Eigen may use for one matrix product.
#include <cstdint>

namespace kvs::cpu {

// Eigen splits a matrix product over the OpenMP threads of the calling thread once it looks big
// enough. For the small products of small models (and the per-head attention products of every
// model) the fork/join costs more than it saves, and on a loaded machine one descheduled worker
// stalls the whole product for a scheduler time slice: a 260K-parameter prefill went from 23 ms
// to 1.8 s with two compilers running. So products under about 16M multiply-adds run on the
// calling thread alone, and larger ones (the projections of real-size models) on all cores.
// The setting is the calling thread's own OpenMP state, so concurrent backends do not interfere.
void use_threads_for_product(std::int64_t rows, std::int64_t cols, std::int64_t depth);

}  // namespace kvs::cpu
