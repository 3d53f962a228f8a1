// Q4_0 (block_q4_0): f16 d, qs[16]; byte i holds value i (low nibble) and value i + 16 (high),
// value = (nibble - 8) * d. Unit u: bytes 4u .. 4u+3, values 4u.. and 16 + 4u...
#define QK 32u
#define BLOCK_BYTES 18u
uint unit_of(uint i) { return (i & 15u) >> 2; }
uint unit_lo(uint u) { return 4u * u; }
uint unit_hi(uint u) { return 16u + 4u * u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    float d = f16_at(b);
    uvec4 q = bytes_of(word_at(b + 2u + 4u * u));
    lo = vec4(ivec4(q & 0xFu) - 8) * d;
    hi = vec4(ivec4(q >> 4u) - 8) * d;
}
