#include "core/backend.h"

#include <algorithm>
#include <set>

namespace kvs {

bool AttentionCapture::wants(int layer, int head) const {
    if (mode == Mode::Off) return false;
    auto has = [](const std::vector<int>& v, int x) { return v.empty() || std::find(v.begin(), v.end(), x) != v.end(); };
    return has(layers, layer) && has(heads, head);
}

Status check_pool_options(const BackendOptions& o) {
    if (o.kv_capacity < 0) return err("KV capacity must be >= 0 (0 = the model's context), got ", o.kv_capacity);
    if (o.block_size < 0) return err("KV block size must be >= 0 (0 = one block per sequence), got ", o.block_size);
    if (o.max_sequences < 1) return err("the KV pool must hold at least 1 sequence, got ", o.max_sequences);
    if (o.kv_blocks < 0) return err("KV blocks must be >= 0 (0 = enough for every sequence), got ", o.kv_blocks);
    return {};
}

KvLayout cache_layout(const ModelConfig& cfg, const BackendOptions& options, KvDtype dtype) {
    KvLayout layout;
    layout.n_layers = cfg.n_layers;
    layout.n_kv_heads = cfg.n_kv_heads;
    layout.head_dim = cfg.head_dim();
    layout.capacity = options.kv_capacity > 0 ? std::min(options.kv_capacity, cfg.max_seq_len)
                                              : std::min(cfg.max_seq_len, kDefaultMaxKvCapacity);
    layout.batch = std::max(1, options.max_sequences);
    layout.dtype = dtype;
    layout.block_size = options.block_size > 0 ? std::min(options.block_size, layout.capacity) : layout.capacity;
    layout.n_blocks = options.kv_blocks > 0 ? options.kv_blocks : layout.batch * layout.blocks_per_sequence();
    return layout;
}

Backend::~Backend() = default;

void Backend::init_pool(const KvLayout& layout, const BackendOptions& options, const ModelConfig& config) {
    config_ = config;
    const int vocab_size = config.vocab_size;
    kv_ = std::make_unique<KvPool>(layout, options.block_order, options.block_seed);
    kv_->set_prefix_caching(options.prefix_cache);
    const int id = kv_->create_sequence();
    (void)id;  // == kDefaultSequence: the first id of a fresh pool
    vocab_size_ = vocab_size;
}

Status Backend::check(const ForwardBatch& batch) const {
    if (batch.sequences.empty()) return err("forward: the batch has no sequences");
    const KvLayout& layout = kv_->layout();
    std::set<int> seen;
    int blocks = 0;
    for (const SequenceInput& s : batch.sequences) {
        if (!kv_->contains(s.sequence)) return err("forward: sequence ", s.sequence, " does not exist in the KV pool");
        if (!seen.insert(s.sequence).second) return err("forward: sequence ", s.sequence, " appears twice in the batch");
        const int n = int(s.tokens.size());
        if (n == 0) return err("forward: no tokens to process (sequence ", s.sequence, ")");
        const int length = kv_->length(s.sequence);
        const int first_position = s.first_position < 0 ? length : s.first_position;
        const int last = std::max(length, first_position) + n;
        if (last > layout.capacity)
            return err("context full: positions up to ", last, " exceed the KV cache capacity of ", layout.capacity,
                       " positions (sequence ", s.sequence, ")");
        for (int t : s.tokens)
            if (t < 0 || t >= vocab_size_)
                return err("token id ", t, " is outside the vocabulary (0..", vocab_size_ - 1, ")");
        blocks += kv_->blocks_needed(s.sequence, n);
    }
    const BlockAllocator& a = kv_->allocator();
    if (blocks > a.available())
        return err("KV pool full: the batch needs ", blocks, " more blocks of ", layout.block_positions(),
                   " positions, the pool has ", a.free_count(), " free and ", a.cached_count(), " cached (",
                   layout.n_blocks, " blocks in all)");
    return {};
}

Status Backend::forward(const ForwardBatch& batch, ForwardOutput& out) {
    KVS_TRY(check(batch));
    Pass pass;
    pass.capture = &batch.capture;
    out.first_logit_row.clear();
    for (const SequenceInput& s : batch.sequences) {
        PassSequence p;
        p.sequence = s.sequence;
        p.tokens = s.tokens;
        p.first_slot = kv_->length(s.sequence);
        p.first_position = s.first_position < 0 ? p.first_slot : s.first_position;
        p.all_logits = s.all_logits;
        p.row0 = pass.rows;
        p.logit_row0 = pass.logit_rows;
        pass.rows += p.n();
        pass.logit_rows += s.all_logits ? p.n() : 1;
        kv_->append(s.sequence, s.tokens, p.first_position);
        p.table = &kv_->table(s.sequence);
        out.first_logit_row.push_back(p.logit_row0);
        pass.sequences.push_back(p);
    }
    pass.copies = kv_->take_copies();
    pass.tap = &batch.tap;
    out.activations.clear();
    Status status;
    if (batch.tap.active()) {
        auto plan = plan_activations(batch.tap, config_, pass.rows, pass.logit_rows);
        if (plan.ok()) out.activations = std::move(plan).value();
        else status = plan.error();
    }
    if (status) status = execute(pass, out);
    if (status)
        if (Activation* logits = find_activation(out.activations, -1, TapPoint::Logits))
            logits->values = out.logits;
    for (const SequenceInput& s : batch.sequences) {
        if (status) kv_->commit(s.sequence);
        else kv_->rollback(s.sequence);
    }
    return status;
}

Status Backend::forward(std::span<const int> tokens, int start_pos, bool all_logits, const AttentionCapture& capture,
                        ForwardOutput& out) {
    if (tokens.empty()) return err("forward: no tokens to process");
    if (start_pos != cache_length())
        return err("forward: start position ", start_pos, " does not follow the cache, which holds ", cache_length(),
                   " positions");
    ForwardBatch batch;
    batch.sequences.push_back({kDefaultSequence, tokens, start_pos, all_logits});
    batch.capture = capture;
    return forward(batch, out);
}

void Backend::truncate_cache(int length) {
    (void)kv_->truncate(kDefaultSequence, std::clamp(length, 0, cache_length()));
}

Status Backend::read_kv(int layer, int kv_head, std::vector<float>& keys, std::vector<float>& values) const {
    return read_kv(kDefaultSequence, layer, kv_head, keys, values);
}

Status Backend::read_kv(int sequence, int layer, int kv_head, std::vector<float>& keys,
                        std::vector<float>& values) const {
    const KvLayout& l = kv_->layout();
    if (layer < 0 || layer >= l.n_layers || kv_head < 0 || kv_head >= l.n_kv_heads)
        return err("read_kv: layer ", layer, " / kv head ", kv_head, " out of range (", l.n_layers, " layers, ",
                   l.n_kv_heads, " KV heads)");
    if (!kv_->contains(sequence)) return err("read_kv: sequence ", sequence, " does not exist");
    const BlockTable& table = kv_->table(sequence);
    return read_slots(table, table.length(), layer, kv_head, keys, values);
}

}  // namespace kvs
