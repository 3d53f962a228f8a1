#include "model/model_search_path.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace kvs {
namespace {

namespace fs = std::filesystem;

void add_existing(std::vector<std::string>& out, const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return;
    const fs::path canonical = fs::canonical(dir, ec);
    if (ec) return;
    const std::string s = canonical.string();
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
}

}  // namespace

std::vector<std::string> model_search_dirs(const std::string& current_dir, const std::string& executable_dir,
                                           const std::string& model_path_env) {
    std::vector<std::string> dirs;
    if (!current_dir.empty()) {
        add_existing(dirs, fs::path(current_dir) / "../shared/models");
        add_existing(dirs, fs::path(current_dir) / "shared/models");
    }
    if (!executable_dir.empty()) {
        fs::path dir = fs::path(executable_dir);
        for (int level = 0; level < 6; ++level) {
            add_existing(dirs, dir / "../shared/models");
            if (!dir.has_parent_path() || dir.parent_path() == dir) break;
            dir = dir.parent_path();
        }
    }
    std::size_t begin = 0;
    while (begin <= model_path_env.size()) {
        const std::size_t end = std::min(model_path_env.find(':', begin), model_path_env.size());
        if (end > begin) add_existing(dirs, model_path_env.substr(begin, end - begin));
        begin = end + 1;
    }
    return dirs;
}

std::vector<std::string> default_model_search_dirs() {
    std::error_code ec;
    const fs::path cwd = fs::current_path(ec);
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    const char* env = std::getenv("KVSCOPE_MODEL_PATH");
    return model_search_dirs(cwd.string(), ec ? std::string() : exe.parent_path().string(), env ? env : "");
}

}  // namespace kvs
