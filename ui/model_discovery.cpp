#include "model_discovery.h"

#include "model/llama2c_files.h"
#include "model/model_search_path.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <QtEndian>
#include <algorithm>
#include <array>
#include <cstdint>

namespace kvs::ui {

namespace {

void add_existing(QStringList& list, const QString& dir) {
    const QFileInfo info(dir);
    if (!info.isDir()) return;
    const QString canonical = info.canonicalFilePath();
    if (!list.contains(canonical)) list.append(canonical);
}

bool is_tokenizer_name(const QString& file_name) {
    const QString lower = file_name.toLower();
    return lower == "tokenizer.bin" || lower.startsWith("tok");
}

}  // namespace

bool looks_like_llama2c_checkpoint(const QString& file) { return kvs::looks_like_llama2c_checkpoint(file.toStdString()); }

QString model_format_of(const QString& path) {
    const QFileInfo info(path);
    if (info.isDir()) return QStringLiteral("hf");
    if (info.suffix().compare("gguf", Qt::CaseInsensitive) == 0) return QStringLiteral("gguf");
    if (looks_like_llama2c_checkpoint(path)) return QStringLiteral("llama2c");
    return info.suffix();
}

bool is_gguf_with_tensors(const QString& file) {
    // GGUF v2/v3: magic "GGUF", uint32 version, uint64 tensor_count, uint64 kv_count.
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) return false;
    const QByteArray head = f.read(16);
    if (head.size() != 16 || !head.startsWith("GGUF")) return false;
    const auto version = qFromLittleEndian<std::uint32_t>(head.constData() + 4);
    if (version < 2) return false;
    return qFromLittleEndian<std::uint64_t>(head.constData() + 8) > 0;
}

QString tokenizer_beside(const QString& checkpoint) {
    // The engine's rule, so that the command line finds the same tokenizer.
    return QString::fromStdString(kvs::llama2c_tokenizer_beside(checkpoint.toStdString()));
}

DiscoveryRoots default_discovery_roots(const QString& current_dir, const QString& executable_dir,
                                       const QString& home_dir, const QString& model_path_env,
                                       const QString& hf_home_env) {
    DiscoveryRoots roots;
    // The engine's rule (engine/model/model_search_path.h), so that the command line and the
    // vocabularies of synthetic models look in the same folders.
    for (const std::string& dir : kvs::model_search_dirs(current_dir.toStdString(), executable_dir.toStdString(),
                                                         model_path_env.toStdString()))
        roots.model_dirs.append(QString::fromStdString(dir));
    // Where `scripts/kvscope.sh fetch-models` puts SmolLM2-135M-Instruct.
    if (!home_dir.isEmpty()) add_existing(roots.model_dirs, QDir(home_dir).filePath(".cache/kvscope"));
    if (!hf_home_env.isEmpty()) add_existing(roots.hub_dirs, QDir(hf_home_env).filePath("hub"));
    if (!home_dir.isEmpty()) add_existing(roots.hub_dirs, QDir(home_dir).filePath(".cache/huggingface/hub"));
    return roots;
}

namespace {

bool is_hf_folder(const QDir& dir) {
    return dir.exists("config.json") && !dir.entryList({"*.safetensors"}, QDir::Files).isEmpty();
}

// Models in one folder: a Hugging Face folder is one model; otherwise its checkpoints and GGUFs.
void scan_folder(const QDir& dir, const QString& label_prefix, std::vector<DiscoveredModel>& out) {
    if (is_hf_folder(dir)) {
        out.push_back({label_prefix.isEmpty() ? dir.dirName() : label_prefix, dir.canonicalPath(), {}, "hf"});
        return;
    }
    const QString prefix = label_prefix.isEmpty() ? dir.dirName() : label_prefix;
    for (const QFileInfo& file : dir.entryInfoList({"*.bin", "*.gguf"}, QDir::Files, QDir::Name)) {
        const QString path = file.canonicalFilePath();
        if (file.suffix().toLower() == "gguf") {
            if (is_gguf_with_tensors(path)) out.push_back({prefix + "/" + file.fileName(), path, {}, "gguf"});
        } else if (!is_tokenizer_name(file.fileName()) && looks_like_llama2c_checkpoint(path)) {
            out.push_back({prefix + "/" + file.completeBaseName(), path, tokenizer_beside(path), "llama2c"});
        }
    }
}

}  // namespace

std::vector<DiscoveredModel> discover_models(const DiscoveryRoots& roots) {
    std::vector<DiscoveredModel> found;
    for (const QString& root : roots.model_dirs) {
        const QDir dir(root);
        scan_folder(dir, dir.dirName(), found);  // models lying directly in the root
        for (const QString& sub : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
            scan_folder(QDir(dir.filePath(sub)), {}, found);
    }
    // Hub layout: models--org--name/snapshots/<revision>/{config.json, *.safetensors, *.gguf}
    for (const QString& hub : roots.hub_dirs) {
        const QDir dir(hub);
        for (const QString& repo : dir.entryList({"models--*"}, QDir::Dirs, QDir::Name)) {
            const QString repo_name = repo.mid(QString("models--").size()).replace("--", "/");
            const QDir snapshots(dir.filePath(repo + "/snapshots"));
            for (const QString& rev : snapshots.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Time))
                scan_folder(QDir(snapshots.filePath(rev)), repo_name, found);
        }
    }
    // One entry per path; the first root that found it wins.
    std::vector<DiscoveredModel> unique;
    QSet<QString> seen;
    for (auto& m : found) {
        if (seen.contains(m.path)) continue;
        seen.insert(m.path);
        unique.push_back(std::move(m));
    }
    return unique;
}

DiscoveredModel find_default_model(const DiscoveryRoots& roots) {
    for (const QString& root : roots.model_dirs) {
        const QDir dir(QDir(root).filePath("stories260K"));
        if (dir.exists("stories260K.bin") && dir.exists("tok512.bin"))
            return {"stories260K", dir.filePath("stories260K.bin"), dir.filePath("tok512.bin"), "llama2c"};
    }
    return {};
}

}  // namespace kvs::ui
