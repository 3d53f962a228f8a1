#include "cpu/block_dot.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "model/dequantize.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define KVS_X86_DISPATCH 1
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace kvs::cpu {

namespace {

// Portable path: each block decoded by the reference decoder, then multiplied in F32 with four
// independent sums (so the compiler can keep them in SSE registers).
float dot_decoded(WeightType type, const std::uint8_t* row, const float* x, int cols) {
    const WeightTypeInfo& info = weight_type_info(type);
    // Plain types (F16, BF16: one value per "block") are decoded 256 values at a time.
    const int chunk = info.block_values == 1 ? 256 : info.block_values;
    float buf[256];
    float s[4] = {0, 0, 0, 0};
    for (int first = 0; first < cols; first += chunk) {
        const int n = std::min(chunk, cols - first);
        dequantize(type, row + std::int64_t(first / info.block_values) * info.block_bytes, n, buf);
        for (int i = 0; i < n; ++i) s[i & 3] += buf[i] * x[first + i];
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

template <WeightType T>
float dot_portable(const std::uint8_t* row, const float* x, int cols) {
    return dot_decoded(T, row, x, cols);
}

float dot_f32(const std::uint8_t* row, const float* x, int cols) {
    float s[4] = {0, 0, 0, 0};
    for (int i = 0; i + 4 <= cols; i += 4)
        for (int k = 0; k < 4; ++k) {
            float w;
            std::memcpy(&w, row + 4 * (i + k), 4);
            s[k] += w * x[i + k];
        }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

#ifdef KVS_X86_DISPATCH
#define KVS_AVX2 __attribute__((target("avx2,fma,f16c")))

KVS_AVX2 float hsum(__m256 v) {
    const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

KVS_AVX2 float half(const std::uint8_t* p) {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

// 8 int8 at p as floats.
// The hardware prefetchers follow a stream of reads only within a 4 KB page, so every page of a
// weight matrix began with a wait for memory. Asking for the bytes two pages ahead (into L2)
// keeps the stream going across page boundaries: stories110M's shape decodes 25% faster
// (docs/PERFORMANCE.md). Reading past a matrix's end is harmless: a prefetch never faults.
constexpr int kPrefetchBytes = 8192;
KVS_AVX2 void prefetch_ahead(const void* p) { _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes, _MM_HINT_T1); }
// The same for every 64-byte line of a block.
KVS_AVX2 void prefetch_block_ahead(const std::uint8_t* block, int bytes) {
    for (int offset = 0; offset < bytes; offset += 64) prefetch_ahead(block + offset);
}

KVS_AVX2 __m256 i8x8(const void* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(static_cast<const __m128i*>(p))));
}
// Bytes 0-7 and 8-15 of a 128-bit vector of small integers as floats.
KVS_AVX2 __m256 low8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
KVS_AVX2 __m256 high8(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(v, 8))); }

KVS_AVX2 float dot_f32_avx2(const std::uint8_t* row, const float* x, int cols) {
    const auto* w = reinterpret_cast<const float*>(row);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= cols; i += 16) {
        prefetch_ahead(w + i);  // 64 bytes a step
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < cols; ++i) s += w[i] * x[i];
    return s;
}

KVS_AVX2 void axpy_f32_avx2(float a, const float* x, float* y, int n) {
    const __m256 av = _mm256_set1_ps(a);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * x[i];
}

KVS_AVX2 float dot_f16_avx2(const std::uint8_t* row, const float* x, int cols) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= cols; i += 16) {
        prefetch_ahead(row + 2 * i);  // 32 bytes a step
        const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i)));
        const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i + 16)));
        a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < cols; ++i) s += half(row + 2 * i) * x[i];
    return s;
}

KVS_AVX2 __m256 bf16x8(const std::uint8_t* p) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

KVS_AVX2 float dot_bf16_avx2(const std::uint8_t* row, const float* x, int cols) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= cols; i += 16) {
        prefetch_ahead(row + 2 * i);
        a0 = _mm256_fmadd_ps(bf16x8(row + 2 * i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(bf16x8(row + 2 * i + 16), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < cols; ++i) {
        std::uint32_t bits = std::uint32_t(row[2 * i] | row[2 * i + 1] << 8) << 16;
        float w;
        std::memcpy(&w, &bits, 4);
        s += w * x[i];
    }
    return s;
}

// Q8_0: d * sum(q * x) per block of 32.
KVS_AVX2 float dot_q8_0_avx2(const std::uint8_t* row, const float* x, int cols) {
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < cols / 32; ++b, row += 34, x += 32) {
        prefetch_ahead(row);  // blocks under 64 bytes: every line is asked for at least once
        const std::uint8_t* q = row + 2;
        __m256 s = _mm256_mul_ps(i8x8(q), _mm256_loadu_ps(x));
        s = _mm256_fmadd_ps(i8x8(q + 8), _mm256_loadu_ps(x + 8), s);
        s = _mm256_fmadd_ps(i8x8(q + 16), _mm256_loadu_ps(x + 16), s);
        s = _mm256_fmadd_ps(i8x8(q + 24), _mm256_loadu_ps(x + 24), s);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(row)), s, acc);
    }
    return hsum(acc);
}

// The 32 nibbles of a Q4_0/Q4_1 block: byte i holds value i (low) and i + 16 (high).
struct Nibbles {
    __m128i lo, hi;
};
KVS_AVX2 Nibbles nibbles(const std::uint8_t* q) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m128i mask = _mm_set1_epi8(0x0F);
    return {_mm_and_si128(raw, mask), _mm_and_si128(_mm_srli_epi16(raw, 4), mask)};
}
// sum over the block of q * x (q the unsigned nibbles 0..15).
KVS_AVX2 __m256 nibble_dot(const Nibbles& n, const float* x) {
    __m256 s = _mm256_mul_ps(low8(n.lo), _mm256_loadu_ps(x));
    s = _mm256_fmadd_ps(high8(n.lo), _mm256_loadu_ps(x + 8), s);
    s = _mm256_fmadd_ps(low8(n.hi), _mm256_loadu_ps(x + 16), s);
    return _mm256_fmadd_ps(high8(n.hi), _mm256_loadu_ps(x + 24), s);
}
KVS_AVX2 __m256 block_sum(const float* x) {
    return _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)),
                         _mm256_add_ps(_mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24)));
}

// Q4_0: value (q - 8) d, so a block gives d * (sum q x - 8 sum x).
KVS_AVX2 float dot_q4_0_avx2(const std::uint8_t* row, const float* x, int cols) {
    __m256 acc = _mm256_setzero_ps();
    const __m256 eight = _mm256_set1_ps(8.0f);
    for (int b = 0; b < cols / 32; ++b, row += 18, x += 32) {
        prefetch_ahead(row);  // blocks under 64 bytes: every line is asked for at least once
        const __m256 s = _mm256_fnmadd_ps(eight, block_sum(x), nibble_dot(nibbles(row + 2), x));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(row)), s, acc);
    }
    return hsum(acc);
}

// Q4_1: value q d + m, so a block gives d * sum q x + m * sum x.
KVS_AVX2 float dot_q4_1_avx2(const std::uint8_t* row, const float* x, int cols) {
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < cols / 32; ++b, row += 20, x += 32) {
        prefetch_ahead(row);  // blocks under 64 bytes: every line is asked for at least once
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(row)), nibble_dot(nibbles(row + 4), x), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(row + 2)), block_sum(x), acc);
    }
    return hsum(acc);
}

// Q5_0 / Q5_1: the nibbles plus a fifth bit per value (bit i of the 32-bit word qh).
KVS_AVX2 Nibbles with_fifth_bits(Nibbles n, const std::uint8_t* qh_bytes) {
    std::uint32_t qh;
    std::memcpy(&qh, qh_bytes, 4);
    // Spread bit i of qh to byte i (0x10 when set) for values 0-15 and 16-31.
    const __m128i select = _mm_set_epi64x(0x0101010101010101LL, 0x0000000000000000LL);
    const __m128i bits = _mm_set_epi64x(std::int64_t(0x8040201008040201ULL), std::int64_t(0x8040201008040201ULL));
    const __m128i lo_bytes = _mm_shuffle_epi8(_mm_cvtsi32_si128(int(qh & 0xFFFF)), select);
    const __m128i hi_bytes = _mm_shuffle_epi8(_mm_cvtsi32_si128(int(qh >> 16)), select);
    const __m128i ten = _mm_set1_epi8(0x10);
    n.lo = _mm_or_si128(n.lo, _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(lo_bytes, bits), bits), ten));
    n.hi = _mm_or_si128(n.hi, _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(hi_bytes, bits), bits), ten));
    return n;
}

KVS_AVX2 float dot_q5_0_avx2(const std::uint8_t* row, const float* x, int cols) {
    __m256 acc = _mm256_setzero_ps();
    const __m256 sixteen = _mm256_set1_ps(16.0f);
    for (int b = 0; b < cols / 32; ++b, row += 22, x += 32) {
        prefetch_ahead(row);  // blocks under 64 bytes: every line is asked for at least once
        const Nibbles n = with_fifth_bits(nibbles(row + 6), row + 2);
        const __m256 s = _mm256_fnmadd_ps(sixteen, block_sum(x), nibble_dot(n, x));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(row)), s, acc);
    }
    return hsum(acc);
}

KVS_AVX2 float dot_q5_1_avx2(const std::uint8_t* row, const float* x, int cols) {
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < cols / 32; ++b, row += 24, x += 32) {
        prefetch_ahead(row);  // blocks under 64 bytes: every line is asked for at least once
        const Nibbles n = with_fifth_bits(nibbles(row + 8), row + 4);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(row)), nibble_dot(n, x), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(row + 2)), block_sum(x), acc);
    }
    return hsum(acc);
}

// Q4_K: per chunk of 64 values, sub-block 2c (low nibbles of 32 bytes) and 2c + 1 (high),
// value d sc q - dmin m.
KVS_AVX2 float dot_q4_k_avx2(const std::uint8_t* row, const float* x, int cols) {
    __m256 acc = _mm256_setzero_ps();
    const __m128i mask = _mm_set1_epi8(0x0F);
    for (int b = 0; b < cols / 256; ++b, row += 144, x += 256) {
        prefetch_block_ahead(row, 144);
        const float d = half(row), dmin = half(row + 2);
        __m256 qx = _mm256_setzero_ps(), mx = _mm256_setzero_ps();  // sums of d sc q x and dmin m x
        for (int c = 0; c < 4; ++c) {
            const std::uint8_t* q = row + 16 + 32 * c;
            for (int part = 0; part < 2; ++part) {
                std::uint8_t sc, m;
                k_quant_scale_min(2 * c + part, row + 4, sc, m);
                const float* xs = x + 64 * c + 32 * part;
                __m256 s = _mm256_setzero_ps();
                for (int h = 0; h < 2; ++h) {
                    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16 * h));
                    v = part == 0 ? _mm_and_si128(v, mask) : _mm_and_si128(_mm_srli_epi16(v, 4), mask);
                    s = _mm256_fmadd_ps(low8(v), _mm256_loadu_ps(xs + 16 * h), s);
                    s = _mm256_fmadd_ps(high8(v), _mm256_loadu_ps(xs + 16 * h + 8), s);
                }
                qx = _mm256_fmadd_ps(_mm256_set1_ps(d * float(sc)), s, qx);
                mx = _mm256_fmadd_ps(_mm256_set1_ps(dmin * float(m)), block_sum(xs), mx);
            }
        }
        acc = _mm256_add_ps(acc, _mm256_sub_ps(qx, mx));
    }
    return hsum(acc);
}

// Other types on AVX2: blocks decoded by the reference decoder into a buffer, then FMA.
template <WeightType T>
KVS_AVX2 float dot_decoded_avx2(const std::uint8_t* row, const float* x, int cols) {
    const WeightTypeInfo& info = weight_type_info(T);
    alignas(32) float buf[256];
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (int b = 0; b < cols / info.block_values; ++b) {
        prefetch_block_ahead(row + std::int64_t(b) * info.block_bytes, info.block_bytes);
        dequantize(T, row + std::int64_t(b) * info.block_bytes, info.block_values, buf);
        const float* xb = x + std::int64_t(b) * info.block_values;
        for (int i = 0; i < info.block_values; i += 16) {
            a0 = _mm256_fmadd_ps(_mm256_load_ps(buf + i), _mm256_loadu_ps(xb + i), a0);
            a1 = _mm256_fmadd_ps(_mm256_load_ps(buf + i + 8), _mm256_loadu_ps(xb + i + 8), a1);
        }
    }
    return hsum(_mm256_add_ps(a0, a1));
}

bool avx2_available() {
    if (const char* off = std::getenv("KVSCOPE_NO_AVX2"); off && *off && *off != '0') return false;
    __builtin_cpu_init();
    // F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports does not know "f16c".
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
}

RowDot avx2_dot(WeightType type) {
    switch (type) {
        case WeightType::F32: return dot_f32_avx2;
        case WeightType::F16: return dot_f16_avx2;
        case WeightType::BF16: return dot_bf16_avx2;
        case WeightType::Q8_0: return dot_q8_0_avx2;
        case WeightType::Q4_0: return dot_q4_0_avx2;
        case WeightType::Q4_1: return dot_q4_1_avx2;
        case WeightType::Q5_0: return dot_q5_0_avx2;
        case WeightType::Q5_1: return dot_q5_1_avx2;
        case WeightType::Q4_K: return dot_q4_k_avx2;
        case WeightType::Q2_K: return dot_decoded_avx2<WeightType::Q2_K>;
        case WeightType::Q3_K: return dot_decoded_avx2<WeightType::Q3_K>;
        case WeightType::Q5_K: return dot_decoded_avx2<WeightType::Q5_K>;
        case WeightType::Q6_K: return dot_decoded_avx2<WeightType::Q6_K>;
    }
    return nullptr;
}
#endif

RowDot portable_dot(WeightType type) {
    switch (type) {
        case WeightType::F32: return dot_f32;
        case WeightType::F16: return dot_portable<WeightType::F16>;
        case WeightType::BF16: return dot_portable<WeightType::BF16>;
        case WeightType::Q8_0: return dot_portable<WeightType::Q8_0>;
        case WeightType::Q4_0: return dot_portable<WeightType::Q4_0>;
        case WeightType::Q4_1: return dot_portable<WeightType::Q4_1>;
        case WeightType::Q5_0: return dot_portable<WeightType::Q5_0>;
        case WeightType::Q5_1: return dot_portable<WeightType::Q5_1>;
        case WeightType::Q2_K: return dot_portable<WeightType::Q2_K>;
        case WeightType::Q3_K: return dot_portable<WeightType::Q3_K>;
        case WeightType::Q4_K: return dot_portable<WeightType::Q4_K>;
        case WeightType::Q5_K: return dot_portable<WeightType::Q5_K>;
        case WeightType::Q6_K: return dot_portable<WeightType::Q6_K>;
    }
    return nullptr;
}

}  // namespace

bool row_dot_uses_avx2() {
#ifdef KVS_X86_DISPATCH
    static const bool yes = avx2_available();
    return yes;
#else
    return false;
#endif
}

RowDot row_dot(WeightType type, bool allow_avx2) {
#ifdef KVS_X86_DISPATCH
    if (allow_avx2 && row_dot_uses_avx2()) return avx2_dot(type);
#else
    (void)allow_avx2;
#endif
    return portable_dot(type);
}

RowAxpy f32_axpy() {
#ifdef KVS_X86_DISPATCH
    if (row_dot_uses_avx2()) return axpy_f32_avx2;
#endif
    return [](float a, const float* x, float* y, int n) {
        for (int i = 0; i < n; ++i) y[i] += a * x[i];
    };
}

const char* row_dot_isa() { return row_dot_uses_avx2() ? "AVX2+FMA" : "SSE2"; }

}  // namespace kvs::cpu
