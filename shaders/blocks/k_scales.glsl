// What Q4_K and Q5_K share. The 6-bit scale (x) and min (y) of sub-block j (0..7) of a block from
// its 12 scale bytes at s: sub-blocks 0-3 keep theirs in the low 6 bits of bytes j and j+4;
// sub-blocks 4-7 combine a nibble of byte j+4 with the top two bits of bytes j-4 (scale) and j
// (min).
uvec2 k_scale_min(uint s, uint j) {
    if (j < 4u) return uvec2(byte_at(s + j) & 63u, byte_at(s + j + 4u) & 63u);
    uint packed = byte_at(s + j + 4u);
    return uvec2((packed & 0xFu) | ((byte_at(s + j - 4u) >> 6) << 4), (packed >> 4) | ((byte_at(s + j) >> 6) << 4));
}

// Q4_K and Q5_K units: a block is four chunks of 64 values, and unit u = 8c + t covers the four
// values from 64c + 4t (low nibbles, sub-block 2c) and the four from 64c + 32 + 4t (high nibbles,
// sub-block 2c + 1).
uint unit_of(uint i) { return 8u * (i >> 6) + ((i & 31u) >> 2); }
uint unit_lo(uint u) { return 64u * (u >> 3) + 4u * (u & 7u); }
uint unit_hi(uint u) { return unit_lo(u) + 32u; }

// The values of a unit of chunk c of the block at b from its quants: d * scale * q - dmin * min
// with each sub-block's scale and min, rounded as the reference decoder rounds (precise: no
// fused multiply-add).
void k_unit_values(uint b, uint c, uvec4 q_lo, uvec4 q_hi, out vec4 lo, out vec4 hi) {
    vec2 dm = f16_pair_at(b);
    float d = dm.x, dmin = dm.y;
    uvec2 s1 = k_scale_min(b + 4u, 2u * c), s2 = k_scale_min(b + 4u, 2u * c + 1u);
    precise float d1 = d * float(s1.x), m1 = dmin * float(s1.y);
    precise float d2 = d * float(s2.x), m2 = dmin * float(s2.y);
    precise vec4 l = d1 * vec4(q_lo) - m1;
    precise vec4 h = d2 * vec4(q_hi) - m2;
    lo = l;
    hi = h;
}
