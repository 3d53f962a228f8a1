#include "session/event_csv.h"

#include <charconv>
#include <filesystem>

namespace kvs {
namespace {

// The shortest decimal text that reads back to the same value.
template <typename T>
std::string num(T v) {
    char buf[40];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::string join_ints(const std::vector<int>& v) {
    std::string s;
    for (int x : v) {
        if (!s.empty()) s += ' ';
        s += std::to_string(x);
    }
    return s;
}

}  // namespace

std::string csv_field(std::string_view s) {
    const bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!s.empty() && (s.front() == ' ' || s.back() == ' '));
    if (!quote) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool in_quotes = false, row_has_data = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_quotes) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                in_quotes = false;
            } else {
                field += c;
            }
            continue;
        }
        if (c == '"') {
            in_quotes = true;
            row_has_data = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
            row_has_data = true;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            if (row_has_data || !field.empty()) {
                row.push_back(std::move(field));
                rows.push_back(std::move(row));
            }
            field.clear();
            row.clear();
            row_has_data = false;
        } else {
            field += c;
            row_has_data = true;
        }
    }
    if (row_has_data || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return rows;
}

Result<std::unique_ptr<CsvEventWriter>> CsvEventWriter::open(const std::string& directory) {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec) return err("cannot create directory '", directory, "': ", ec.message());
    std::unique_ptr<CsvEventWriter> w(new CsvEventWriter(directory));
    struct File {
        std::ofstream& stream;
        const char* name;
        std::vector<std::string> header;
    };
    const File files[] = {
        {w->steps_, "steps.csv",
         {"step", "sequence", "phase", "first_pos", "n_positions", "input_tokens", "sampled_token", "sampled_label",
          "sampled_text", "top_ids", "top_probs", "wall_ms", "device_ms", "stops"}},
        {w->kv_, "kv.csv",
         {"step", "sequence", "layer", "first_pos", "n_positions", "bytes_written", "layer_bytes_used",
          "layer_bytes_allocated", "total_bytes_used", "total_bytes_allocated", "formula_bytes", "blocks"}},
        {w->attention_, "attention.csv", {"step", "sequence", "layer", "head", "query_pos", "key_pos", "prob"}},
        {w->op_costs_, "op_costs.csv",
         {"step", "sequence", "layer", "op", "flops", "bytes_read", "bytes_written", "measured_ms"}},
        {w->blocks_, "blocks.csv", {"step", "kind", "block", "sequence", "logical", "source", "refcount"}},
        {w->pool_, "pool.csv",
         {"step", "block_size", "n_blocks", "used_blocks", "shared_blocks", "cached_blocks", "free_blocks",
          "block_bytes", "pool_bytes", "bytes_held", "bytes_cached", "formula_bytes", "waste_bytes"}},
        {w->memory_, "memory.csv",
         {"step", "sequence", "tokens", "blocks", "shared_blocks", "bytes_held", "formula_bytes", "waste_bytes"}},
        {w->prefix_, "prefix_hits.csv",
         {"step", "sequence", "prompt_tokens", "reused_tokens", "full_blocks", "partial_tokens", "flops_saved"}},
    };
    for (const File& f : files) {
        const std::string path = (std::filesystem::path(directory) / f.name).string();
        f.stream.open(path, std::ios::binary | std::ios::trunc);
        if (!f.stream) return err("cannot open '", path, "' for writing");
        w->write_row(f.stream, f.header);
    }
    if (w->failed_) return err("cannot write the CSV headers in '", directory, "'");
    return w;
}

void CsvEventWriter::write_row(std::ofstream& out, const std::vector<std::string>& fields) {
    std::string line;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) line += ',';
        line += csv_field(fields[i]);
    }
    line += '\n';
    out << line;
    if (!out) failed_ = true;
}

void CsvEventWriter::on_event(const Event& event) {
    if (failed_) return;
    if (const auto* s = std::get_if<StepFinished>(&event)) {
        std::vector<int> top_ids;
        std::string top_probs;
        for (const auto& t : s->top) {
            top_ids.push_back(t.id);
            if (!top_probs.empty()) top_probs += ' ';
            top_probs += num(t.probability);
        }
        write_row(steps_, {num(s->step), num(s->sequence), to_string(s->phase), num(s->first_pos), num(s->n_positions),
                           join_ints(s->input_tokens), num(s->sampled_token), s->sampled_label, s->sampled_text,
                           join_ints(top_ids), top_probs, num(s->wall_ms), num(s->device_ms), s->stops ? "1" : "0"});
    } else if (const auto* k = std::get_if<KvAppend>(&event)) {
        write_row(kv_, {num(k->step), num(k->sequence), num(k->layer), num(k->first_pos), num(k->n_positions),
                        num(k->bytes_written), num(k->layer_bytes_used), num(k->layer_bytes_allocated),
                        num(k->total_bytes_used), num(k->total_bytes_allocated), num(k->formula_bytes),
                        num(k->blocks)});
    } else if (const auto* a = std::get_if<AttentionEvent>(&event)) {
        // probs [n_queries, n_keys]; row q covers keys 0..first_query + q (the rest are masked).
        std::string prefix = num(a->step);
        for (int v : {a->sequence, a->layer, a->head}) {
            prefix += ',';
            prefix += num(v);
        }
        prefix += ',';
        std::string block;
        for (int q = 0; q < a->n_queries; ++q) {
            const int pos = a->first_query + q;
            const int keys = std::min(a->n_keys, pos + 1);
            for (int key = 0; key < keys; ++key) {
                const std::size_t i = std::size_t(q) * a->n_keys + key;
                if (i >= a->probs.size()) break;
                block += prefix;
                block += num(pos);
                block += ',';
                block += num(key);
                block += ',';
                block += num(a->probs[i]);
                block += '\n';
            }
        }
        attention_ << block;
        if (!attention_) failed_ = true;
    } else if (const auto* o = std::get_if<OpCostEvent>(&event)) {
        write_row(op_costs_, {num(o->step), num(o->sequence), num(o->layer), to_string(o->op), num(o->flops),
                              num(o->bytes_read), num(o->bytes_written), num(o->measured_ms)});
    } else if (const auto* b = std::get_if<BlockEvent>(&event)) {
        write_row(blocks_, {num(b->step), to_string(b->kind), num(b->block), num(b->sequence), num(b->logical),
                            num(b->source), num(b->refcount)});
    } else if (const auto* ps = std::get_if<PoolState>(&event)) {
        const KvPoolUsage& u = ps->usage;
        write_row(pool_, {num(ps->step), num(u.block_size), num(u.n_blocks), num(u.used_blocks), num(u.shared_blocks),
                          num(u.cached_blocks), num(u.free_blocks), num(u.block_bytes), num(u.pool_bytes),
                          num(u.bytes_held), num(u.bytes_cached), num(u.formula_bytes),
                          num(u.bytes_held - u.formula_bytes)});
        for (const SequenceKvUsage& q : u.sequences)
            write_row(memory_, {num(ps->step), num(q.sequence), num(q.tokens), num(q.blocks), num(q.shared_blocks),
                                num(q.bytes_held), num(q.formula_bytes), num(q.waste_bytes())});
    } else if (const auto* h = std::get_if<PrefixHit>(&event)) {
        write_row(prefix_, {num(h->step), num(h->sequence), num(h->prompt_tokens), num(h->reused_tokens),
                            num(h->full_blocks), num(h->partial_tokens), num(h->flops_saved)});
    }
}

Status CsvEventWriter::close() {
    for (std::ofstream* f : {&steps_, &kv_, &attention_, &op_costs_, &blocks_, &pool_, &memory_, &prefix_}) {
        if (!f->is_open()) continue;
        f->flush();
        if (!*f) failed_ = true;
        f->close();
    }
    if (failed_) return err("writing the CSV tables in '", dir_, "' failed (disk full or directory removed?)");
    return {};
}

}  // namespace kvs
