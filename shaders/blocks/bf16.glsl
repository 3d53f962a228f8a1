// BF16: the top half of an F32 pattern. Cut into pseudo-blocks of 8 values (16 bytes) so it
// shares the block types' reads; rows must hold a multiple of 8 values.
#define QK 8u
#define BLOCK_BYTES 16u
uint unit_of(uint i) { return 0u; }
uint unit_lo(uint u) { return 0u; }
uint unit_hi(uint u) { return 4u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    uvec4 v = uvec4(word_at(b), word_at(b + 4u), word_at(b + 8u), word_at(b + 12u));
    lo = uintBitsToFloat(uvec4(v.x << 16, v.x & 0xFFFF0000u, v.y << 16, v.y & 0xFFFF0000u));
    hi = uintBitsToFloat(uvec4(v.z << 16, v.z & 0xFFFF0000u, v.w << 16, v.w & 0xFFFF0000u));
}
