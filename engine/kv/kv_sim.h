#pragma once
// The KV allocation simulator: a stream of requests served with continuous batching from a fixed
// KV memory, under one allocation strategy at a time:
//   - contiguous reservation per request: the model's maximum length (what servers did before
//     paging), the next power of two of its final length, or exactly its final length (an oracle);
//   - paged blocks of N positions from a block pool (engine/kv KvPool: the allocator, block
//     tables and prefix cache the backends use), optionally sharing prompt prefixes.
// Requests wait in arrival order; each step every running request stores one more token; a
// request leaves when its output is complete. Paged admission keeps 1% of the blocks free (as
// vLLM's watermark does); when a step still cannot get its blocks, the request admitted last is
// preempted and later prefilled again (vLLM's recompute), finding its own blocks again when the
// prefix cache is on. Memory is measured at every step during which a
// request waits for memory (the regime where waste costs throughput), as shares of the memory:
// token states (positions holding K/V), reserved (held for tokens a request will still produce),
// internal waste (held, never used: past the final length, or the unfilled tail of last blocks),
// and external waste (free memory that the waiting request cannot use).
#include <string>
#include <vector>

#include "core/result.h"
#include "kv/sim_workload.h"

namespace kvs {

struct SimStrategy {
    enum class Kind { MaxLength, PowerOfTwo, Exact, Paged };
    Kind kind = Kind::Paged;
    int block_size = 16;
    bool prefix_sharing = false;
    std::string name() const;  // "max-length contiguous", "paged, block 16 + prefix sharing", ...
};

struct SimConfig {
    long long memory_positions = 0;  // KV memory in positions (bytes / bytes per position)
    int max_length = 2048;           // longest sequence the server accepts
};

struct SimResult {
    SimStrategy strategy;
    long long capacity = 0;          // positions the strategy can use (whole blocks for paging)
    int steps = 0;                   // until every request finished
    int measured_steps = 0;          // steps during which a request waited for memory
    bool memory_bound = true;        // false: no request ever waited; the figures average every step
    // Shares of the memory, averaged over the measured steps (they add up to 1).
    double token_states = 0, reserved = 0, internal = 0, external = 0;
    double mean_running = 0;         // requests served at once, averaged over the measured steps
    int max_running = 0;
    int preemptions = 0;             // paged: requests evicted to make room, recomputed later
    long long prompt_tokens = 0;     // over all admissions
    long long reused_tokens = 0;     // prompt positions the prefix cache supplied
    double prefix_hit_rate() const { return prompt_tokens > 0 ? double(reused_tokens) / double(prompt_tokens) : 0.0; }
    double waste() const { return internal + external; }
};

Result<SimResult> simulate_kv(const SimConfig& config, const std::vector<SimRequest>& requests, const SimStrategy& s);

}  // namespace kvs
