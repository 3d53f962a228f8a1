#include "kv/kv_sim.h"

#include <algorithm>
#include <deque>
#include <memory>

#include "kv/contiguous_arena.h"
#include "kv/kv_pool.h"

namespace kvs {

std::string SimStrategy::name() const {
    switch (kind) {
        case Kind::MaxLength: return "max-length contiguous";
        case Kind::PowerOfTwo: return "power-of-two contiguous";
        case Kind::Exact: return "exact-length contiguous (oracle)";
        case Kind::Paged:
            return "paged, block " + std::to_string(block_size) + (prefix_sharing ? " + prefix sharing" : "");
    }
    return "?";
}

namespace {

// A request in the queue or being served. Token ids only matter to the prefix cache: a group's
// prefix uses the same ids in every request of the group, everything else ids of its own.
struct Job {
    std::size_t request = 0;
    std::vector<int> ids;     // prompt, then the tokens produced so far
    int produced = 0;
    int final_length = 0;     // prompt + output
    int sequence = -1;        // paged: its KvPool sequence
    long long start = -1;     // contiguous: where its region starts
    long long reserved = 0;   // contiguous: the region's size
};

class Simulator {
public:
    Simulator(const SimConfig& c, const std::vector<SimRequest>& r, const SimStrategy& s) : cfg_(c), reqs_(r), s_(s) {}

    Result<SimResult> run();

private:
    bool paged() const { return s_.kind == SimStrategy::Kind::Paged; }
    Job make_job(std::size_t i);
    bool admit(Job& job);
    void release(Job& job);
    void grow();  // one token for every running job (paged: preempting when the pool is full)
    void measure();

    SimConfig cfg_;
    const std::vector<SimRequest>& reqs_;
    SimStrategy s_;
    SimResult res_;
    std::unique_ptr<KvPool> pool_;
    std::unique_ptr<ContiguousArena> arena_;
    std::deque<Job> queue_;
    std::vector<Job> running_;  // in admission order
    int next_id_ = 1 << 30;
};

Job Simulator::make_job(std::size_t i) {
    const SimRequest& r = reqs_[i];
    Job j;
    j.request = i;
    j.final_length = r.prompt_tokens + r.output_tokens;
    for (int t = 0; t < r.prompt_tokens; ++t)
        j.ids.push_back(r.prefix_group >= 0 && t < r.prefix_tokens ? r.prefix_group * 1000000 + t : next_id_++);
    return j;
}

long long next_power_of_two(long long n) {
    long long p = 1;
    while (p < n) p *= 2;
    return p;
}

bool Simulator::admit(Job& job) {
    const int length = int(job.ids.size());
    if (!paged()) {
        const long long size = s_.kind == SimStrategy::Kind::MaxLength    ? cfg_.max_length
                               : s_.kind == SimStrategy::Kind::PowerOfTwo ? std::min<long long>(cfg_.max_length, next_power_of_two(job.final_length))
                                                                          : job.final_length;
        job.start = arena_->allocate(size);
        if (job.start < 0) return false;
        job.reserved = size;
    } else {
        job.sequence = pool_->create_sequence();
        const PrefixMatch m = pool_->attach_prefix(job.sequence, job.ids);
        const int rest = length - m.tokens;
        // As vLLM does, admission keeps a watermark of 1% of the blocks free for the running
        // requests to grow into, which spares most preemptions.
        const int watermark = pool_->layout().n_blocks / 100;
        if (pool_->blocks_needed(job.sequence, rest) + watermark > pool_->allocator().available() &&
            !running_.empty()) {
            pool_->remove(job.sequence);
            job.sequence = -1;
            return false;
        }
        pool_->append(job.sequence, std::span<const int>(job.ids).subspan(std::size_t(m.tokens)), m.tokens);
        pool_->commit(job.sequence);
        res_.reused_tokens += m.tokens;
    }
    res_.prompt_tokens += length;
    return true;
}

void Simulator::release(Job& job) {
    if (paged()) pool_->remove(job.sequence);
    else arena_->release(job.start);
    job.sequence = -1;
    job.start = -1;
}

void Simulator::grow() {
    if (paged()) {
        // vLLM's recompute preemption: while the step cannot get its blocks, the request admitted
        // last goes back to the front of the queue, to be prefilled again (with what it produced).
        for (;;) {
            int need = 0;
            for (const Job& j : running_) need += pool_->blocks_needed(j.sequence, 1);
            if (need <= pool_->allocator().available() || running_.size() <= 1) break;
            Job back = std::move(running_.back());
            running_.pop_back();
            release(back);
            queue_.push_front(std::move(back));
            ++res_.preemptions;
        }
    }
    for (Job& j : running_) {
        const int id = next_id_++;
        if (paged()) {
            pool_->append(j.sequence, std::span<const int>(&id, 1), int(j.ids.size()));
            pool_->commit(j.sequence);
        }
        j.ids.push_back(id);
        ++j.produced;
    }
}

void Simulator::measure() {
    const double c = double(res_.capacity);
    double tokens = 0, reserved = 0, internal = 0, external = 0;
    if (paged()) {
        const int bs = pool_->block_size();
        const double held = double(pool_->allocator().used_count()) * bs;
        for (const Job& j : running_) internal += double(pool_->table(j.sequence).logical_blocks()) * bs - double(j.ids.size());
        tokens = held - internal;  // a shared block's positions once
        external = c - held;
    } else {
        double held = 0;
        for (const Job& j : running_) {
            tokens += double(j.ids.size());
            reserved += double(j.final_length) - double(j.ids.size());
            internal += double(j.reserved) - double(j.final_length);
            held += double(j.reserved);
        }
        external = c - held;
    }
    res_.token_states += tokens / c;
    res_.reserved += reserved / c;
    res_.internal += internal / c;
    res_.external += external / c;
    res_.mean_running += double(running_.size());
    ++res_.measured_steps;
}

Result<SimResult> Simulator::run() {
    res_.strategy = s_;
    if (cfg_.max_length < 2) return err("kv-sim: the maximum length must be at least 2");
    if (paged() && s_.block_size < 1) return err("kv-sim: block size must be >= 1, got ", s_.block_size);
    if (paged()) {
        KvLayout l;
        l.n_layers = l.n_kv_heads = l.head_dim = 1;  // bookkeeping only: no values are stored
        l.capacity = cfg_.max_length;
        l.block_size = std::min(s_.block_size, cfg_.max_length);
        l.n_blocks = int(std::min<long long>(cfg_.memory_positions / l.block_size, 1 << 30));
        res_.capacity = (long long)l.n_blocks * l.block_size;
        if (l.n_blocks < l.blocks_for(cfg_.max_length))
            return err("kv-sim: ", cfg_.memory_positions, " positions of memory hold fewer blocks than one request of ",
                       cfg_.max_length, " positions needs");
        pool_ = std::make_unique<KvPool>(l);
        pool_->set_prefix_caching(s_.prefix_sharing);
    } else {
        res_.capacity = cfg_.memory_positions;
        if (res_.capacity < cfg_.max_length)
            return err("kv-sim: ", cfg_.memory_positions, " positions of memory are fewer than the maximum length ",
                       cfg_.max_length);
        arena_ = std::make_unique<ContiguousArena>(res_.capacity);
    }
    for (std::size_t i = 0; i < reqs_.size(); ++i) {
        if (reqs_[i].prompt_tokens + reqs_[i].output_tokens > cfg_.max_length)
            return err("kv-sim: request ", i + 1, " needs ", reqs_[i].prompt_tokens + reqs_[i].output_tokens,
                       " positions, above the maximum length ", cfg_.max_length);
        queue_.push_back(make_job(i));
    }

    // Steps while nobody waits count only if memory never runs short at all.
    SimResult idle = res_;
    int idle_steps = 0;
    while (!queue_.empty() || !running_.empty()) {
        while (!queue_.empty() && admit(queue_.front())) {
            running_.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        if (running_.empty()) return err("kv-sim: a request does not fit the empty memory");
        res_.max_running = std::max(res_.max_running, int(running_.size()));
        if (!queue_.empty()) {
            measure();
        } else if (res_.measured_steps == 0) {
            std::swap(res_, idle);
            measure();
            std::swap(res_, idle);
            ++idle_steps;
        }
        grow();
        for (std::size_t k = 0; k < running_.size();) {
            Job& j = running_[k];
            if (int(j.ids.size()) >= j.final_length) {
                release(j);
                running_.erase(running_.begin() + std::ptrdiff_t(k));
            } else {
                ++k;
            }
        }
        ++res_.steps;
    }
    if (res_.measured_steps == 0 && idle_steps > 0) {
        res_.memory_bound = false;
        res_.token_states = idle.token_states;
        res_.reserved = idle.reserved;
        res_.internal = idle.internal;
        res_.external = idle.external;
        res_.mean_running = idle.mean_running;
        res_.measured_steps = idle.measured_steps;
    }
    const double n = std::max(1, res_.measured_steps);
    res_.token_states /= n;
    res_.reserved /= n;
    res_.internal /= n;
    res_.external /= n;
    res_.mean_running /= n;
    return res_;
}

}  // namespace

Result<SimResult> simulate_kv(const SimConfig& config, const std::vector<SimRequest>& requests, const SimStrategy& s) {
    return Simulator(config, requests, s).run();
}

}  // namespace kvs
