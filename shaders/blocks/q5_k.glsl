// Q5_K (block_q5_K): f16 d, f16 dmin, scales[12], qh[32], qs[128]. As Q4_K; bit 2c of qh[l]
// adds 16 to the low-nibble value l of chunk c, bit 2c+1 to the high-nibble one.
#include "k_scales.glsl"
#define QK 256u
#define BLOCK_BYTES 176u
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    uint c = u >> 3, t = u & 7u;
    uvec4 qh = bytes_of(word_at(b + 16u + 4u * t));
    uvec4 q = bytes_of(word_at(b + 48u + 32u * c + 4u * t));
    k_unit_values(b, c, (q & 0xFu) + ((qh >> (2u * c)) & 1u) * 16u, (q >> 4u) + ((qh >> (2u * c + 1u)) & 1u) * 16u, lo,
                  hi);
}
