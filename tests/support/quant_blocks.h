#pragma once
// Blocks of every weight type written byte by byte from ggml's block definitions, with values
// worked out by hand from those definitions (the arithmetic is in the comments). Shared by
// the CPU and Vulkan tests of dequantization and of the quantized products.
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/weight_type.h"

namespace kvs::test {

struct HandBlock {
    WeightType type;
    std::vector<std::uint8_t> bytes;                  // one block (several values for plain types)
    std::vector<std::pair<int, float>> expected;      // (value index, value)
};

// F16 bit patterns used below: 1.0 = 0x3C00, 0.5 = 0x3800, 0.25 = 0x3400, 2.0 = 0x4000,
// -1.0 = 0xBC00; little-endian in the block (low byte first).
inline std::vector<HandBlock> hand_blocks() {
    std::vector<HandBlock> out;
    auto zeros = [](WeightType t) { return std::vector<std::uint8_t>(std::size_t(weight_type_info(t).block_bytes), 0); };

    {  // F16: four values
        out.push_back({WeightType::F16, {0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00, 0x00, 0x7C},
                       {{0, 1.0f}, {1, -2.0f}, {2, 5.9604645e-8f /* 2^-24, smallest subnormal */}, {3, INFINITY}}});
    }
    {  // BF16: the top half of the F32 pattern: 0x3F80 = 1.0, 0xC040 = -3.0, 0x4049 = 3.140625
        out.push_back({WeightType::BF16, {0x80, 0x3F, 0x40, 0xC0, 0x49, 0x40}, {{0, 1.0f}, {1, -3.0f}, {2, 3.140625f}}});
    }
    {  // Q8_0: d = 0.5, value = q * d
        auto b = zeros(WeightType::Q8_0);
        b[0] = 0x00, b[1] = 0x38;
        b[2] = 0x80;   // q0 = -128 -> -64
        b[3] = 0xFF;   // q1 = -1 -> -0.5
        b[6] = 0x7F;   // q4 = 127 -> 63.5
        b[33] = 0x05;  // q31 = 5 -> 2.5
        out.push_back({WeightType::Q8_0, b, {{0, -64.0f}, {1, -0.5f}, {2, 0.0f}, {4, 63.5f}, {31, 2.5f}}});
    }
    {  // Q4_0: d = 2, value = (nibble - 8) * d; byte i: low nibble value i, high nibble value i + 16
        auto b = zeros(WeightType::Q4_0);
        b[0] = 0x00, b[1] = 0x40;
        b[2] = 0x3A;   // value 0: (10 - 8) * 2 = 4; value 16: (3 - 8) * 2 = -10
        b[17] = 0xF0;  // value 15: (0 - 8) * 2 = -16; value 31: (15 - 8) * 2 = 14
        out.push_back({WeightType::Q4_0, b, {{0, 4.0f}, {16, -10.0f}, {15, -16.0f}, {31, 14.0f}, {1, -16.0f}}});
    }
    {  // Q4_1: d = 0.5, m = -1, value = nibble * d + m
        auto b = zeros(WeightType::Q4_1);
        b[0] = 0x00, b[1] = 0x38, b[2] = 0x00, b[3] = 0xBC;
        b[4] = 0x3A;  // value 0: 10 * 0.5 - 1 = 4; value 16: 3 * 0.5 - 1 = 0.5
        out.push_back({WeightType::Q4_1, b, {{0, 4.0f}, {16, 0.5f}, {1, -1.0f}, {17, -1.0f}}});
    }
    {  // Q5_0: d = 1, qh bit i = fifth bit of value i, value = (q - 16) * d
        auto b = zeros(WeightType::Q5_0);
        b[0] = 0x00, b[1] = 0x3C;
        b[2] = 0x01, b[4] = 0x02;  // qh bits 0 and 17
        b[6] = 0x21;  // value 0: 1 | 16 = 17 -> 1; value 16: 2 -> -14
        b[7] = 0x43;  // value 1: 3 -> -13; value 17: 4 | 16 = 20 -> 4
        out.push_back({WeightType::Q5_0, b, {{0, 1.0f}, {16, -14.0f}, {1, -13.0f}, {17, 4.0f}, {2, -16.0f}}});
    }
    {  // Q5_1: d = 0.25, m = 2, value = q * d + m
        auto b = zeros(WeightType::Q5_1);
        b[0] = 0x00, b[1] = 0x34, b[2] = 0x00, b[3] = 0x40;
        b[7] = 0x80;   // qh bit 31
        b[23] = 0xF7;  // value 15: 7 -> 3.75; value 31: 15 | 16 = 31 -> 9.75
        out.push_back({WeightType::Q5_1, b, {{15, 3.75f}, {31, 9.75f}, {0, 2.0f}}});
    }
    {  // Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d = 1 (byte 80), dmin = 0.5 (82).
       // Value = d * scale * q - dmin * min; q = bits 2f..2f+1 of qs[32 h + 16 p + l] for value
       // 128 h + 32 f + 16 p + l, sub-block 8 h + 2 f + p.
        auto b = zeros(WeightType::Q2_K);
        b[80] = 0x00, b[81] = 0x3C, b[82] = 0x00, b[83] = 0x38;
        b[0] = 0x23;   // sub-block 0: scale 3, min 2 -> 3 q - 1
        b[1] = 0x05;   // sub-block 1: scale 5, min 0
        b[2] = 0x01;   // sub-block 2: scale 1, min 0
        b[4] = 0x10;   // sub-block 4: scale 0, min 1
        b[6] = 0xF4;   // sub-block 6: scale 4, min 15
        b[8] = 0x11;   // sub-block 8: scale 1, min 1
        b[16] = 0xE6;  // fields 2, 1, 2, 3 -> values 0, 32, 64, 96
        b[32] = 0x03;  // field 0 = 3 -> value 16 (sub-block 1)
        b[48] = 0x01;  // field 0 = 1 -> value 128 (sub-block 8)
        out.push_back({WeightType::Q2_K, b,
                       {{0, 5.0f}, {1, -1.0f}, {32, 1.0f}, {64, -0.5f}, {96, 4.5f}, {16, 15.0f}, {128, 0.5f}}});
    }
    {  // Q3_K: hmask[32], qs[64] (byte 32), scales[12] (byte 96), d = 0.5 (byte 108). Value
       // 128 h + 32 f + 16 p + l: q = bits 2f.. of qs[32 h + 16 p + l], minus 4 unless bit 4h + f
       // of hmask[16 p + l] is set; scale of sub-block j = 6-bit stored value - 32.
        auto b = zeros(WeightType::Q3_K);
        b[108] = 0x00, b[109] = 0x38;
        b[96] = 0x02, b[104] = 0x22;  // j = 0: low 2, high 2 -> 34 - 32 = 2; j = 8: low 0, high 2 -> 0
        b[97] = 0x0F, b[105] = 0x01;  // j = 1: low 15, high 1 -> 31 - 32 = -1
        // every other sub-block stores 0: scale -32
        b[32] = 0x03, b[0] = 0x11;    // value 0: q 3, hmask bit 0 set -> 0.5 * 2 * 3 = 3
                                      // value 32: q 0, bit 1 clear -> -4; sub-block 2: 0.5 * -32 * -4 = 64
                                      // value 128: hmask bit 4 set, q (qs[64] = 2) -> 0.5 * 0 * 2 = 0
        b[64] = 0x02;
        b[48] = 0x01;                 // value 16: q 1, hmask[16] clear -> -3; 0.5 * -1 * -3 = 1.5
        out.push_back({WeightType::Q3_K, b, {{0, 3.0f}, {1, -4.0f}, {16, 1.5f}, {32, 64.0f}, {128, 0.0f}}});
    }
    // Q4_K and Q5_K: d = 0.5, dmin = 0.25, scales[12] at byte 4. Sub-block j < 4: scale =
    // scales[j] & 63, min = scales[j+4] & 63; j >= 4: scale = (scales[j+4] & 15) | (scales[j-4] >> 6) << 4,
    // min = (scales[j+4] >> 4) | (scales[j] >> 6) << 4. Value = d * scale * q - dmin * min.
    auto k_scales = [](std::vector<std::uint8_t>& b) {
        b[0] = 0x00, b[1] = 0x38, b[2] = 0x00, b[3] = 0x34;
        b[4 + 0] = 3 | 1 << 6;  // sub-block 0 scale 3; top bits 01 -> sub-block 4 scale += 16
        b[4 + 4] = 8;           // sub-block 0 min 8
        b[4 + 1] = 2;           // sub-block 1 scale 2, min 0
        b[4 + 8] = 0x21;        // sub-block 4: scale 1 | 16 = 17, min 2
    };
    {  // Q4_K: qs[128] at byte 16; chunk c of 64 values: low nibbles of qs[32c + l] are
       // sub-block 2c, high nibbles sub-block 2c + 1
        auto b = zeros(WeightType::Q4_K);
        k_scales(b);
        b[16] = 0x5A;  // value 0: 0.5 * 3 * 10 - 0.25 * 8 = 13; value 32: 0.5 * 2 * 5 = 5
        b[80] = 0x04;  // value 128 (sub-block 4): 0.5 * 17 * 4 - 0.25 * 2 = 33.5
        out.push_back({WeightType::Q4_K, b, {{0, 13.0f}, {32, 5.0f}, {128, 33.5f}, {1, -2.0f}, {129, -0.5f}}});
    }
    {  // Q5_K: qh[32] at byte 16, qs[128] at byte 48; bit 2c of qh[l] adds 16 to the low-nibble
       // value l of chunk c, bit 2c + 1 to the high-nibble one
        auto b = zeros(WeightType::Q5_K);
        k_scales(b);
        b[16] = 0x11;   // qh[0]: bits 0 and 4 (chunk 0 low, chunk 2 low)
        b[48] = 0x5A;   // value 0: 0.5 * 3 * (10 + 16) - 2 = 37; value 32: 0.5 * 2 * 5 = 5
        b[112] = 0x04;  // value 128: 0.5 * 17 * (4 + 16) - 0.5 = 169.5
        out.push_back({WeightType::Q5_K, b, {{0, 37.0f}, {32, 5.0f}, {128, 169.5f}, {1, -2.0f}}});
    }
    {  // Q6_K: ql[128], qh[64] (byte 128), int8 scales[16] (byte 192), d = 0.5 (byte 208). In the
       // first half, value l + 32 k takes nibble (k >= 2: high) of ql[l + 32 (k % 2)] and bits 2k..
       // of qh[l] above it, minus 32; scale = scales[2k + l / 16].
        auto b = zeros(WeightType::Q6_K);
        b[208] = 0x00, b[209] = 0x38;
        b[192] = 2, b[193] = 4, b[194] = 0xFF /* -1 */, b[196] = 3, b[198] = 1;
        b[0] = 0x27;    // ql[0]: low 7, high 2
        b[32] = 0x0A;   // ql[32]: low 10, high 0
        b[128] = 0x36;  // qh[0]: bits 0-1 = 2, 2-3 = 1, 4-5 = 3, 6-7 = 0
        // value 0: 7 | 2 << 4 = 39 -> 7, 0.5 * 2 * 7 = 7; value 32: 10 | 16 = 26 -> -6, 0.5 * -1 * -6 = 3
        // value 64: 2 | 48 = 50 -> 18, 0.5 * 3 * 18 = 27; value 96: 0 -> -32, 0.5 * 1 * -32 = -16
        // value 16: 0 -> -32, scale scales[1] = 4: 0.5 * 4 * -32 = -64
        out.push_back({WeightType::Q6_K, b, {{0, 7.0f}, {32, 3.0f}, {64, 27.0f}, {96, -16.0f}, {16, -64.0f}}});
    }
    return out;
}

}  // namespace kvs::test
