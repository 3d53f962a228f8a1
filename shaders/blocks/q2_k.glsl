// Q2_K (block_q2_K): scales[16] (low nibble scale, high nibble min), qs[64], f16 d, f16 dmin.
// Value 128h + 32f + 16p + l (h < 2, f < 4, p < 2, l < 16) is bits 2f..2f+1 of qs[32h + 16p + l]
// in sub-block 8h + 2f + p: d * scale * q - dmin * min. Unit u = 16h + 8p + 4g + t: l = 4t..,
// f = 2g (lo) and 2g + 1 (hi, 32 values further).
#define QK 256u
#define BLOCK_BYTES 84u
uint unit_of(uint i) {
    uint r = i & 127u;
    return 16u * (i >> 7) + 8u * ((r >> 4) & 1u) + 4u * (r >> 6) + ((r & 15u) >> 2);
}
uint unit_lo(uint u) { return 128u * (u >> 4) + 64u * ((u >> 2) & 1u) + 16u * ((u >> 3) & 1u) + 4u * (u & 3u); }
uint unit_hi(uint u) { return unit_lo(u) + 32u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    uint h = u >> 4, p = (u >> 3) & 1u, g = (u >> 2) & 1u, t = u & 3u;
    vec2 dm = f16_pair_at(b + 80u);
    float d = dm.x, dmin = dm.y;
    uint j = 8u * h + 4u * g + p;  // sub-block of f = 2g; f = 2g + 1 is j + 2
    uint s1 = byte_at(b + j), s2 = byte_at(b + j + 2u);
    precise float d1 = d * float(s1 & 0xFu), m1 = dmin * float(s1 >> 4);
    precise float d2 = d * float(s2 & 0xFu), m2 = dmin * float(s2 >> 4);
    uvec4 q = bytes_of(word_at(b + 16u + 32u * h + 16u * p + 4u * t));
    precise vec4 l = d1 * vec4((q >> (4u * g)) & 3u) - m1;
    precise vec4 hv = d2 * vec4((q >> (4u * g + 2u)) & 3u) - m2;
    lo = l;
    hi = hv;
}
