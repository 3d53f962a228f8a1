#pragma once
// The machine's memory read bandwidth as the weight kernels see it: the reference against which
// `bench` puts a decode step's weight traffic (decode reads every weight once per token, so its
// speed is bounded by this figure divided by the bytes of the weights).
namespace kvs::cli {

// Bytes per second reading a 256 MiB buffer (far larger than any cache) with `threads` threads,
// each summing its share with the weight kernel's F32 row dot; the best of five passes. 0 when
// the buffer cannot be allocated.
double measured_read_bandwidth(int threads);

}  // namespace kvs::cli
