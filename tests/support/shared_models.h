#pragma once
// The shared models every engine test reads (../shared/models), loaded in one line:
//   KVS_LOAD_MODEL(stories_, test::load_stories260k());
// and a CPU backend over a model: test::make_cpu(stories_).
// A QtTest check returns from the function that makes it, so the loading that fails the test
// with the loader's message is a macro.
#include <QTest>
#include <memory>

#include "core/backend.h"
#include "model/model.h"
#include "test_paths.h"

namespace kvs::test {

inline Result<std::shared_ptr<Model>> load_stories260k() {
    return load_model(stories260k_bin(), {stories260k_tokenizer()});
}
inline Result<std::shared_ptr<Model>> load_makemore() { return load_model(makemore_dir()); }

inline std::unique_ptr<Backend> make_cpu(std::shared_ptr<const Model> model, const BackendOptions& o = {}) {
    auto b = create_backend("cpu", std::move(model), o, nullptr);
    if (!b.ok()) qFatal("%s", b.message().c_str());
    return std::move(b).value();
}

}  // namespace kvs::test

#define KVS_LOAD_MODEL(target, result_expr)                                        \
    do {                                                                            \
        auto kvs_loaded_ = (result_expr);                                           \
        QVERIFY2(kvs_loaded_.ok(), kvs_loaded_.ok() ? "" : kvs_loaded_.message().c_str()); \
        target = *kvs_loaded_;                                                      \
    } while (0)
