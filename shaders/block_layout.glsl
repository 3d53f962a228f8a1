// The decoder of the weight type this shader variant is compiled for (WEIGHT_<TYPE> defined by
// shaders/CMakeLists.txt), over the raw words `uint w[]` that the including shader declares,
// and the generic reads built on its units: one value, by its row and column.
// Blocks of 20, 24, 84, 144 and 176 bytes (and BF16's 16-byte units) keep every field a decoder
// reads as a word on a word boundary, rows being whole blocks.
#if defined(WEIGHT_BF16) || defined(WEIGHT_Q4_1) || defined(WEIGHT_Q5_1) || defined(WEIGHT_Q2_K) || \
    defined(WEIGHT_Q4_K) || defined(WEIGHT_Q5_K)
#define WORD_ALIGNED_BLOCKS
#endif
#include "weight_words.glsl"

#if defined(WEIGHT_BF16)
#include "blocks/bf16.glsl"
#elif defined(WEIGHT_Q8_0)
#include "blocks/q8_0.glsl"
#elif defined(WEIGHT_Q4_0)
#include "blocks/q4_0.glsl"
#elif defined(WEIGHT_Q4_1)
#include "blocks/q4_1.glsl"
#elif defined(WEIGHT_Q5_0)
#include "blocks/q5_0.glsl"
#elif defined(WEIGHT_Q5_1)
#include "blocks/q5_1.glsl"
#elif defined(WEIGHT_Q2_K)
#include "blocks/q2_k.glsl"
#elif defined(WEIGHT_Q3_K)
#include "blocks/q3_k.glsl"
#elif defined(WEIGHT_Q4_K)
#include "blocks/q4_k.glsl"
#elif defined(WEIGHT_Q5_K)
#include "blocks/q5_k.glsl"
#elif defined(WEIGHT_Q6_K)
#include "blocks/q6_k.glsl"
#else
#error "block_layout.glsl needs a WEIGHT_<TYPE> define"
#endif

#define UNITS (QK / 8u)  // units of 8 values per block

// Value i (0..QK-1) of the block at byte b, decoded with the rest of its unit.
float block_value(uint b, uint i) {
    uint u = unit_of(i);
    vec4 lo, hi;
    unit_values(b, u, lo, hi);
    uint o = i - unit_lo(u);
    return o < 4u ? lo[o] : hi[i - unit_hi(u)];
}

// Value (row, col) of a matrix whose rows are row_bytes apart.
float block_weight(uint row, uint col, uint row_bytes) {
    return block_value(row * row_bytes + (col / QK) * BLOCK_BYTES, col % QK);
}
