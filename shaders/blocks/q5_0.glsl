// Q5_0 (block_q5_0): f16 d, qh (32 bits: bit i is the fifth bit of value i), qs[16] nibbles as
// Q4_0; value = (q - 16) * d.
#define QK 32u
#define BLOCK_BYTES 22u
uint unit_of(uint i) { return (i & 15u) >> 2; }
uint unit_lo(uint u) { return 4u * u; }
uint unit_hi(uint u) { return 16u + 4u * u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    float d = f16_at(b);
    uint qh = word_at(b + 2u);
    uvec4 q = bytes_of(word_at(b + 6u + 4u * u));
    uvec4 bit = uvec4(4u * u) + uvec4(0u, 1u, 2u, 3u);
    uvec4 l = (q & 0xFu) | (((uvec4(qh) >> bit) & 1u) << 4);
    uvec4 h = (q >> 4u) | (((uvec4(qh) >> (bit + 16u)) & 1u) << 4);
    lo = vec4(ivec4(l) - 16) * d;
    hi = vec4(ivec4(h) - 16) * d;
}
