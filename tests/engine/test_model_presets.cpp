// Presets compiled into the binary, and synthetic models built from them.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <cmath>

#include "core/backend.h"
#include "model/model_presets.h"
#include "model/synthetic_model.h"
#include "model/synthetic_tokenizer.h"

using namespace kvs;

class TestModelPresets : public QObject {
    Q_OBJECT

private slots:
    void required_presets_are_embedded() {
        auto all = model_presets();
        QVERIFY2(all.ok(), all.ok() ? "" : all.message().c_str());
        const auto names = model_preset_names();
        for (const char* n : {"gpt2-124m", "stories15m", "stories110m", "tinyllama-1.1b", "llama-2-7b", "llama-2-13b",
                              "llama-3-8b", "llama-3-70b", "mistral-7b", "opt-13b"})
            QVERIFY2(std::find(names.begin(), names.end(), n) != names.end(), n);
        QVERIFY(std::is_sorted(names.begin(), names.end()));
        for (const auto& p : *all) {
            QVERIFY(!p.source.empty());
            QCOMPARE(p.config.name, p.name);
        }
    }

    void embedded_presets_match_the_files() {
        // The binary carries the JSON files of resources/presets as they are now.
        const QDir dir(QString(KVSCOPE_RESOURCES_DIR) + "/presets");
        const QStringList files = dir.entryList({"*.json"}, QDir::Files, QDir::Name);
        QVERIFY(files.size() >= 10);
        QCOMPARE(int(model_preset_names().size()), int(files.size()));
        for (const QString& f : files) {
            QFile file(dir.filePath(f));
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray text = file.readAll();
            auto from_disk = parse_model_preset(std::string_view(text.constData(), std::size_t(text.size())),
                                                f.toStdString());
            QVERIFY2(from_disk.ok(), from_disk.ok() ? "" : from_disk.message().c_str());
            auto embedded = find_model_preset(from_disk->name);
            QVERIFY2(embedded.ok(), qPrintable(f));
            QCOMPARE(embedded->config.kv_bytes_per_token(2), from_disk->config.kv_bytes_per_token(2));
            QCOMPARE(embedded->config.parameter_count(), from_disk->config.parameter_count());
            QCOMPARE(embedded->source, from_disk->source);
        }
    }

    // Parameter counts as the model cards and Hugging Face report them: the preset numbers and
    // ModelConfig::parameter_count() agree with the real checkpoints.
    void parameter_counts_match_published_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<qint64>("params");
        QTest::newRow("llama-2-7b") << "llama-2-7b" << qint64(6738415616);
        QTest::newRow("llama-2-13b") << "llama-2-13b" << qint64(13015864320);
        QTest::newRow("llama-3-8b") << "llama-3-8b" << qint64(8030261248);
        QTest::newRow("llama-3-70b") << "llama-3-70b" << qint64(70553706496);
        QTest::newRow("mistral-7b") << "mistral-7b" << qint64(7241732096);
        QTest::newRow("tinyllama-1.1b") << "tinyllama-1.1b" << qint64(1100048384);
        QTest::newRow("gpt2-124m") << "gpt2-124m" << qint64(124439808);
    }
    void parameter_counts_match_published() {
        QFETCH(QString, name);
        QFETCH(qint64, params);
        auto p = find_model_preset(name.toStdString());
        QVERIFY2(p.ok(), p.ok() ? "" : p.message().c_str());
        QCOMPARE(qint64(p->config.parameter_count()), params);
    }

    void shapes_of_the_kv_examples() {
        auto l70 = find_model_preset("llama-3-70b");
        QVERIFY(l70.ok());
        QCOMPARE(l70->config.n_layers, 80);
        QCOMPARE(l70->config.n_kv_heads, 8);
        QCOMPARE(l70->config.head_dim(), 128);
        QCOMPARE(l70->config.rope_theta, 500000.0f);
        QCOMPARE(l70->config.rope_style, RopeStyle::HalfRotate);
        auto opt = find_model_preset("opt-13b");
        QVERIFY(opt.ok());
        QCOMPARE(opt->config.arch, Architecture::Gpt2);
        QCOMPARE(opt->config.kv_bytes_per_token(2), 819200);
    }

    void unknown_name_lists_valid_names() {
        auto p = find_model_preset("llama-9");
        QVERIFY(!p.ok());
        QVERIFY(p.message().find("'llama-9'") != std::string::npos);
        QVERIFY(p.message().find("llama-2-7b") != std::string::npos);
        QVERIFY(p.message().find("opt-13b") != std::string::npos);
    }

    void malformed_presets_are_reported() {
        QVERIFY(parse_model_preset("{", "x.json").message().find("not valid JSON") != std::string::npos);
        const std::string good = R"({"name":"t","display_name":"T","source":"s","architecture":"llama","dim":8,
            "hidden_dim":16,"n_layers":1,"n_heads":2,"n_kv_heads":1,"vocab_size":300,"max_seq_len":8,
            "norm_eps":1e-5,"rope_theta":10000,"tied":true})";
        auto ok = parse_model_preset(good, "t.json");
        QVERIFY2(ok.ok(), ok.ok() ? "" : ok.message().c_str());
        QCOMPARE(ok->config.gqa_group(), 2);
        auto missing = parse_model_preset(R"({"name":"t"})", "t.json");
        QVERIFY(missing.message().find("t.json") != std::string::npos);
        QVERIFY(missing.message().find("display_name") != std::string::npos);
        std::string bad_heads = good;
        bad_heads.replace(bad_heads.find("\"n_kv_heads\":1"), 14, "\"n_kv_heads\":3");
        QVERIFY(parse_model_preset(bad_heads, "t.json").message().find("multiple of n_kv_heads 3") != std::string::npos);
        std::string no_theta = good;
        no_theta.replace(no_theta.find("\"rope_theta\":10000"), 18, "\"rope_theta\":0    ");
        QVERIFY(parse_model_preset(no_theta, "t.json").message().find("rope_theta") != std::string::npos);
        std::string bad_arch = good;
        bad_arch.replace(bad_arch.find("llama"), 5, "bert");
        QVERIFY(parse_model_preset(bad_arch, "t.json").message().find("\"bert\"") != std::string::npos);
    }

    void synthetic_model_has_real_shapes_and_init_statistics() {
        auto m = make_synthetic_model("stories15m", 0, 7);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        const Model& model = **m;
        QCOMPARE(model.format, std::string("synthetic"));
        QCOMPARE(model.source, std::string("synthetic:stories15m"));
        QCOMPARE(model.config.n_layers, 6);
        QCOMPARE(int(model.weights.layers.size()), 6);
        const LayerWeights& l = model.weights.layers[3];
        QCOMPARE(l.wk.rows, 288);
        QCOMPARE(l.w_gate.rows, 768);
        QCOMPARE(l.w_down.cols, 768);
        QCOMPARE(l.attn_norm.data[5], 1.0f);
        QVERIFY(model.weights.classifier.empty());  // tied
        QCOMPARE(model.weights.token_embedding.rows, 32000);
        double sum = 0, sq = 0, max_abs = 0;
        for (float v : l.w_up.data) {
            sum += v;
            sq += double(v) * v;
            max_abs = std::max(max_abs, double(std::abs(v)));
        }
        const double n = double(l.w_up.data.size());
        const double mean = sum / n, stddev = std::sqrt(sq / n - mean * mean);
        QVERIFY2(std::abs(mean) < 1e-4, qPrintable(QString::number(mean)));
        QVERIFY2(std::abs(stddev - 0.02) < 0.0004, qPrintable(QString::number(stddev)));
        QVERIFY(max_abs <= 0.02 * std::sqrt(12.0) / 2 * 2 + 1e-6);  // Irwin-Hall bound: 2 sqrt(3) sigma
        // Output projections are scaled by 1/sqrt(2 n_layers).
        double sq_o = 0;
        for (float v : l.wo.data) sq_o += double(v) * v;
        QVERIFY(std::abs(std::sqrt(sq_o / l.wo.data.size()) - 0.02 / std::sqrt(12.0)) < 0.0003);
    }

    void synthetic_weights_depend_on_seed_only() {
        auto a = make_synthetic_model("stories260k", 2, 1);
        auto b = make_synthetic_model("stories260k", 2, 1);
        auto c = make_synthetic_model("stories260k", 2, 2);
        QVERIFY(a.ok() && b.ok() && c.ok());
        QCOMPARE((*a)->config.n_layers, 2);
        QVERIFY((*a)->weights.layers[1].wv.data == (*b)->weights.layers[1].wv.data);
        QVERIFY((*a)->weights.layers[1].wv.data != (*c)->weights.layers[1].wv.data);
        QVERIFY((*a)->weights.layers[0].wq.data != (*a)->weights.layers[1].wq.data);
    }

    void synthetic_gpt2_has_biases_and_positions() {
        auto m = make_synthetic_model("gpt2-124m", 1, 3);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        const ModelWeights& w = (*m)->weights;
        QCOMPARE(w.position_embedding.rows, 1024);
        QCOMPARE(w.layers[0].bq.cols, 768);
        QCOMPARE(w.layers[0].b_up.cols, 3072);
        QVERIFY(w.layers[0].w_gate.empty());
        QCOMPARE(w.final_norm_bias.cols, 768);
    }

    void synthetic_tokenizer_maps_bytes() {
        auto m = make_synthetic_model("stories260k", 1, 1);
        QVERIFY(m.ok());
        const Tokenizer& t = *(*m)->tokenizer;
        const auto ids = t.encode_prompt("Hi!\n");
        QCOMPARE(ids, (std::vector<int>{1, 3 + 'H', 3 + 'i', 3 + '!', 3 + '\n'}));
        QCOMPARE(t.decode(std::span<const int>(ids).subspan(1)), std::string("Hi!\n"));
        QCOMPARE(t.token_label(3 + 'H'), std::string("H"));
        QCOMPARE(t.token_label(3 + '\n'), std::string("<0x0A>"));
        QCOMPARE(t.token_label(400), std::string("<400>"));
        QCOMPARE(t.decode_piece(0, 400), std::string());
        QCOMPARE(t.vocab_size(), 512);
    }

    // Init-scaled weights keep the forward pass sane: finite logits whose spread is neither
    // vanishing (a flat distribution) nor exploding.
    void synthetic_forward_is_numerically_sane_data() {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<int>("layers");
        QTest::newRow("stories15m") << "stories15m" << 0;
        QTest::newRow("gpt2-124m x2") << "gpt2-124m" << 2;
        QTest::newRow("llama-2-7b x2") << "llama-2-7b" << 2;
    }
    void synthetic_forward_is_numerically_sane() {
        QFETCH(QString, preset);
        QFETCH(int, layers);
        auto m = make_synthetic_model(preset.toStdString(), layers, 11);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        BackendOptions options;
        options.kv_capacity = 64;
        auto backend = create_backend("cpu", *m, options, nullptr);
        QVERIFY2(backend.ok(), backend.ok() ? "" : backend.message().c_str());
        const auto ids = (*m)->tokenizer->encode_prompt("The cache grows.");
        ForwardOutput out;
        QVERIFY((*backend)->forward(ids, 0, false, AttentionCapture{}, out).ok());
        QCOMPARE(int(out.logits.size()), (*m)->config.vocab_size);
        double sum = 0, sq = 0;
        for (float v : out.logits) {
            QVERIFY(std::isfinite(v));
            sum += v;
            sq += double(v) * v;
        }
        const double n = double(out.logits.size());
        const double stddev = std::sqrt(sq / n - (sum / n) * (sum / n));
        qInfo("%s: logit std %.4g", qPrintable(preset), stddev);
        QVERIFY2(stddev > 1e-3 && stddev < 10.0, qPrintable(QString::number(stddev)));
    }

    void bad_synthetic_requests_are_errors() {
        QVERIFY(make_synthetic_model("nope", 0, 1).message().find("valid presets") != std::string::npos);
        QVERIFY(!make_synthetic_model("stories260k", -1, 1).ok());
    }

    // How long building takes is measured outside unit tests (`time kvscope-cli info --synthetic llama-2-7b
    // --layers 2`), not a unit test's: this checks what is built.
    void llama2_7b_two_layers_builds() {
        auto m = make_synthetic_model("llama-2-7b", 2, 42);
        QVERIFY2(m.ok(), m.ok() ? "" : m.message().c_str());
        QCOMPARE((*m)->weights.layers[1].w_down.size(), qint64(4096) * 11008);
        QCOMPARE((*m)->weights.classifier.rows, 32000);
        QVERIFY((*m)->weights.classifier.data.back() != 0.0f);
    }
};

QTEST_APPLESS_MAIN(TestModelPresets)
#include "test_model_presets.moc"
