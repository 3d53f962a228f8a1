// Q5_1 (block_q5_1): f16 d, f16 m, qh, qs[16]; bits as Q5_0, value = q * d + m.
#define QK 32u
#define BLOCK_BYTES 24u
uint unit_of(uint i) { return (i & 15u) >> 2; }
uint unit_lo(uint u) { return 4u * u; }
uint unit_hi(uint u) { return 16u + 4u * u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    vec2 dm = f16_pair_at(b);
    float d = dm.x, m = dm.y;
    uint qh = word_at(b + 4u);
    uvec4 q = bytes_of(word_at(b + 8u + 4u * u));
    uvec4 bit = uvec4(4u * u) + uvec4(0u, 1u, 2u, 3u);
    uvec4 l4 = (q & 0xFu) | (((uvec4(qh) >> bit) & 1u) << 4);
    uvec4 h4 = (q >> 4u) | (((uvec4(qh) >> (bit + 16u)) & 1u) << 4);
    precise vec4 l = vec4(l4) * d + m;
    precise vec4 h = vec4(h4) * d + m;
    lo = l;
    hi = h;
}
