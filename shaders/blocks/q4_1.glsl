// Q4_1 (block_q4_1): f16 d, f16 m, qs[16]; nibbles as Q4_0, value = nibble * d + m.
#define QK 32u
#define BLOCK_BYTES 20u
uint unit_of(uint i) { return (i & 15u) >> 2; }
uint unit_lo(uint u) { return 4u * u; }
uint unit_hi(uint u) { return 16u + 4u * u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    vec2 dm = f16_pair_at(b);
    float d = dm.x, m = dm.y;
    uvec4 q = bytes_of(word_at(b + 4u + 4u * u));
    precise vec4 l = vec4(q & 0xFu) * d + m;
    precise vec4 h = vec4(q >> 4u) * d + m;
    lo = l;
    hi = h;
}
