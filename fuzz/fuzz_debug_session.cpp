// libFuzzer target: a saved debugging session (JSON) read back; what reads must write out and
// read again.
#include <cstdlib>
#include <string_view>

#include "fuzz_input.h"
#include "session/debug_session_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto f = kvs::parse_debug_session(text, "session");
    if (f.ok()) {
        const std::string again = kvs::debug_session_to_json(*f);
        if (!kvs::parse_debug_session(again, "written session").ok()) std::abort();
    }
    return 0;
}
