#include "model/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/dequantize.h"
#include "model/dtype_convert.h"

namespace kvs {

namespace {

void put_half(std::uint8_t* p, float v) {
    const std::uint16_t h = f32_to_f16(v);
    std::memcpy(p, &h, 2);
}

float stored_half(float v) { return f16_to_f32(f32_to_f16(v)); }

int nearest(float v) { return int(std::lround(v)); }

void q8_0(const float* x, std::uint8_t* b) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_half(b, d);
    for (int i = 0; i < 32; ++i) b[2 + i] = std::uint8_t(std::int8_t(std::roundf(x[i] * id)));
}

// The value of largest magnitude, with its sign (Q4_0, Q5_0 map it to the lowest level).
float signed_max(const float* x, int n) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; ++i)
        if (amax < std::fabs(x[i])) amax = std::fabs(x[i]), max = x[i];
    return max;
}

void q4_0(const float* x, std::uint8_t* b) {
    const float d = signed_max(x, 32) / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_half(b, d);
    for (int i = 0; i < 16; ++i) {
        const int lo = std::min(15, int(std::int8_t(x[i] * id + 8.5f)));
        const int hi = std::min(15, int(std::int8_t(x[i + 16] * id + 8.5f)));
        b[2 + i] = std::uint8_t(lo | hi << 4);
    }
}

void min_max(const float* x, int n, float& lo, float& hi) {
    lo = *std::min_element(x, x + n);
    hi = *std::max_element(x, x + n);
}

void q4_1(const float* x, std::uint8_t* b) {
    float lo, hi;
    min_max(x, 32, lo, hi);
    const float d = (hi - lo) / 15.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_half(b, d);
    put_half(b + 2, lo);
    for (int i = 0; i < 16; ++i) {
        const int q0 = std::min(15, int(std::int8_t((x[i] - lo) * id + 0.5f)));
        const int q1 = std::min(15, int(std::int8_t((x[i + 16] - lo) * id + 0.5f)));
        b[4 + i] = std::uint8_t(q0 | q1 << 4);
    }
}

void put_fifth_bits(std::uint8_t* p, const int* q) {
    std::uint32_t qh = 0;
    for (int i = 0; i < 32; ++i) qh |= std::uint32_t((q[i] >> 4) & 1) << i;
    for (int k = 0; k < 4; ++k) p[k] = std::uint8_t(qh >> (8 * k));
}

void q5_0(const float* x, std::uint8_t* b) {
    const float d = signed_max(x, 32) / -16.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_half(b, d);
    int q[32];
    for (int i = 0; i < 32; ++i) q[i] = std::min(31, int(std::int8_t(x[i] * id + 16.5f)));
    put_fifth_bits(b + 2, q);
    for (int i = 0; i < 16; ++i) b[6 + i] = std::uint8_t((q[i] & 0x0F) | (q[i + 16] & 0x0F) << 4);
}

void q5_1(const float* x, std::uint8_t* b) {
    float lo, hi;
    min_max(x, 32, lo, hi);
    const float d = (hi - lo) / 31.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_half(b, d);
    put_half(b + 2, lo);
    int q[32];
    for (int i = 0; i < 32; ++i) q[i] = std::min(31, int(std::uint8_t((x[i] - lo) * id + 0.5f)));
    put_fifth_bits(b + 4, q);
    for (int i = 0; i < 16; ++i) b[8 + i] = std::uint8_t((q[i] & 0x0F) | (q[i + 16] & 0x0F) << 4);
}

// Q4_K / Q5_K: per sub-block of 32 a scale and a (non-negative) min such that
// value = scale * q - min; both are stored as 6-bit multiples of the block's d and dmin.
void k_scales(const float* x, int levels, std::uint8_t* b, std::uint8_t ls[8], std::uint8_t lm[8], float& d,
              float& dmin) {
    float scale[8], mins[8], max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; ++j) {
        float lo, hi;
        min_max(x + 32 * j, 32, lo, hi);
        lo = std::min(lo, 0.0f);
        scale[j] = (hi - lo) / float(levels);
        mins[j] = -lo;
        max_scale = std::max(max_scale, scale[j]);
        max_min = std::max(max_min, mins[j]);
    }
    put_half(b, max_scale / 63.0f);
    put_half(b + 2, max_min / 63.0f);
    d = stored_half(max_scale / 63.0f);
    dmin = stored_half(max_min / 63.0f);
    for (int j = 0; j < 8; ++j) {
        ls[j] = std::uint8_t(d > 0.0f ? std::min(63, nearest(scale[j] / d)) : 0);
        lm[j] = std::uint8_t(dmin > 0.0f ? std::min(63, nearest(mins[j] / dmin)) : 0);
    }
    std::uint8_t* s = b + 4;  // the inverse of k_quant_scale_min
    std::memset(s, 0, 12);
    for (int j = 0; j < 8; ++j) {
        if (j < 4) {
            s[j] = ls[j];
            s[j + 4] = lm[j];
        } else {
            s[j + 4] = std::uint8_t((ls[j] & 0x0F) | (lm[j] & 0x0F) << 4);
            s[j - 4] |= std::uint8_t((ls[j] >> 4) << 6);
            s[j] |= std::uint8_t((lm[j] >> 4) << 6);
        }
    }
}

int k_quant(float v, float sd, float md, int levels) {
    return sd > 0.0f ? std::clamp(nearest((v + md) / sd), 0, levels) : 0;
}

void q4_k(const float* x, std::uint8_t* b) {
    std::uint8_t ls[8], lm[8];
    float d, dmin;
    k_scales(x, 15, b, ls, lm, d, dmin);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            const int lo = k_quant(x[64 * c + l], d * ls[2 * c], dmin * lm[2 * c], 15);
            const int hi = k_quant(x[64 * c + 32 + l], d * ls[2 * c + 1], dmin * lm[2 * c + 1], 15);
            b[16 + 32 * c + l] = std::uint8_t(lo | hi << 4);
        }
}

void q5_k(const float* x, std::uint8_t* b) {
    std::uint8_t ls[8], lm[8];
    float d, dmin;
    k_scales(x, 31, b, ls, lm, d, dmin);
    std::uint8_t* qh = b + 16;
    std::memset(qh, 0, 32);
    for (int c = 0; c < 4; ++c)
        for (int l = 0; l < 32; ++l) {
            const int lo = k_quant(x[64 * c + l], d * ls[2 * c], dmin * lm[2 * c], 31);
            const int hi = k_quant(x[64 * c + 32 + l], d * ls[2 * c + 1], dmin * lm[2 * c + 1], 31);
            b[48 + 32 * c + l] = std::uint8_t((lo & 0x0F) | (hi & 0x0F) << 4);
            qh[l] |= std::uint8_t(((lo >> 4) & 1) << (2 * c) | ((hi >> 4) & 1) << (2 * c + 1));
        }
}

// Q6_K: per sub-block of 16 a signed int8 scale (a multiple of d) and quants -32..31.
void q6_k(const float* x, std::uint8_t* b) {
    float scale[16], max_abs_scale = 0.0f;
    for (int j = 0; j < 16; ++j) {
        scale[j] = signed_max(x + 16 * j, 16) / -32.0f;
        max_abs_scale = std::max(max_abs_scale, std::fabs(scale[j]));
    }
    const float d = stored_half(max_abs_scale / 127.0f);
    put_half(b + 208, max_abs_scale / 127.0f);
    auto* sc = reinterpret_cast<std::int8_t*>(b + 192);
    int q[256];
    for (int j = 0; j < 16; ++j) {
        sc[j] = std::int8_t(d > 0.0f ? std::clamp(nearest(scale[j] / d), -128, 127) : 0);
        const float sd = d * float(sc[j]);
        for (int l = 0; l < 16; ++l)
            q[16 * j + l] = sd != 0.0f ? std::clamp(nearest(x[16 * j + l] / sd), -32, 31) + 32 : 32;
    }
    std::memset(b, 0, 192);
    for (int half = 0; half < 2; ++half)
        for (int l = 0; l < 32; ++l) {
            const int* v = q + 128 * half + l;  // values l, l + 32, l + 64, l + 96 of the half
            b[64 * half + l] = std::uint8_t((v[0] & 0x0F) | (v[64] & 0x0F) << 4);
            b[64 * half + 32 + l] = std::uint8_t((v[32] & 0x0F) | (v[96] & 0x0F) << 4);
            b[128 + 32 * half + l] =
                std::uint8_t((v[0] >> 4) | (v[32] >> 4) << 2 | (v[64] >> 4) << 4 | (v[96] >> 4) << 6);
        }
}

// Q2_K / Q3_K are read but not written (kvscope writes the types people compute with).
using BlockEncoder = void (*)(const float*, std::uint8_t*);

BlockEncoder encoder_of(WeightType t) {
    switch (t) {
        case WeightType::Q8_0: return q8_0;
        case WeightType::Q4_0: return q4_0;
        case WeightType::Q4_1: return q4_1;
        case WeightType::Q5_0: return q5_0;
        case WeightType::Q5_1: return q5_1;
        case WeightType::Q4_K: return q4_k;
        case WeightType::Q5_K: return q5_k;
        case WeightType::Q6_K: return q6_k;
        default: return nullptr;
    }
}

}  // namespace

std::uint16_t f32_to_bf16(float f) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, 4);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return std::uint16_t((bits >> 16) | 0x40u);  // NaN stays NaN
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return std::uint16_t(bits >> 16);
}

Status quantize(WeightType type, std::span<const float> values, std::vector<std::uint8_t>& out) {
    const std::size_t at = out.size();
    switch (type) {
        case WeightType::F32:
            out.resize(at + values.size() * 4);
            std::memcpy(out.data() + at, values.data(), values.size() * 4);
            return {};
        case WeightType::F16:
        case WeightType::BF16:
            out.resize(at + values.size() * 2);
            for (std::size_t i = 0; i < values.size(); ++i) {
                const std::uint16_t h = type == WeightType::F16 ? f32_to_f16(values[i]) : f32_to_bf16(values[i]);
                std::memcpy(out.data() + at + 2 * i, &h, 2);
            }
            return {};
        default: break;
    }
    const WeightTypeInfo& info = weight_type_info(type);
    const BlockEncoder encode = encoder_of(type);
    if (encode == nullptr) return err("writing ", info.name, " is not supported (written types: F32, F16, BF16, Q8_0, "
                                      "Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
    if (values.size() % std::size_t(info.block_values) != 0)
        return err(info.name, " stores blocks of ", info.block_values, " values; ", values.size(), " values do not fill them");
    const std::size_t blocks = values.size() / std::size_t(info.block_values);
    out.resize(at + blocks * std::size_t(info.block_bytes));
    for (std::size_t b = 0; b < blocks; ++b)
        encode(values.data() + b * std::size_t(info.block_values), out.data() + at + b * std::size_t(info.block_bytes));
    return {};
}

}  // namespace kvs
