#pragma once
// A debugger breakpoint: a condition checked after every step of a run. The run stops after the
// first step that meets an enabled one. Each kind is written as a short spec, the same on the
// command line, in scripts and in session files (docs/DEBUGGER.md):
//
//   pos=P              the step that chooses the token at position P
//   token=ID           the chosen token is ID
//   text=STRING        the generated text first contains STRING after this step
//   entropy>X          entropy of the model's distribution (temperature 1, nats) above X
//   entropy<X          ... below X
//   top1<X             the most likely token's probability below X
//   not-argmax         the chosen token is not the most likely one
//   attn=L,H,P>X       attention of layer L, query head H (the step's last query) to position P above X
//   sink=L,H<X         attention of layer L, head H to position 0 (the "sink") below X
//   cache-bytes>=N     the sequence's KV blocks hold at least N bytes (B, KiB, MiB, GiB suffixes)
//   cache-blocks>=N    the sequence's block table has at least N blocks
//
// L and H may be `*` (any layer, any head).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/events.h"
#include "core/result.h"

namespace kvs {

enum class BreakpointKind {
    Position,
    Token,
    Text,
    EntropyAbove,
    EntropyBelow,
    Top1Below,
    NotArgmax,
    AttentionAbove,
    SinkBelow,
    CacheBytes,
    CacheBlocks,
};

struct Breakpoint {
    int id = 0;
    bool enabled = true;
    BreakpointKind kind = BreakpointKind::Position;
    std::int64_t n = 0;      // position, token id, bytes or blocks
    double value = 0.0;      // threshold
    int layer = -1;          // attention kinds: -1 = any
    int head = -1;
    int key = 0;             // attention: the key position
    std::string text;        // Text

    bool needs_attention() const { return kind == BreakpointKind::AttentionAbove || kind == BreakpointKind::SinkBelow; }
};

// Parses a spec; the error names the spec and what was expected.
Result<Breakpoint> parse_breakpoint(const std::string& spec);
// The spec that parses back to the same condition.
std::string breakpoint_spec(const Breakpoint& b);

// What the debugger knows after one step, for checking breakpoints.
struct StepObservation {
    const StepFinished* step = nullptr;
    // The last query row of each captured (layer, query head) this step: probabilities over keys.
    const std::map<std::pair<int, int>, std::vector<float>>* attention = nullptr;
    int cache_blocks = 0;
    std::int64_t cache_bytes = 0;
    const std::string* text_before = nullptr;  // generated text before this step's token
    const std::string* text_after = nullptr;   // and after it
};

// The value that meets `b` ("entropy 2.713"), or nothing.
std::optional<std::string> breakpoint_hit(const Breakpoint& b, const StepObservation& o);

}  // namespace kvs
