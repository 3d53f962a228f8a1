#pragma once
// Runs single shaders on the test device (lavapipe under CTest) with the validation layer on,
// for the parity tests against the Eigen reference.
#include <QtTest>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "model/dtype_convert.h"
#include "vk/vk_buffer.h"
#include "vk/vk_context.h"
#include "vk/vk_pipelines.h"
#include "vk/vk_recorder.h"

namespace kvs::test {

class ShaderHarness {
public:
    // Empty on success, else why the device cannot be used.
    std::string init() {
        auto c = vk::VulkanContext::create({.device = "", .validation = true});
        if (!c.ok()) return c.message();
        ctx = std::move(c).value();
        lib = std::make_unique<vk::PipelineLibrary>(*ctx);
        auto u = vk::Uploader::create(*ctx);
        if (!u.ok()) return u.message();
        uploader = std::move(u).value();
        uploader->set_direct_writes(false);
        auto r = vk::CommandRecorder::create(*ctx);
        if (!r.ok()) return r.message();
        recorder = std::move(r).value();
        validation_baseline = vk::validation_message_count();
        return {};
    }

    const vk::Pipeline& pipeline(std::string_view name) {
        auto s = lib->prepare(name);
        if (!s.ok()) qFatal("%s", s.message().c_str());
        return *lib->find(name);
    }

    vk::Buffer buffer(const void* data, std::size_t bytes) {
        auto b = vk::Buffer::create(*ctx, bytes, vk::MemoryUse::Device);
        if (!b.ok()) qFatal("%s", b.message().c_str());
        if (data && bytes) {
            auto s = uploader->upload(*b, 0, data, bytes);
            if (!s.ok()) qFatal("%s", s.message().c_str());
        }
        return std::move(b).value();
    }
    vk::Buffer buffer(const std::vector<float>& v) { return buffer(v.data(), v.size() * 4); }
    vk::Buffer buffer_u32(const std::vector<std::uint32_t>& v) { return buffer(v.data(), v.size() * 4); }
    vk::Buffer zeros(std::size_t bytes) {
        std::vector<unsigned char> z(bytes, 0);
        return buffer(z.data(), bytes);
    }
    template <typename T>
    std::vector<T> read(const vk::Buffer& b, std::size_t count, std::size_t offset_elements = 0) {
        std::vector<T> out(count);
        auto s = uploader->download(b, offset_elements * sizeof(T), out.data(), count * sizeof(T));
        if (!s.ok()) qFatal("%s", s.message().c_str());
        return out;
    }

    // Records one dispatch, submits it and waits.
    template <typename Params>
    void run(std::string_view name, std::initializer_list<vk::Binding> bindings, const Params& params,
             std::uint64_t groups) {
        const vk::Pipeline& p = pipeline(name);
        QVERIFY(recorder->begin(false).ok());
        recorder->dispatch(p, bindings, &params, groups, {});
        auto s = recorder->submit_and_wait();
        QVERIFY2(s.ok(), s.ok() ? "" : s.message().c_str());
    }
    template <typename Params>
    void run_2d(std::string_view name, std::initializer_list<vk::Binding> bindings, const Params& params,
                std::uint32_t gx, std::uint32_t gy) {
        const vk::Pipeline& p = pipeline(name);
        QVERIFY(recorder->begin(false).ok());
        recorder->dispatch_2d(p, bindings, &params, gx, gy, {});
        auto s = recorder->submit_and_wait();
        QVERIFY2(s.ok(), s.ok() ? "" : s.message().c_str());
    }

    std::unique_ptr<vk::VulkanContext> ctx;
    std::unique_ptr<vk::PipelineLibrary> lib;
    std::unique_ptr<vk::Uploader> uploader;
    std::unique_ptr<vk::CommandRecorder> recorder;
    // Validation messages reported before the first test: each test must add none.
    int validation_baseline = 0;
};

inline std::vector<float> random_values(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

// Values rounded through F16, and the packed pairs the F16 shaders read.
inline std::vector<float> round_to_f16(const std::vector<float>& v) {
    std::vector<float> r(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) r[i] = f16_to_f32(f32_to_f16(v[i]));
    return r;
}
inline std::vector<std::uint32_t> pack_f16(const std::vector<float>& v) {
    std::vector<std::uint32_t> packed((v.size() + 1) / 2, 0);
    for (std::size_t i = 0; i < v.size(); ++i) packed[i / 2] |= std::uint32_t(f32_to_f16(v[i])) << (16 * (i % 2));
    return packed;
}

inline float max_abs_diff(const float* a, const float* b, std::size_t n) {
    float worst = 0;
    for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
    return worst;
}

// Workgroups of 64 invocations covering n items.
inline std::uint64_t groups_of_64(std::uint64_t n) { return (n + 63) / 64; }

}  // namespace kvs::test

// Fails the test when the validation layer reported anything since `before`.
#define KVS_VERIFY_NO_VALIDATION_MESSAGES(before)                                                   \
    QVERIFY2(::kvs::vk::validation_message_count() == (before),                                    \
             qPrintable(QString("validation layer reported %1 message(s); last: %2")                \
                            .arg(::kvs::vk::validation_message_count() - (before))                 \
                            .arg(QString::fromStdString(::kvs::vk::last_validation_message()))))
