// The GGUF reader on files written by the test writer: every metadata type round-trips,
// tensors of each stored type come back within their format's precision, and each kind of
// broken file gives an error that names the problem instead of a crash.
#include <QtTest>

#include <cmath>
#include <random>

#include "gguf_writer.h"
#include "model/dtype_convert.h"
#include "model/gguf_reader.h"
#include "model/gguf_tensors.h"

using namespace kvs;
using kvs::test::GgufWriter;

namespace {

GgufValue arr(GgufValueType t, std::vector<GgufValue> items) { return GgufValue{GgufArray{t, std::move(items)}}; }

std::vector<float> random_values(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 0.5f);
    std::vector<float> v(static_cast<std::size_t>(n));
    for (float& x : v) x = dist(rng);
    return v;
}

// Writes the file and opens it (as a Result, so error tests can look at the message).
Result<GgufFile> write_and_open(const GgufWriter& w, const QTemporaryDir& dir, const char* name = "t.gguf") {
    const std::string path = dir.filePath(name).toStdString();
    KVS_TRY(w.write(path));
    return GgufFile::open(path);
}

Result<GgufFile> open_bytes(const std::vector<std::uint8_t>& bytes, const QTemporaryDir& dir) {
    const std::string path = dir.filePath("bad.gguf").toStdString();
    KVS_TRY(kvs::test::write_file(path, bytes));
    return GgufFile::open(path);
}

// Fails unless `r` is an error whose message contains every fragment.
template <typename T>
void expect_error(const Result<T>& r, std::initializer_list<const char*> fragments) {
    QVERIFY2(!r.ok(), "expected an error");
    for (const char* f : fragments)
        QVERIFY2(r.message().find(f) != std::string::npos,
                 qPrintable(QString("message '%1' lacks '%2'").arg(QString::fromStdString(r.message()), f)));
}

}  // namespace

class TestGgufReader : public QObject {
    Q_OBJECT

private slots:
    void everyValueTypeRoundTrips() {
        QTemporaryDir dir;
        GgufWriter w;
        w.add("t.u8", GgufValue{std::uint8_t(250)});
        w.add("t.i8", GgufValue{std::int8_t(-120)});
        w.add("t.u16", GgufValue{std::uint16_t(65000)});
        w.add("t.i16", GgufValue{std::int16_t(-32000)});
        w.add("t.u32", GgufValue{std::uint32_t(4000000000u)});
        w.add("t.i32", GgufValue{std::int32_t(-2000000000)});
        w.add("t.f32", GgufValue{1.5e-5f});
        w.add("t.bool", GgufValue{true});
        w.add("t.str", GgufValue{std::string("héllo ▁wörld")});
        w.add("t.u64", GgufValue{std::uint64_t(1) << 40});
        w.add("t.i64", GgufValue{std::int64_t(-(std::int64_t(1) << 50))});
        w.add("t.f64", GgufValue{3.141592653589793});
        w.add_string_array("t.strs", {"a", "", "ĠHello", "<0x0A>"});
        w.add_f32_array("t.f32s", {0.0f, -1.0f, -1e9f});
        w.add_i32_array("t.i32s", {1, 2, 3, 6});
        w.add("t.bools", arr(GgufValueType::Bool, {GgufValue{true}, GgufValue{false}}));
        w.add("t.u64s", arr(GgufValueType::Uint64, {GgufValue{std::uint64_t(7)}}));
        w.add("t.empty", arr(GgufValueType::Int16, {}));
        w.add("t.nested", arr(GgufValueType::Array, {arr(GgufValueType::Uint8, {GgufValue{std::uint8_t(9)}}),
                                                     arr(GgufValueType::String, {GgufValue{std::string("x")}})}));
        auto f = write_and_open(w, dir);
        QVERIFY2(f.ok(), f.ok() ? "" : f.message().c_str());
        QCOMPARE(f->version(), 3u);
        QCOMPARE(int(f->metadata().size()), 19);
        QCOMPARE(*f->get_int("t.u8"), std::int64_t(250));
        QCOMPARE(*f->get_int("t.i8"), std::int64_t(-120));
        QCOMPARE(*f->get_int("t.u16"), std::int64_t(65000));
        QCOMPARE(*f->get_int("t.i16"), std::int64_t(-32000));
        QCOMPARE(*f->get_int("t.u32"), std::int64_t(4000000000LL));
        QCOMPARE(*f->get_int("t.i32"), std::int64_t(-2000000000));
        QCOMPARE(*f->get_float("t.f32"), double(1.5e-5f));
        QCOMPARE(f->find("t.f32")->value.type(), GgufValueType::Float32);
        QCOMPARE(*f->get_bool("t.bool"), true);
        QCOMPARE(*f->get_string("t.str"), std::string("héllo ▁wörld"));
        QCOMPARE(*f->get_int("t.u64"), std::int64_t(1) << 40);
        QCOMPARE(*f->get_int("t.i64"), -(std::int64_t(1) << 50));
        QCOMPARE(*f->get_float("t.f64"), 3.141592653589793);
        QCOMPARE(f->find("t.f64")->value.type(), GgufValueType::Float64);
        QCOMPARE(*f->get_string_array("t.strs"), (std::vector<std::string>{"a", "", "ĠHello", "<0x0A>"}));
        QCOMPARE(*f->get_float_array("t.f32s"), (std::vector<float>{0.0f, -1.0f, -1e9f}));
        QCOMPARE(*f->get_int_array("t.i32s"), (std::vector<std::int64_t>{1, 2, 3, 6}));
        const auto& bools = std::get<GgufArray>(f->find("t.bools")->value.v);
        QCOMPARE(bools.element_type, GgufValueType::Bool);
        QCOMPARE(std::get<bool>(bools.items[0].v), true);
        QCOMPARE(std::get<bool>(bools.items[1].v), false);
        QCOMPARE(*f->get_int_array("t.u64s"), (std::vector<std::int64_t>{7}));
        QVERIFY(f->get_int_array("t.empty")->empty());
        const auto& nested = std::get<GgufArray>(f->find("t.nested")->value.v);
        QCOMPARE(int(nested.items.size()), 2);
        QCOMPARE(std::get<std::uint8_t>(std::get<GgufArray>(nested.items[0].v).items[0].v), std::uint8_t(9));
        QCOMPARE(std::get<std::string>(std::get<GgufArray>(nested.items[1].v).items[0].v), std::string("x"));
        QVERIFY(f->tensors().empty());
    }

    void gettersNameMissingKeysAndWrongTypes() {
        QTemporaryDir dir;
        GgufWriter w;
        w.add_string("general.architecture", "llama");
        w.add_u32("llama.context_length", 512);
        auto f = write_and_open(w, dir, "model.gguf");
        QVERIFY(f.ok());
        expect_error(f->get_int("llama.block_count"), {"model.gguf", "missing key 'llama.block_count'"});
        expect_error(f->get_int("general.architecture"), {"key 'general.architecture'", "is a string", "expected an integer"});
        expect_error(f->get_string("llama.context_length"), {"is a uint32", "expected a string"});
        expect_error(f->get_string_array("llama.context_length"), {"expected an array of string"});
        QCOMPARE(*f->get_int_or("llama.block_count", 7), std::int64_t(7));
        QCOMPARE(*f->get_int_or("llama.context_length", 7), std::int64_t(512));
        expect_error(f->get_int_or("general.architecture", 7), {"expected an integer"});
    }

    void tensorsOfEachTypeWithAlignment() {
        QTemporaryDir dir;
        const auto v = random_values(64 * 3, 1);
        for (std::uint32_t version : {2u, 3u}) {
            GgufWriter w(version);
            w.set_alignment(64);
            w.add_string("general.name", "tensors");
            w.add_tensor("a.f32", {64, 3}, GgmlType::F32, v);
            w.add_tensor("b.f16", {64, 3}, GgmlType::F16, v);
            w.add_tensor("c.bf16", {64, 3}, GgmlType::BF16, v);
            w.add_tensor("d.q8_0", {64, 3}, GgmlType::Q8_0, v);
            w.add_tensor("e.vec", {5}, GgmlType::F32, std::span<const float>(v).first(5));
            auto f = write_and_open(w, dir);
            QVERIFY2(f.ok(), f.ok() ? "" : f.message().c_str());
            QCOMPARE(f->version(), version);
            QCOMPARE(f->alignment(), std::uint64_t(64));
            QCOMPARE(f->data_offset() % 64, std::uint64_t(0));
            QCOMPARE(int(f->tensors().size()), 5);
            const GgufTensorInfo* q8 = f->find_tensor("d.q8_0");
            QVERIFY(q8 != nullptr);
            QCOMPARE(q8->dims, (std::vector<std::int64_t>{64, 3}));
            QCOMPARE(q8->type(), GgmlType::Q8_0);
            QCOMPARE(q8->byte_size, std::uint64_t(3 * 2 * 34));  // 2 blocks of 34 bytes per row
            for (const auto& t : f->tensors()) QCOMPARE(t.offset % 64, std::uint64_t(0));
            // Tolerances: F32 exact; F16 and BF16 half an ulp of 11 and 8 significant bits; Q8_0
            // half a quantization step (block max / 127 / 2) plus the F16 rounding of the scale.
            const struct { const char* name; float rel; bool q8; } checks[] = {
                {"a.f32", 0.0f, false}, {"b.f16", 1.0f / 2048, false}, {"c.bf16", 1.0f / 256, false},
                {"d.q8_0", 0.0f, true}};
            for (const auto& c : checks) {
                auto values = gguf_tensor_to_f32(*f, *f->find_tensor(c.name));
                QVERIFY(values.ok());
                QCOMPARE(int(values->size()), 64 * 3);
                for (std::size_t i = 0; i < v.size(); ++i) {
                    float tol = c.rel * std::fabs(v[i]);
                    if (c.q8) {
                        float amax = 0;
                        for (std::size_t j = i / 32 * 32; j < i / 32 * 32 + 32; ++j) amax = std::max(amax, std::fabs(v[j]));
                        tol = amax / 127.0f * 0.5f + amax * (1.0f / 2048);
                    }
                    if (std::fabs((*values)[i] - v[i]) > tol)
                        QFAIL(qPrintable(QString("%1[%2] = %3, wrote %4").arg(c.name).arg(i).arg((*values)[i]).arg(v[i])));
                }
            }
            auto vec = gguf_tensor_to_f32(*f, *f->find_tensor("e.vec"));
            QCOMPARE(*vec, std::vector<float>(v.begin(), v.begin() + 5));
        }
    }

    void defaultAlignmentIs32() {
        QTemporaryDir dir;
        GgufWriter w;
        w.add_string("general.name", "x");  // 8 + 4 + 8 + ... bytes: not a multiple of 32 by itself
        const std::vector<float> one{1.0f, 2.0f};
        w.add_tensor("t", {2}, GgmlType::F32, one);
        auto f = write_and_open(w, dir);
        QVERIFY(f.ok());
        QCOMPARE(f->alignment(), std::uint64_t(32));
        QCOMPARE(f->data_offset() % 32, std::uint64_t(0));
        QVERIFY(f->data_offset() > 0);
        QCOMPARE(*gguf_tensor_to_f32(*f, f->tensors()[0]), one);
    }

    void truncatedFileAtEveryLengthIsAnError() {
        QTemporaryDir dir;
        GgufWriter w;
        w.add_string("general.name", "trunc");
        w.add_string_array("t.strs", {"ab", "cd"});
        const auto v = random_values(32, 2);
        w.add_tensor("t", {32}, GgmlType::F32, v);
        const auto bytes = w.bytes();
        QVERIFY(open_bytes(bytes, dir).ok());
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            auto f = open_bytes(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + std::ptrdiff_t(n)), dir);
            QVERIFY2(!f.ok(), qPrintable(QString("a file cut to %1 of %2 bytes was accepted").arg(n).arg(bytes.size())));
        }
        // Header 24 bytes, key length 8 + "general.name" 12, type 4, value length 8: the value
        // "trunc" starts at byte 56.
        auto cut = open_bytes(std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + 58), dir);
        expect_error(cut, {"bad.gguf", "truncated at byte 56", "value of key 'general.name'", "need 5 bytes"});
        auto short_data = open_bytes(std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 4), dir);
        expect_error(short_data, {"tensor 't' extends past end of file", "size 128", "file "});
    }

    void wrongMagicAndOldVersion() {
        QTemporaryDir dir;
        GgufWriter w;
        w.add_string("general.name", "x");
        auto bytes = w.bytes();
        bytes[0] = 'g';
        expect_error(open_bytes(bytes, dir), {"not a GGUF file", "'gGUF'", "expected 'GGUF'"});
        GgufWriter v1(1);
        expect_error(open_bytes(v1.bytes(), dir), {"GGUF version 1 is not supported"});
        GgufWriter v9(9);
        expect_error(open_bytes(v9.bytes(), dir), {"GGUF version 9", "expected 2 or 3"});
        expect_error(open_bytes({}, dir), {"not a GGUF file"});
    }

    void absurdDimensionsAreRejected() {
        QTemporaryDir dir;
        GgufWriter overflow;
        overflow.add_raw_tensor("huge", {std::uint64_t(1) << 40, std::uint64_t(1) << 40}, 0, {});
        expect_error(open_bytes(overflow.bytes(), dir), {"tensor 'huge'", "absurd dimension 1", "overflows"});
        GgufWriter five;
        five.add_raw_tensor("five", {1, 1, 1, 1, 1}, 0, std::vector<std::uint8_t>(4));
        expect_error(open_bytes(five.bytes(), dir), {"tensor 'five'", "5 dimensions", "at most 4"});
        GgufWriter ragged;  // a Q8_0 row must hold whole 32-value blocks
        ragged.add_raw_tensor("ragged", {33, 2}, 8, std::vector<std::uint8_t>(200));
        expect_error(open_bytes(ragged.bytes(), dir), {"tensor 'ragged'", "multiple of its block size 32"});
    }

    void tensorPastEndOfFile() {
        QTemporaryDir dir;
        GgufWriter w;
        w.add_raw_tensor("blk.3.attn_k.weight", {64, 8}, 0, std::vector<std::uint8_t>(100));  // declares 2048 bytes
        const auto bytes = w.bytes();
        auto f = open_bytes(bytes, dir);
        const std::string expected = "tensor 'blk.3.attn_k.weight' extends past end of file (offset ";
        expect_error(f, {expected.c_str(), "size 2048", ("file " + std::to_string(bytes.size()) + ")").c_str()});
    }

    void unknownTensorType() {
        QTemporaryDir dir;
        GgufWriter w;
        w.add_raw_tensor("odd", {4}, 99, std::vector<std::uint8_t>(16));
        expect_error(open_bytes(w.bytes(), dir), {"tensor 'odd'", "unknown ggml type id 99"});
    }

    void absurdStringAndArraySizes() {
        QTemporaryDir dir;
        GgufWriter w;
        w.add_string("k", "abc");
        auto bytes = w.bytes();
        // The string length sits after magic, version, counts (24 bytes), key (8 + 1) and type (4).
        const std::size_t len_at = 24 + 8 + 1 + 4;
        QCOMPARE(int(bytes[len_at]), 3);
        bytes[len_at + 5] = 0x7f;  // a length of about 2^47 bytes
        expect_error(open_bytes(bytes, dir), {"value of key 'k'", "claims a length of", "limit"});

        GgufWriter a;
        a.add_i32_array("arr", {1, 2});
        auto abytes = a.bytes();
        const std::size_t count_at = 24 + 8 + 3 + 4 + 4;  // ... key "arr", value type, element type
        QCOMPARE(int(abytes[count_at]), 2);
        abytes[count_at + 6] = 0x10;  // 2^52 + 2 elements
        expect_error(open_bytes(abytes, dir), {"array 'arr'", "claims", "elements of type int32", "more than fit"});
    }

    void duplicateKeysAndBadAlignment() {
        QTemporaryDir dir;
        GgufWriter dup;
        dup.add_u32("k", 1);
        dup.add_u32("k", 2);
        expect_error(open_bytes(dup.bytes(), dir), {"key 'k' appears twice"});
        GgufWriter align;
        align.add_u32("general.alignment", 24);
        expect_error(open_bytes(align.bytes(), dir), {"general.alignment", "is 24", "power of two"});
    }
};

QTEST_APPLESS_MAIN(TestGgufReader)
#include "test_gguf_reader.moc"
