// libFuzzer target: the readers of trace files: each line as a JSON Lines event (and, when it
// reads, written back and read again), and the whole input as CSV.
#include <cstdlib>
#include <string_view>

#include "fuzz_input.h"
#include "session/event_csv.h"
#include "session/event_json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        auto event = kvs::parse_event_line(text.substr(start, end - start));
        if (event.ok()) {
            const std::string line = kvs::event_to_json_line(*event);
            if (!kvs::parse_event_line(line).ok()) std::abort();  // what was read must read back
        }
        start = end + 1;
    }
    (void)kvs::parse_csv(text);
    return 0;
}
