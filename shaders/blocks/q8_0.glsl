// Q8_0 (block_q8_0): f16 d, int8 qs[32]; value i = qs[i] * d. Unit u: values 8u .. 8u+7.
#define QK 32u
#define BLOCK_BYTES 34u
uint unit_of(uint i) { return i >> 3; }
uint unit_lo(uint u) { return 8u * u; }
uint unit_hi(uint u) { return 8u * u + 4u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    float d = f16_at(b);
    uvec2 q = two_words_at(b + 2u + 8u * u);
    lo = vec4(signed_bytes_of(q.x)) * d;
    hi = vec4(signed_bytes_of(q.y)) * d;
}
