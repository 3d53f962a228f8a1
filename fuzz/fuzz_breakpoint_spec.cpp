// libFuzzer target: a debugger breakpoint spec, as typed on the command line or in a script.
// A spec that parses must be written back (breakpoint_spec) as one that parses to the same
// condition; anything else is a defect, reported as a crash.
#include <cmath>
#include <cstdlib>
#include <string>

#include "session/breakpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string spec(reinterpret_cast<const char*>(data), size);
    auto b = kvs::parse_breakpoint(spec);
    if (!b.ok()) return 0;
    const std::string written = kvs::breakpoint_spec(*b);
    auto again = kvs::parse_breakpoint(written);
    if (!again.ok()) std::abort();
    const kvs::Breakpoint& x = *b;
    const kvs::Breakpoint& y = *again;
    // The threshold is written with 6 significant digits.
    const bool same_value = std::abs(x.value - y.value) <= 1e-5 * std::abs(x.value) + 1e-300;
    if (x.kind != y.kind || x.n != y.n || x.layer != y.layer || x.head != y.head || x.key != y.key ||
        x.text != y.text || !same_value || kvs::breakpoint_spec(y) != written)
        std::abort();
    return 0;
}
