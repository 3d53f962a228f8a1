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
         {"step", "phase", "first_pos", "n_positions", "input_tokens", "sampled_token", "sampled_label",
          "sampled_text", "top_ids", "top_probs", "wall_ms", "device_ms", "stops"}},
        {w->kv_, "kv.csv",
         {"step", "layer", "first_pos", "n_positions", "bytes_written", "layer_bytes_used", "layer_bytes_allocated",
          "total_bytes_used", "total_bytes_allocated"}},
        {w->attention_, "attention.csv", {"step", "layer", "head", "query_pos", "key_pos", "prob"}},
        {w->op_costs_, "op_costs.csv", {"step", "layer", "op", "flops", "bytes_read", "bytes_written", "measured_ms"}},
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
        write_row(steps_, {num(s->step), to_string(s->phase), num(s->first_pos), num(s->n_positions),
                           join_ints(s->input_tokens), num(s->sampled_token), s->sampled_label, s->sampled_text,
                           join_ints(top_ids), top_probs, num(s->wall_ms), num(s->device_ms), s->stops ? "1" : "0"});
    } else if (const auto* k = std::get_if<KvAppend>(&event)) {
        write_row(kv_, {num(k->step), num(k->layer), num(k->first_pos), num(k->n_positions), num(k->bytes_written),
                        num(k->layer_bytes_used), num(k->layer_bytes_allocated), num(k->total_bytes_used),
                        num(k->total_bytes_allocated)});
    } else if (const auto* a = std::get_if<AttentionEvent>(&event)) {
        // probs [n_queries, n_keys]; row q covers keys 0..first_query + q (the rest are masked).
        std::string prefix = num(a->step);
        for (int v : {a->layer, a->head}) {
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
        write_row(op_costs_, {num(o->step), num(o->layer), to_string(o->op), num(o->flops), num(o->bytes_read),
                              num(o->bytes_written), num(o->measured_ms)});
    }
}

Status CsvEventWriter::close() {
    for (std::ofstream* f : {&steps_, &kv_, &attention_, &op_costs_}) {
        if (!f->is_open()) continue;
        f->flush();
        if (!*f) failed_ = true;
        f->close();
    }
    if (failed_) return err("writing the CSV tables in '", dir_, "' failed (disk full or directory removed?)");
    return {};
}

}  // namespace kvs
