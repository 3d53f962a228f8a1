// Model discovery: which files and folders count as models, tokenizer pairing, hub layout,
// search roots, and the real shared models.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include "model_discovery.h"
#include "test_paths.h"

using namespace kvs::ui;

namespace {

void write_bytes(const QString& path, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

// A llama2.c header followed by enough zero bytes for the token embedding.
QByteArray checkpoint(int dim, int hidden, int layers, int heads, int kv_heads, int vocab, int seq) {
    QByteArray b;
    for (int v : {dim, hidden, layers, heads, kv_heads, vocab, seq}) {
        char le[4];
        qToLittleEndian<qint32>(v, le);
        b.append(le, 4);
    }
    b.append(QByteArray(std::abs(vocab) * dim * 4, '\0'));
    return b;
}

QByteArray gguf(quint64 tensors) {
    QByteArray b("GGUF");
    char v[4], t[8], k[8];
    qToLittleEndian<quint32>(3, v);
    qToLittleEndian<quint64>(tensors, t);
    qToLittleEndian<quint64>(0, k);
    b.append(v, 4).append(t, 8).append(k, 8);
    return b;
}

QStringList names(const std::vector<DiscoveredModel>& models) {
    QStringList n;
    for (const auto& m : models) n << m.name;
    return n;
}

}  // namespace

class TestModelDiscovery : public QObject {
    Q_OBJECT
private slots:
    void checkpointHeaderIsChecked() {
        QTemporaryDir tmp;
        const QString good = tmp.filePath("good.bin"), bad = tmp.filePath("bad.bin"), tok = tmp.filePath("tok.bin");
        write_bytes(good, checkpoint(64, 172, 5, 8, 4, -512, 512));
        // kv_heads > heads, and a header whose embedding would not fit in the file.
        write_bytes(bad, checkpoint(64, 172, 5, 4, 8, 512, 512));
        QByteArray truncated = checkpoint(64, 172, 5, 8, 4, 512, 512);
        truncated.chop(1);
        write_bytes(tmp.filePath("short.bin"), truncated);
        // A tokenizer.bin: max_token_length then float scores: not a checkpoint.
        QByteArray t;
        char le[4];
        qToLittleEndian<qint32>(27, le);
        t.append(le, 4).append(QByteArray(64, '\0'));
        write_bytes(tok, t);
        QVERIFY(looks_like_llama2c_checkpoint(good));
        QVERIFY(!looks_like_llama2c_checkpoint(bad));
        QVERIFY(!looks_like_llama2c_checkpoint(tmp.filePath("short.bin")));
        QVERIFY(!looks_like_llama2c_checkpoint(tok));
        QVERIFY(!looks_like_llama2c_checkpoint(tmp.filePath("missing.bin")));
    }

    void ggufWithoutTensorsIsSkipped() {
        QTemporaryDir tmp;
        write_bytes(tmp.filePath("m/model.gguf"), gguf(291));
        write_bytes(tmp.filePath("m/vocab.gguf"), gguf(0));
        QVERIFY(is_gguf_with_tensors(tmp.filePath("m/model.gguf")));
        QVERIFY(!is_gguf_with_tensors(tmp.filePath("m/vocab.gguf")));
        const auto found = discover_models({{tmp.path()}, {}});
        QCOMPARE(names(found), QStringList{"m/model.gguf"});
        QCOMPARE(found[0].format, QString("gguf"));
        QVERIFY(found[0].tokenizer.isEmpty());
    }

    void layoutOfAModelsFolder() {
        QTemporaryDir tmp;
        write_bytes(tmp.filePath("stories/stories15M.bin"), checkpoint(16, 32, 2, 4, 4, 32, 64));
        write_bytes(tmp.filePath("stories/tokenizer.bin"), QByteArray(40, '\1'));
        write_bytes(tmp.filePath("tiny/tiny.bin"), checkpoint(16, 32, 2, 4, 2, 32, 64));
        write_bytes(tmp.filePath("tiny/tok32.bin"), QByteArray(40, '\1'));
        write_bytes(tmp.filePath("gpt2/config.json"), "{}");
        write_bytes(tmp.filePath("gpt2/model.safetensors"), QByteArray(16, '\0'));
        write_bytes(tmp.filePath("notes/readme.txt"), "x");
        write_bytes(tmp.filePath("configonly/config.json"), "{}");  // no weights: not a model

        const auto found = discover_models({{tmp.path()}, {}});
        QCOMPARE(names(found), (QStringList{"gpt2", "stories/stories15M", "tiny/tiny"}));
        QCOMPARE(found[0].format, QString("hf"));
        QCOMPARE(found[0].path, QDir(tmp.filePath("gpt2")).canonicalPath());
        QCOMPARE(found[1].format, QString("llama2c"));
        QCOMPARE(QFileInfo(found[1].tokenizer).fileName(), QString("tokenizer.bin"));
        QCOMPARE(QFileInfo(found[2].tokenizer).fileName(), QString("tok32.bin"));
    }

    void hubCacheLayout() {
        QTemporaryDir tmp;
        const QString snap = tmp.filePath("hub/models--openai-community--gpt2/snapshots/abc123");
        write_bytes(snap + "/config.json", "{}");
        write_bytes(snap + "/model.safetensors", QByteArray(8, '\0'));
        write_bytes(tmp.filePath("hub/datasets--x--y/snapshots/1/config.json"), "{}");
        const auto found = discover_models({{}, {tmp.filePath("hub")}});
        QCOMPARE(names(found), QStringList{"openai-community/gpt2"});
        QCOMPARE(found[0].format, QString("hf"));
    }

    void rootsAndDuplicates() {
        QTemporaryDir tmp;
        // checkout/build/app is the executable's folder; shared/ lies beside the checkout.
        QDir().mkpath(tmp.filePath("checkout/build/app"));
        write_bytes(tmp.filePath("shared/models/a/config.json"), "{}");
        write_bytes(tmp.filePath("shared/models/a/model.safetensors"), "x");
        write_bytes(tmp.filePath("extra/b/config.json"), "{}");
        write_bytes(tmp.filePath("extra/b/w.safetensors"), "x");
        QDir().mkpath(tmp.filePath("home/.cache/huggingface/hub"));
        const QString shared = QDir(tmp.filePath("shared/models")).canonicalPath();
        const QString extra = QDir(tmp.filePath("extra")).canonicalPath();

        // From the checkout as current folder, from the executable's folder (walking up), and
        // from $KVSCOPE_MODEL_PATH (the same folder twice, plus a missing one).
        const auto roots = default_discovery_roots(tmp.filePath("checkout"), tmp.filePath("checkout/build/app"),
                                                   tmp.filePath("home"), extra + ":" + shared + "::/nonexistent");
        QCOMPARE(roots.model_dirs, (QStringList{shared, extra}));
        QCOMPARE(roots.hub_dirs, QStringList{QDir(tmp.filePath("home/.cache/huggingface/hub")).canonicalPath()});
        const auto no_cwd = default_discovery_roots({}, tmp.filePath("checkout/build/app"), {}, {});
        QCOMPARE(no_cwd.model_dirs, QStringList{shared});
        QCOMPARE(names(discover_models(roots)), (QStringList{"a", "b"}));
        QVERIFY(find_default_model(roots).path.isEmpty());
    }

    // The folder scripts/kvscope.sh fetch-models fills is searched when it exists.
    void fetchedModelsFolder() {
        QTemporaryDir tmp;
        QDir().mkpath(tmp.filePath("home/.cache/kvscope"));
        const auto roots = default_discovery_roots({}, {}, tmp.filePath("home"), {});
        QVERIFY(roots.model_dirs.contains(QDir(tmp.filePath("home/.cache/kvscope")).canonicalPath()));
    }

    void realSharedModels() {
        const QString models = QString::fromStdString(kvs::test::shared_path("models"));
        if (!QFileInfo(models).isDir()) QSKIP("../shared/models is not present");
        const auto found = discover_models({{models}, {}});
        const QStringList n = names(found);
        QVERIFY2(n.contains("stories260K/stories260K"), qPrintable(n.join(", ")));
        QVERIFY2(n.contains("makemore-names"), qPrintable(n.join(", ")));
        // Vocabulary-only GGUFs and tokenizer files are not models.
        for (const auto& m : found) QVERIFY2(!m.path.contains("gguf-vocab") && !m.path.contains("llama2-tokenizer"), qPrintable(m.path));
        const auto stories = std::find_if(found.begin(), found.end(), [](const auto& m) { return m.format == "llama2c"; });
        QCOMPARE(QFileInfo(stories->tokenizer).fileName(), QString("tok512.bin"));
        const DiscoveredModel def = find_default_model({{models}, {}});
        QCOMPARE(QFileInfo(def.path).fileName(), QString("stories260K.bin"));
        QCOMPARE(QFileInfo(def.tokenizer).fileName(), QString("tok512.bin"));
    }
};

QTEST_GUILESS_MAIN(TestModelDiscovery)
#include "test_model_discovery.moc"
