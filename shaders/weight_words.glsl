// Weights in ggml block types (and BF16) are bound as raw 32-bit words, `uint w[]`, so no 8- or
// 16-bit storage feature is needed: the helpers below extract bytes and halves from the words
// that hold them. Byte addresses are relative to the bound row chunk, which starts on a word
// boundary. Every block starts on an even byte (Q4_0's blocks are 18 bytes) and every field a
// decoder reads as a half or 4 bytes sits at an even offset in its block, so half and word
// reads never straddle more than two words.
//
// A decoder (shaders/blocks/*.glsl, one per block layout, included through block_layout.glsl)
// gives the block's QK values and BLOCK_BYTES bytes, and cuts each block into units of 8
// values: unit_values() decodes unit u as two runs of 4 consecutive values, starting at
// unit_lo(u) and unit_hi(u) within the block, and unit_of(i) names the unit holding value i.
// The arithmetic of every value is ggml's (engine/model/dequantize.cpp), and `precise` keeps
// the compiler from fusing a product and a sum into one rounding, so values are bit for bit
// the CPU reference's.

uint byte_at(uint a) { return (w[a >> 2] >> ((a & 3u) * 8u)) & 0xFFu; }
// The half at an even address a.
uint half_bits_at(uint a) { return (w[a >> 2] >> ((a & 2u) * 8u)) & 0xFFFFu; }
float f16_at(uint a) { return unpackHalf2x16(half_bits_at(a)).x; }
// The 4 bytes from an even address a, little-endian. Layouts whose blocks are a whole number
// of words (WORD_ALIGNED_BLOCKS, block_layout.glsl) only ever ask for aligned words: one load,
// no branch.
uint word_at(uint a) {
#ifdef WORD_ALIGNED_BLOCKS
    return w[a >> 2];
#else
    uint lo = w[a >> 2];
    if ((a & 2u) == 0u) return lo;
    return (lo >> 16) | (w[(a >> 2) + 1u] << 16);
#endif
}
// The 8 bytes from an even address a: three loads at most (two single words would take four).
uvec2 two_words_at(uint a) {
    uint i = a >> 2;
    uint w0 = w[i], w1 = w[i + 1u];
#ifndef WORD_ALIGNED_BLOCKS
    if ((a & 2u) != 0u) {
        uint w2 = w[i + 2u];
        return uvec2((w0 >> 16) | (w1 << 16), (w1 >> 16) | (w2 << 16));
    }
#endif
    return uvec2(w0, w1);
}
// Two halves at an even address a (for example a block's d and m): one word read.
vec2 f16_pair_at(uint a) { return unpackHalf2x16(word_at(a)); }
// The 4 bytes of a word, low byte first.
uvec4 bytes_of(uint v) { return (uvec4(v) >> uvec4(0u, 8u, 16u, 24u)) & 0xFFu; }
// Signed bytes (int8 quants and scales).
ivec4 signed_bytes_of(uint v) { return ivec4(uvec4(v) << uvec4(24u, 16u, 8u, 0u)) >> 24; }
