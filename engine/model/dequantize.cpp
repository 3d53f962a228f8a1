#include "model/dequantize.h"

#include <cstring>

#include "model/dtype_convert.h"

namespace kvs {

namespace {

float half_at(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return f16_to_f32(h);
}

// Block decoders: `b` is one block, `y` its values. Comments give the value formula; the
// parenthesisation is ggml's, which fixes the float rounding.

void block_q8_0(const std::uint8_t* b, float* y) {
    const float d = half_at(b);
    const auto* q = reinterpret_cast<const std::int8_t*>(b + 2);
    for (int i = 0; i < 32; ++i) y[i] = float(q[i]) * d;  // q * d
}

void block_q4_0(const std::uint8_t* b, float* y) {
    const float d = half_at(b);
    const std::uint8_t* q = b + 2;
    for (int i = 0; i < 16; ++i) {  // byte i holds value i (low nibble) and value i + 16 (high)
        y[i] = float((q[i] & 0x0F) - 8) * d;
        y[i + 16] = float((q[i] >> 4) - 8) * d;
    }
}

void block_q4_1(const std::uint8_t* b, float* y) {
    const float d = half_at(b), m = half_at(b + 2);
    const std::uint8_t* q = b + 4;
    for (int i = 0; i < 16; ++i) {
        y[i] = float(q[i] & 0x0F) * d + m;
        y[i + 16] = float(q[i] >> 4) * d + m;
    }
}

// Bit i of the 32-bit little-endian word at `qh` is the fifth bit of value i.
std::uint32_t fifth_bits(const std::uint8_t* qh) {
    return std::uint32_t(qh[0]) | std::uint32_t(qh[1]) << 8 | std::uint32_t(qh[2]) << 16 | std::uint32_t(qh[3]) << 24;
}

void block_q5_0(const std::uint8_t* b, float* y) {
    const float d = half_at(b);
    const std::uint32_t qh = fifth_bits(b + 2);
    const std::uint8_t* q = b + 6;
    for (int i = 0; i < 16; ++i) {
        const int lo = int(q[i] & 0x0F) | int((qh >> i) & 1u) << 4;
        const int hi = int(q[i] >> 4) | int((qh >> (i + 16)) & 1u) << 4;
        y[i] = float(lo - 16) * d;
        y[i + 16] = float(hi - 16) * d;
    }
}

void block_q5_1(const std::uint8_t* b, float* y) {
    const float d = half_at(b), m = half_at(b + 2);
    const std::uint32_t qh = fifth_bits(b + 4);
    const std::uint8_t* q = b + 8;
    for (int i = 0; i < 16; ++i) {
        const int lo = int(q[i] & 0x0F) | int((qh >> i) & 1u) << 4;
        const int hi = int(q[i] >> 4) | int((qh >> (i + 16)) & 1u) << 4;
        y[i] = float(lo) * d + m;
        y[i + 16] = float(hi) * d + m;
    }
}

// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], f16 d, f16 dmin. Values come
// in two halves of 128; in each, 2-bit field f (bits 2f..2f+1) of qs bytes 0-15 and 16-31 of
// the half gives sub-blocks 2f and 2f+1.
void block_q2_k(const std::uint8_t* b, float* y) {
    const std::uint8_t* scales = b;
    const float d = half_at(b + 80), dmin = half_at(b + 82);
    for (int half = 0; half < 2; ++half) {
        const std::uint8_t* q = b + 16 + 32 * half;
        for (int f = 0; f < 4; ++f)
            for (int part = 0; part < 2; ++part) {
                const std::uint8_t sc = scales[8 * half + 2 * f + part];
                const float dl = d * float(sc & 0x0F), ml = dmin * float(sc >> 4);
                for (int l = 0; l < 16; ++l) *y++ = dl * float((q[16 * part + l] >> (2 * f)) & 3) - ml;
            }
    }
}

// Q3_K: hmask[32], qs[64], scales[12], f16 d. Laid out like Q2_K; the high bit of the value
// at qs position l (0..31) of field f in half h is bit 4h + f of hmask[l]: set means +0,
// clear means -4.
void block_q3_k(const std::uint8_t* b, float* y) {
    const std::uint8_t* hmask = b;
    const std::uint8_t* scales = b + 96;
    const float d = half_at(b + 108);
    for (int half = 0; half < 2; ++half) {
        const std::uint8_t* q = b + 32 + 32 * half;
        for (int f = 0; f < 4; ++f) {
            const std::uint8_t bit = std::uint8_t(1u << (4 * half + f));
            for (int part = 0; part < 2; ++part) {
                const float dl = d * float(q3_k_scale(8 * half + 2 * f + part, scales));
                for (int l = 16 * part; l < 16 * part + 16; ++l) {
                    const int v = int((q[l] >> (2 * f)) & 3) - ((hmask[l] & bit) ? 0 : 4);
                    *y++ = dl * float(v);
                }
            }
        }
    }
}

// Q4_K: f16 d, f16 dmin, scales[12], qs[128]. Four chunks of 64 values: the low nibbles of qs
// bytes 32c..32c+31 are sub-block 2c, the high nibbles sub-block 2c+1.
void block_q4_k(const std::uint8_t* b, float* y) {
    const float d = half_at(b), dmin = half_at(b + 2);
    const std::uint8_t* scales = b + 4;
    for (int c = 0; c < 4; ++c) {
        const std::uint8_t* q = b + 16 + 32 * c;
        std::uint8_t sc, m;
        k_quant_scale_min(2 * c, scales, sc, m);
        const float d1 = d * float(sc), m1 = dmin * float(m);
        k_quant_scale_min(2 * c + 1, scales, sc, m);
        const float d2 = d * float(sc), m2 = dmin * float(m);
        for (int l = 0; l < 32; ++l) *y++ = d1 * float(q[l] & 0x0F) - m1;
        for (int l = 0; l < 32; ++l) *y++ = d2 * float(q[l] >> 4) - m2;
    }
}

// Q5_K: f16 d, f16 dmin, scales[12], qh[32], qs[128]. As Q4_K; bit 2c of qh[l] adds 16 to
// the low-nibble value at l of chunk c, bit 2c+1 to the high-nibble value.
void block_q5_k(const std::uint8_t* b, float* y) {
    const float d = half_at(b), dmin = half_at(b + 2);
    const std::uint8_t* scales = b + 4;
    const std::uint8_t* qh = b + 16;
    for (int c = 0; c < 4; ++c) {
        const std::uint8_t* q = b + 48 + 32 * c;
        const std::uint8_t u1 = std::uint8_t(1u << (2 * c)), u2 = std::uint8_t(2u << (2 * c));
        std::uint8_t sc, m;
        k_quant_scale_min(2 * c, scales, sc, m);
        const float d1 = d * float(sc), m1 = dmin * float(m);
        k_quant_scale_min(2 * c + 1, scales, sc, m);
        const float d2 = d * float(sc), m2 = dmin * float(m);
        for (int l = 0; l < 32; ++l) *y++ = d1 * float((q[l] & 0x0F) + ((qh[l] & u1) ? 16 : 0)) - m1;
        for (int l = 0; l < 32; ++l) *y++ = d2 * float((q[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
    }
}

// Q6_K: ql[128], qh[64], int8 scales[16], f16 d. Two halves of 128 values; in half h, value
// l + 32 k (l < 32, k < 4) takes a nibble of ql (bytes 64h + l for k = 0, 2, bytes 64h + 32 + l
// for k = 1, 3; low nibble for k < 2) and bits 2k..2k+1 of qh[32h + l] above it, minus 32;
// its scale is scales[8h + 2k + l / 16].
void block_q6_k(const std::uint8_t* b, float* y) {
    const float d = half_at(b + 208);
    const auto* scales = reinterpret_cast<const std::int8_t*>(b + 192);
    for (int half = 0; half < 2; ++half) {
        const std::uint8_t* ql = b + 64 * half;
        const std::uint8_t* qh = b + 128 + 32 * half;
        const std::int8_t* sc = scales + 8 * half;
        for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            const int q1 = int((ql[l] & 0x0F) | ((qh[l] >> 0) & 3) << 4) - 32;
            const int q2 = int((ql[l + 32] & 0x0F) | ((qh[l] >> 2) & 3) << 4) - 32;
            const int q3 = int((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
            const int q4 = int((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
            y[l] = d * float(sc[is + 0]) * float(q1);
            y[l + 32] = d * float(sc[is + 2]) * float(q2);
            y[l + 64] = d * float(sc[is + 4]) * float(q3);
            y[l + 96] = d * float(sc[is + 6]) * float(q4);
        }
        y += 128;
    }
}

using BlockDecoder = void (*)(const std::uint8_t*, float*);

BlockDecoder decoder_of(WeightType t) {
    switch (t) {
        case WeightType::Q8_0: return block_q8_0;
        case WeightType::Q4_0: return block_q4_0;
        case WeightType::Q4_1: return block_q4_1;
        case WeightType::Q5_0: return block_q5_0;
        case WeightType::Q5_1: return block_q5_1;
        case WeightType::Q2_K: return block_q2_k;
        case WeightType::Q3_K: return block_q3_k;
        case WeightType::Q4_K: return block_q4_k;
        case WeightType::Q5_K: return block_q5_k;
        case WeightType::Q6_K: return block_q6_k;
        default: return nullptr;
    }
}

}  // namespace

void k_quant_scale_min(int j, const std::uint8_t* scales, std::uint8_t& scale, std::uint8_t& min) {
    if (j < 4) {
        scale = scales[j] & 63;
        min = scales[j + 4] & 63;
    } else {
        scale = std::uint8_t((scales[j + 4] & 0x0F) | ((scales[j - 4] >> 6) << 4));
        min = std::uint8_t((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

int q3_k_scale(int j, const std::uint8_t* scales) {
    const int low = j < 8 ? scales[j] & 0x0F : scales[j - 8] >> 4;
    const int high = (scales[8 + j % 4] >> (2 * (j / 4))) & 3;
    return (low | high << 4) - 32;
}

void dequantize(WeightType type, const std::uint8_t* src, std::int64_t n, float* dst) {
    switch (type) {
        case WeightType::F32:
            std::memcpy(dst, src, std::size_t(n) * 4);
            return;
        case WeightType::F16:
            for (std::int64_t i = 0; i < n; ++i) dst[i] = half_at(src + 2 * i);
            return;
        case WeightType::BF16:
            for (std::int64_t i = 0; i < n; ++i) {
                std::uint16_t h;
                std::memcpy(&h, src + 2 * i, 2);
                dst[i] = bf16_to_f32(h);
            }
            return;
        default: break;
    }
    const WeightTypeInfo& info = weight_type_info(type);
    const BlockDecoder decode = decoder_of(type);
    for (std::int64_t b = 0; b < n / info.block_values; ++b)
        decode(src + b * info.block_bytes, dst + b * info.block_values);
}

}  // namespace kvs
