// Q5_K (block_q5_K): f16 d, f16 dmin, scales[12], qh[32], qs[128]. As Q4_K; bit 2c of qh[l]
// adds 16 to the low-nibble value l of chunk c, bit 2c+1 to the high-nibble one.
#include "k_scales.glsl"
#define QK 256u
#define BLOCK_BYTES 176u
uint unit_of(uint i) { return 8u * (i >> 6) + ((i & 31u) >> 2); }
uint unit_lo(uint u) { return 64u * (u >> 3) + 4u * (u & 7u); }
uint unit_hi(uint u) { return unit_lo(u) + 32u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    uint c = u >> 3, t = u & 7u;
    vec2 dm = f16_pair_at(b);
    float d = dm.x, dmin = dm.y;
    uvec2 s1 = k_scale_min(b + 4u, 2u * c), s2 = k_scale_min(b + 4u, 2u * c + 1u);
    precise float d1 = d * float(s1.x), m1 = dmin * float(s1.y);
    precise float d2 = d * float(s2.x), m2 = dmin * float(s2.y);
    uvec4 qh = bytes_of(word_at(b + 16u + 4u * t));
    uvec4 q = bytes_of(word_at(b + 48u + 32u * c + 4u * t));
    uvec4 l4 = (q & 0xFu) + ((qh >> (2u * c)) & 1u) * 16u;
    uvec4 h4 = (q >> 4u) + ((qh >> (2u * c + 1u)) & 1u) * 16u;
    precise vec4 l = d1 * vec4(l4) - m1;
    precise vec4 h = d2 * vec4(h4) - m2;
    lo = l;
    hi = h;
}
