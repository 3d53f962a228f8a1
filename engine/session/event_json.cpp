#include "session/event_json.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>
#include <cstdlib>

#include "model/json_file.h"

namespace kvs {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;  // keeps "type" and "schema" first, fields in struct order

ojson config_to_json(const ModelConfig& c) {
    return {{"arch", to_string(c.arch)},
            {"name", c.name},
            {"dim", c.dim},
            {"hidden_dim", c.hidden_dim},
            {"n_layers", c.n_layers},
            {"n_heads", c.n_heads},
            {"n_kv_heads", c.n_kv_heads},
            {"vocab_size", c.vocab_size},
            {"max_seq_len", c.max_seq_len},
            {"norm_eps", shortest_float(c.norm_eps)},
            {"rope_theta", shortest_float(c.rope_theta)},
            {"rope_dim", c.rope_dim},
            {"rope_style", to_string(c.rope_style)},
            {"tied_classifier", c.tied_classifier},
            {"qkv_bias", c.qkv_bias}};
}

ojson layout_to_json(const KvLayout& l) {
    return {{"n_layers", l.n_layers},    {"n_kv_heads", l.n_kv_heads},         {"head_dim", l.head_dim},
            {"capacity", l.capacity},    {"batch", l.batch},                   {"dtype", to_string(l.dtype)},
            {"block_size", l.block_positions()}, {"n_blocks", l.pool_blocks()}};
}

ojson usage_to_json(const KvPoolUsage& u) {
    ojson seqs = ojson::array();
    for (const auto& q : u.sequences)
        seqs.push_back({{"sequence", q.sequence},
                        {"tokens", q.tokens},
                        {"blocks", q.blocks},
                        {"shared_blocks", q.shared_blocks},
                        {"bytes_held", q.bytes_held},
                        {"formula_bytes", q.formula_bytes}});
    return {{"block_size", u.block_size},       {"n_blocks", u.n_blocks},
            {"used_blocks", u.used_blocks},     {"shared_blocks", u.shared_blocks},
            {"cached_blocks", u.cached_blocks}, {"free_blocks", u.free_blocks},
            {"block_bytes", u.block_bytes},     {"pool_bytes", u.pool_bytes},
            {"bytes_held", u.bytes_held},       {"bytes_cached", u.bytes_cached},
            {"formula_bytes", u.formula_bytes}, {"sequences", seqs}};
}

struct ToJson {
    ojson operator()(const RunStarted& e) const {
        ojson seqs = ojson::array();
        for (const auto& q : e.sequences)
            seqs.push_back({{"sequence", q.sequence}, {"prompt_tokens", q.prompt_tokens}, {"prompt_labels", q.prompt_labels}});
        return {{"config", config_to_json(e.config)},       {"backend", e.backend},
                {"device", e.device},                       {"use_cache", e.use_cache},
                {"prefix_cache", e.prefix_cache},           {"kv_layout", layout_to_json(e.kv_layout)},
                {"prompt_tokens", e.prompt_tokens},         {"prompt_labels", e.prompt_labels},
                {"sequences", seqs},                        {"cached_blocks", e.cached_blocks}};
    }
    ojson operator()(const StepStarted& e) const {
        return {{"step", e.step}, {"sequence", e.sequence}, {"phase", to_string(e.phase)}, {"first_pos", e.first_pos},
                {"input_tokens", e.input_tokens}};
    }
    ojson operator()(const StepFinished& e) const {
        const auto probs = [](const std::vector<TokenProbability>& list) {
            ojson a = ojson::array();
            for (const auto& t : list)
                a.push_back({{"id", t.id}, {"probability", shortest_float(t.probability)}, {"label", t.label}});
            return a;
        };
        return {{"step", e.step},
                {"sequence", e.sequence},
                {"phase", to_string(e.phase)},
                {"first_pos", e.first_pos},
                {"n_positions", e.n_positions},
                {"input_tokens", e.input_tokens},
                {"sampled_token", e.sampled_token},
                {"sampled_label", e.sampled_label},
                {"sampled_text", e.sampled_text},
                {"top", probs(e.top)},
                {"top_filtered", probs(e.top_filtered)},
                {"entropy", e.entropy},
                {"argmax", e.argmax},
                {"forced", e.forced},
                {"sampler_token", e.sampler_token},
                {"wall_ms", e.wall_ms},
                {"device_ms", e.device_ms},
                {"stops", e.stops}};
    }
    ojson operator()(const KvAppend& e) const {
        return {{"step", e.step},
                {"sequence", e.sequence},
                {"layer", e.layer},
                {"first_pos", e.first_pos},
                {"n_positions", e.n_positions},
                {"bytes_written", e.bytes_written},
                {"layer_bytes_used", e.layer_bytes_used},
                {"layer_bytes_allocated", e.layer_bytes_allocated},
                {"total_bytes_used", e.total_bytes_used},
                {"total_bytes_allocated", e.total_bytes_allocated},
                {"formula_bytes", e.formula_bytes},
                {"blocks", e.blocks}};
    }
    ojson operator()(const AttentionEvent& e) const {
        // probs [n_queries, n_keys] as one array per query row.
        ojson rows = ojson::array();
        for (int q = 0; q < e.n_queries; ++q) {
            ojson row = ojson::array();
            for (int k = 0; k < e.n_keys; ++k) {
                const std::size_t i = std::size_t(q) * e.n_keys + k;
                row.push_back(i < e.probs.size() ? shortest_float(e.probs[i]) : 0.0);
            }
            rows.push_back(std::move(row));
        }
        return {{"step", e.step},         {"sequence", e.sequence},   {"layer", e.layer},         {"head", e.head},
                {"kv_head", e.kv_head},   {"first_query", e.first_query}, {"n_queries", e.n_queries},
                {"n_keys", e.n_keys},     {"probs", rows}};
    }
    ojson operator()(const OpCostEvent& e) const {
        return {{"step", e.step},
                {"sequence", e.sequence},
                {"layer", e.layer},
                {"op", to_string(e.op)},
                {"flops", e.flops},
                {"bytes_read", e.bytes_read},
                {"bytes_written", e.bytes_written},
                {"measured_ms", e.measured_ms}};
    }
    ojson operator()(const RunFinished& e) const {
        ojson seqs = ojson::array();
        for (const auto& q : e.sequences)
            seqs.push_back({{"sequence", q.sequence}, {"generated_tokens", q.generated_tokens}, {"stop_reason", q.stop_reason}});
        return {{"steps", e.steps},
                {"generated_tokens", e.generated_tokens},
                {"stop_reason", e.stop_reason},
                {"wall_ms", e.wall_ms},
                {"sequences", seqs}};
    }
    ojson operator()(const BlockEvent& e) const {
        return {{"step", e.step},         {"kind", to_string(e.kind)}, {"block", e.block},  {"sequence", e.sequence},
                {"logical", e.logical},   {"source", e.source},        {"refcount", e.refcount}};
    }
    ojson operator()(const PrefixHit& e) const {
        return {{"step", e.step},
                {"sequence", e.sequence},
                {"prompt_tokens", e.prompt_tokens},
                {"reused_tokens", e.reused_tokens},
                {"full_blocks", e.full_blocks},
                {"partial_tokens", e.partial_tokens},
                {"flops_saved", e.flops_saved}};
    }
    ojson operator()(const PoolState& e) const {
        ojson j = {{"step", e.step}};
        j.update(usage_to_json(e.usage));
        return j;
    }
    ojson operator()(const Rewound& e) const {
        return {{"step", e.step}, {"sequence", e.sequence}, {"tokens", e.tokens}, {"cache_length", e.cache_length}};
    }
    ojson operator()(const BranchChanged& e) const {
        return {{"step", e.step},     {"kind", to_string(e.kind)}, {"branch", e.branch},
                {"from", e.from},     {"sequence", e.sequence},    {"fork_step", e.fork_step}};
    }
    ojson operator()(const BreakpointHit& e) const {
        return {{"step", e.step},     {"sequence", e.sequence}, {"breakpoint", e.breakpoint},
                {"spec", e.spec},     {"detail", e.detail}};
    }
};

// Reading back. Errors are thrown and caught once, in event_from_json. nlohmann converts
// between number kinds without checks (an integer literal beyond 64 bits is read as a double,
// and a double beyond int converted to int is undefined behaviour), so kinds and ranges are
// checked here; every value the writer wrote reads back.
[[noreturn]] void bad_value(const char* key, const json& v, const std::string& expected) {
    throw std::invalid_argument(std::string("key '") + key + "' is " + json_brief(v) + ", expected " + expected);
}

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

template <typename T>
T checked(const json& v, const char* key) {
    if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean()) bad_value(key, v, "true or false");
        return v.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
        using L = std::numeric_limits<T>;
        const std::string range = "an integer in " + std::to_string(L::min()) + ".." + std::to_string(L::max());
        if (!v.is_number_integer()) bad_value(key, v, range);
        if (v.is_number_unsigned()) {
            if (v.get<std::uint64_t>() > std::uint64_t(L::max())) bad_value(key, v, range);
            return T(v.get<std::uint64_t>());
        }
        const std::int64_t i = v.get<std::int64_t>();
        if (i < std::int64_t(L::min()) || (i > 0 && std::uint64_t(i) > std::uint64_t(L::max()))) bad_value(key, v, range);
        return T(i);
    } else if constexpr (std::is_floating_point_v<T>) {
        if (!v.is_number()) bad_value(key, v, "a number");
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::abs(d) > double(std::numeric_limits<T>::max()))
            bad_value(key, v, std::is_same_v<T, float> ? "a number in float range" : "a finite number");
        return T(d);
    } else if constexpr (is_vector<T>::value) {
        if (!v.is_array()) bad_value(key, v, "an array");
        T out;
        out.reserve(v.size());
        for (const json& item : v) out.push_back(checked<typename T::value_type>(item, key));
        return out;
    } else {
        return v.get<T>();  // strings: nlohmann checks the kind
    }
}

template <typename T>
T get(const json& j, const char* key) {
    return checked<T>(j.at(key), key);
}

Phase phase_from(const json& j) {
    const auto s = get<std::string>(j, "phase");
    if (s == "prefill") return Phase::Prefill;
    if (s == "decode") return Phase::Decode;
    throw std::invalid_argument("'phase' must be \"prefill\" or \"decode\", got \"" + s + "\"");
}

ModelConfig config_from(const json& j) {
    ModelConfig c;
    const auto arch = get<std::string>(j, "arch");
    if (arch == "llama") c.arch = Architecture::Llama;
    else if (arch == "gpt2") c.arch = Architecture::Gpt2;
    else throw std::invalid_argument("config 'arch' must be \"llama\" or \"gpt2\", got \"" + arch + "\"");
    c.name = get<std::string>(j, "name");
    c.dim = get<int>(j, "dim");
    c.hidden_dim = get<int>(j, "hidden_dim");
    c.n_layers = get<int>(j, "n_layers");
    c.n_heads = get<int>(j, "n_heads");
    c.n_kv_heads = get<int>(j, "n_kv_heads");
    c.vocab_size = get<int>(j, "vocab_size");
    c.max_seq_len = get<int>(j, "max_seq_len");
    c.norm_eps = get<float>(j, "norm_eps");
    c.rope_theta = get<float>(j, "rope_theta");
    c.rope_dim = get<int>(j, "rope_dim");
    c.rope_style = get<std::string>(j, "rope_style") == "half-rotate" ? RopeStyle::HalfRotate : RopeStyle::AdjacentPairs;
    c.tied_classifier = get<bool>(j, "tied_classifier");
    c.qkv_bias = get<bool>(j, "qkv_bias");
    return c;
}

KvLayout layout_from(const json& j) {
    KvLayout l;
    l.n_layers = get<int>(j, "n_layers");
    l.n_kv_heads = get<int>(j, "n_kv_heads");
    l.head_dim = get<int>(j, "head_dim");
    l.capacity = get<int>(j, "capacity");
    l.batch = get<int>(j, "batch");
    const auto dtype = get<std::string>(j, "dtype");
    if (dtype != "f32" && dtype != "f16") throw std::invalid_argument("kv_layout 'dtype' must be f32 or f16");
    l.dtype = dtype == "f16" ? KvDtype::F16 : KvDtype::F32;
    l.block_size = get<int>(j, "block_size");
    l.n_blocks = get<int>(j, "n_blocks");
    return l;
}

KvPoolUsage usage_from(const json& j) {
    KvPoolUsage u;
    u.block_size = get<int>(j, "block_size");
    u.n_blocks = get<int>(j, "n_blocks");
    u.used_blocks = get<int>(j, "used_blocks");
    u.shared_blocks = get<int>(j, "shared_blocks");
    u.cached_blocks = get<int>(j, "cached_blocks");
    u.free_blocks = get<int>(j, "free_blocks");
    u.block_bytes = get<std::int64_t>(j, "block_bytes");
    u.pool_bytes = get<std::int64_t>(j, "pool_bytes");
    u.bytes_held = get<std::int64_t>(j, "bytes_held");
    u.bytes_cached = get<std::int64_t>(j, "bytes_cached");
    u.formula_bytes = get<std::int64_t>(j, "formula_bytes");
    for (const auto& q : j.at("sequences"))
        u.sequences.push_back({get<int>(q, "sequence"), get<int>(q, "tokens"), get<int>(q, "blocks"),
                               get<int>(q, "shared_blocks"), get<std::int64_t>(q, "bytes_held"),
                               get<std::int64_t>(q, "formula_bytes")});
    return u;
}

BlockEventKind block_kind_from(const std::string& s) {
    for (BlockEventKind k : {BlockEventKind::Allocated, BlockEventKind::Shared, BlockEventKind::Copied,
                             BlockEventKind::Released, BlockEventKind::Cached, BlockEventKind::Freed,
                             BlockEventKind::Evicted})
        if (s == to_string(k)) return k;
    throw std::invalid_argument("unknown block event 'kind' \"" + s + "\"");
}

Event event_from(const json& j, const std::string& type) {
    if (type == "run_started") {
        RunStarted e;
        e.config = config_from(j.at("config"));
        e.backend = get<std::string>(j, "backend");
        e.device = get<std::string>(j, "device");
        e.use_cache = get<bool>(j, "use_cache");
        e.prefix_cache = get<bool>(j, "prefix_cache");
        e.kv_layout = layout_from(j.at("kv_layout"));
        e.prompt_tokens = get<std::vector<int>>(j, "prompt_tokens");
        e.prompt_labels = get<std::vector<std::string>>(j, "prompt_labels");
        for (const auto& q : j.at("sequences"))
            e.sequences.push_back({get<int>(q, "sequence"), get<std::vector<int>>(q, "prompt_tokens"),
                                   get<std::vector<std::string>>(q, "prompt_labels")});
        e.cached_blocks = get<std::vector<int>>(j, "cached_blocks");
        return e;
    }
    if (type == "step_started") {
        return StepStarted{get<int>(j, "step"), get<int>(j, "sequence"), phase_from(j), get<int>(j, "first_pos"),
                           get<std::vector<int>>(j, "input_tokens")};
    }
    if (type == "step_finished") {
        StepFinished e;
        e.step = get<int>(j, "step");
        e.sequence = get<int>(j, "sequence");
        e.phase = phase_from(j);
        e.first_pos = get<int>(j, "first_pos");
        e.n_positions = get<int>(j, "n_positions");
        e.input_tokens = get<std::vector<int>>(j, "input_tokens");
        e.sampled_token = get<int>(j, "sampled_token");
        e.sampled_label = get<std::string>(j, "sampled_label");
        e.sampled_text = get<std::string>(j, "sampled_text");
        for (const auto& t : j.at("top"))
            e.top.push_back({get<int>(t, "id"), get<float>(t, "probability"), get<std::string>(t, "label")});
        // The debugger's fields came later within schema 2: absent in older files.
        if (j.contains("top_filtered"))
            for (const auto& t : j.at("top_filtered"))
                e.top_filtered.push_back({get<int>(t, "id"), get<float>(t, "probability"), get<std::string>(t, "label")});
        if (j.contains("entropy")) e.entropy = get<double>(j, "entropy");
        if (j.contains("argmax")) e.argmax = get<int>(j, "argmax");
        if (j.contains("forced")) e.forced = get<bool>(j, "forced");
        if (j.contains("sampler_token")) e.sampler_token = get<int>(j, "sampler_token");
        e.wall_ms = get<double>(j, "wall_ms");
        e.device_ms = get<double>(j, "device_ms");
        e.stops = get<bool>(j, "stops");
        return e;
    }
    if (type == "kv_append") {
        return KvAppend{get<int>(j, "step"),
                        get<int>(j, "sequence"),
                        get<int>(j, "layer"),
                        get<int>(j, "first_pos"),
                        get<int>(j, "n_positions"),
                        get<std::int64_t>(j, "bytes_written"),
                        get<std::int64_t>(j, "layer_bytes_used"),
                        get<std::int64_t>(j, "layer_bytes_allocated"),
                        get<std::int64_t>(j, "total_bytes_used"),
                        get<std::int64_t>(j, "total_bytes_allocated"),
                        get<std::int64_t>(j, "formula_bytes"),
                        get<int>(j, "blocks")};
    }
    if (type == "attention") {
        AttentionEvent e;
        e.step = get<int>(j, "step");
        e.sequence = get<int>(j, "sequence");
        e.layer = get<int>(j, "layer");
        e.head = get<int>(j, "head");
        e.kv_head = get<int>(j, "kv_head");
        e.first_query = get<int>(j, "first_query");
        e.n_queries = get<int>(j, "n_queries");
        e.n_keys = get<int>(j, "n_keys");
        const json& rows = j.at("probs");
        if (!rows.is_array() || int(rows.size()) != e.n_queries)
            throw std::invalid_argument("'probs' must hold n_queries = " + std::to_string(e.n_queries) + " rows");
        for (const auto& row : rows) {
            if (!row.is_array() || int(row.size()) != e.n_keys)
                throw std::invalid_argument("every 'probs' row must hold n_keys = " + std::to_string(e.n_keys) +
                                            " values");
            for (const auto& v : row) e.probs.push_back(checked<float>(v, "probs"));
        }
        return e;
    }
    if (type == "op_cost") {
        OpCostEvent e;
        e.step = get<int>(j, "step");
        e.sequence = get<int>(j, "sequence");
        e.layer = get<int>(j, "layer");
        const auto op = get<std::string>(j, "op");
        if (!op_from_string(op.c_str(), e.op)) throw std::invalid_argument("unknown 'op' \"" + op + "\"");
        e.flops = get<double>(j, "flops");
        e.bytes_read = get<double>(j, "bytes_read");
        e.bytes_written = get<double>(j, "bytes_written");
        e.measured_ms = get<double>(j, "measured_ms");
        return e;
    }
    if (type == "run_finished") {
        RunFinished e{get<int>(j, "steps"), get<int>(j, "generated_tokens"), get<std::string>(j, "stop_reason"),
                      get<double>(j, "wall_ms"), {}};
        for (const auto& q : j.at("sequences"))
            e.sequences.push_back({get<int>(q, "sequence"), get<int>(q, "generated_tokens"), get<std::string>(q, "stop_reason")});
        return e;
    }
    if (type == "block") {
        return BlockEvent{get<int>(j, "step"),    block_kind_from(get<std::string>(j, "kind")), get<int>(j, "block"),
                          get<int>(j, "sequence"), get<int>(j, "logical"), get<int>(j, "source"),
                          get<int>(j, "refcount")};
    }
    if (type == "prefix_hit") {
        return PrefixHit{get<int>(j, "step"),           get<int>(j, "sequence"),      get<int>(j, "prompt_tokens"),
                         get<int>(j, "reused_tokens"),  get<int>(j, "full_blocks"),   get<int>(j, "partial_tokens"),
                         get<double>(j, "flops_saved")};
    }
    if (type == "pool_state") return PoolState{get<int>(j, "step"), usage_from(j)};
    if (type == "rewound")
        return Rewound{get<int>(j, "step"), get<int>(j, "sequence"), get<int>(j, "tokens"), get<int>(j, "cache_length")};
    if (type == "branch_changed") {
        BranchChanged e;
        e.step = get<int>(j, "step");
        const auto kind = get<std::string>(j, "kind");
        if (kind == "created") e.kind = BranchChanged::Kind::Created;
        else if (kind == "switched") e.kind = BranchChanged::Kind::Switched;
        else if (kind == "dropped") e.kind = BranchChanged::Kind::Dropped;
        else throw std::invalid_argument("unknown branch 'kind' \"" + kind + "\"");
        e.branch = get<int>(j, "branch");
        e.from = get<int>(j, "from");
        e.sequence = get<int>(j, "sequence");
        e.fork_step = get<int>(j, "fork_step");
        return e;
    }
    if (type == "breakpoint_hit")
        return BreakpointHit{get<int>(j, "step"), get<int>(j, "sequence"), get<int>(j, "breakpoint"),
                             get<std::string>(j, "spec"), get<std::string>(j, "detail")};
    throw std::invalid_argument("unknown event type \"" + type + "\"");
}

}  // namespace

double shortest_float(float f) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf - 1, f);
    *r.ptr = '\0';
    return std::strtod(buf, nullptr);
}

ojson event_to_json(const Event& event) {
    ojson body = std::visit(ToJson{}, event);
    ojson j = {{"type", event_type_name(event)}, {"schema", kEventSchemaVersion}};
    j.update(body);
    return j;
}

// Token text can end inside a multi-byte UTF-8 character; JSON strings cannot hold such bytes,
// so they are written as U+FFFD (dump would otherwise throw).
std::string event_to_json_line(const Event& event) {
    return event_to_json(event).dump(-1, ' ', false, ojson::error_handler_t::replace);
}

Result<Event> event_from_json(const json& j) {
    if (!j.is_object()) return err("event: expected a JSON object");
    auto type = j.find("type");
    if (type == j.end() || !type->is_string()) return err("event: missing string key 'type'");
    auto schema = j.find("schema");
    if (schema == j.end() || !schema->is_number_integer())
        return err("event '", type->get<std::string>(), "': missing integer key 'schema'");
    if (*schema != kEventSchemaVersion)
        return err("event '", type->get<std::string>(), "': schema ", json_brief(*schema), ", this build reads schema ",
                   kEventSchemaVersion);
    try {
        return event_from(j, type->get<std::string>());
    } catch (const std::exception& e) {
        return err("event '", type->get<std::string>(), "': ", e.what());
    }
}

Result<Event> parse_event_line(std::string_view line) {
    KVS_TRY(check_json_depth(line, "event line"));
    json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return err("event line is not valid JSON: ", std::string(line.substr(0, 80)));
    return event_from_json(j);
}

Result<std::unique_ptr<JsonLinesWriter>> JsonLinesWriter::open(const std::string& path) {
    std::unique_ptr<JsonLinesWriter> w(new JsonLinesWriter(path));
    w->out_.open(path, std::ios::binary | std::ios::trunc);
    if (!w->out_) return err("cannot open '", path, "' for writing");
    return w;
}

void JsonLinesWriter::on_event(const Event& event) {
    if (failed_) return;
    out_ << event_to_json_line(event) << '\n';
    if (!out_) failed_ = true;
    else ++lines_;
}

Status JsonLinesWriter::close() {
    if (out_.is_open()) {
        out_.flush();
        if (!out_) failed_ = true;
        out_.close();
    }
    if (failed_) return err("writing '", path_, "' failed after ", lines_, " events (disk full or file removed?)");
    return {};
}

}  // namespace kvs
