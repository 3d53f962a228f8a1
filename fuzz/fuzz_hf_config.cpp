// libFuzzer target: a Hugging Face config.json read into a ModelConfig.
#include "fuzz_input.h"
#include "model/hf_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    kvs::fuzz::write_input("config.json", data, size);
    auto cfg = kvs::read_hf_config(kvs::fuzz::work_dir().string());
    if (cfg.ok()) (void)cfg->model.parameter_count();
    return 0;
}
