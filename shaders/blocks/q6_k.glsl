// Q6_K (block_q6_K): ql[128], qh[64], int8 scales[16], f16 d. Two halves of 128 values; in
// half h, value l + 32k (l < 32, k < 4) takes a nibble of ql (bytes 64h + l for k = 0, 2,
// 64h + 32 + l for k = 1, 3; low nibble for k < 2) and bits 2k..2k+1 of qh[32h + l] above it,
// minus 32; value = d * scales[8h + 2k + l / 16] * q. Unit u = 16h + 8p + t: l = 4t.., k = p
// (low nibbles, values 128h + 32p + 4t..) and k = p + 2 (high nibbles, 64 values further).
#define QK 256u
#define BLOCK_BYTES 210u
uint unit_of(uint i) { return 16u * (i >> 7) + 8u * ((i >> 5) & 1u) + ((i & 31u) >> 2); }
uint unit_lo(uint u) { return 128u * (u >> 4) + 32u * ((u >> 3) & 1u) + 4u * (u & 7u); }
uint unit_hi(uint u) { return unit_lo(u) + 64u; }
void unit_values(uint b, uint u, out vec4 lo, out vec4 hi) {
    uint h = u >> 4, p = (u >> 3) & 1u, t = u & 7u;
    float d = f16_at(b + 208u);
    uint sc = b + 192u + 8u * h + 2u * p + (t >> 2);  // scale of k = p; k = p + 2 is 4 bytes on
    precise float d_lo = d * float(int(byte_at(sc) << 24) >> 24);
    precise float d_hi = d * float(int(byte_at(sc + 4u) << 24) >> 24);
    uvec4 ql = bytes_of(word_at(b + 64u * h + 32u * p + 4u * t));
    uvec4 qh = bytes_of(word_at(b + 128u + 32u * h + 4u * t));
    ivec4 l4 = ivec4((ql & 0xFu) | (((qh >> (2u * p)) & 3u) << 4)) - 32;
    ivec4 h4 = ivec4((ql >> 4u) | (((qh >> (2u * p + 4u)) & 3u) << 4)) - 32;
    precise vec4 l = d_lo * vec4(l4);
    precise vec4 hv = d_hi * vec4(h4);
    lo = l;
    hi = hv;
}
