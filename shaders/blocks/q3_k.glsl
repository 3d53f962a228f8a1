// Q3_K (block_q3_K): hmask[32], qs[64], scales[12], f16 d. Laid out like Q2_K: value
// 128h + 32f + 16p + l has q = bits 2f.. of qs[32h + 16p + l], minus 4 unless bit 4h + f of
// hmask[16p + l] is set, in sub-block j = 8h + 2f + p whose signed 6-bit scale takes its low
// nibble from byte j (j < 8) or the high nibble of byte j - 8 and its top two bits from byte
// 8 + j % 4 at bit 2 (j / 4), offset by 32; value = d * scale * q. Units as Q2_K.
#define QK 256u
#define BLOCK_BYTES 110u
uint unit_of(uint i) {
    uint r = i & 127u;
    return 16u * (i >> 7) + 8u * ((r >> 4) & 1u) + 4u * (r >> 6) + ((r & 15u) >> 2);
}
uint unit_lo(uint u) { return 128u * (u >> 4) + 64u * ((u >> 2) & 1u) + 16u * ((u >> 3) & 1u) + 4u * (u & 3u); }
uint unit_hi(uint u) { return unit_lo(u) + 32u; }
int q3_k_scale(uint s, uint j) {
    uint low = j < 8u ? byte_at(s + j) & 0xFu : byte_at(s + j - 8u) >> 4;
    uint high = (byte_at(s + 8u + (j & 3u)) >> (2u * (j >> 2))) & 3u;
    return int(low | (high << 4)) - 32;
}
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    uint h = u >> 4, p = (u >> 3) & 1u, g = (u >> 2) & 1u, t = u & 3u;
    float d = f16_at(b + 108u);
    uint j = 8u * h + 4u * g + p;
    precise float d1 = d * float(q3_k_scale(b + 96u, j));
    precise float d2 = d * float(q3_k_scale(b + 96u, j + 2u));
    uvec4 q = bytes_of(word_at(b + 32u + 32u * h + 16u * p + 4u * t));
    uvec4 m = bytes_of(word_at(b + 16u * p + 4u * t));
    uint f = 2u * g;
    ivec4 l4 = ivec4((q >> (2u * f)) & 3u) - ivec4(((m >> (4u * h + f)) & 1u) ^ 1u) * 4;
    ivec4 h4 = ivec4((q >> (2u * f + 2u)) & 3u) - ivec4(((m >> (4u * h + f + 1u)) & 1u) ^ 1u) * 4;
    precise vec4 l = d1 * vec4(l4);
    precise vec4 hv = d2 * vec4(h4);
    lo = l;
    hi = hv;
}
