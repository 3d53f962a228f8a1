// Q4_K (block_q4_K): f16 d, f16 dmin, scales[12], qs[128]. Four chunks of 64 values: the low
// nibbles of qs bytes 32c .. 32c+31 are sub-block 2c, the high nibbles sub-block 2c+1; value =
// d * scale * q - dmin * min. Unit u = 8c + t: bytes 32c + 4t .., values 64c + 4t.. (low) and
// 64c + 32 + 4t.. (high).
#include "k_scales.glsl"
#define QK 256u
#define BLOCK_BYTES 144u
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    uint c = u >> 3, t = u & 7u;
    uvec4 q = bytes_of(word_at(b + 16u + 32u * c + 4u * t));
    k_unit_values(b, c, q & 0xFu, q >> 4u, lo, hi);
}
