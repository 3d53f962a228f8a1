// libFuzzer target: a request workload for kv-sim (CSV with prompt_tokens, output_tokens and
// optionally prefix_group, prefix_tokens).
#include "fuzz_input.h"
#include "kv/sim_workload.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string path = kvs::fuzz::write_input("workload.csv", data, size);
    (void)kvs::read_workload_csv(path, 4096);
    return 0;
}
