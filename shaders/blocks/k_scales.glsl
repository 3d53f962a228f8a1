// The 6-bit scale (x) and min (y) of sub-block j (0..7) of a Q4_K/Q5_K block from its 12 scale
// bytes at s: sub-blocks 0-3 keep theirs in the low 6 bits of bytes j and j+4; sub-blocks 4-7
// combine a nibble of byte j+4 with the top two bits of bytes j-4 (scale) and j (min).
uvec2 k_scale_min(uint s, uint j) {
    if (j < 4u) return uvec2(byte_at(s + j) & 63u, byte_at(s + j + 4u) & 63u);
    uint packed = byte_at(s + j + 4u);
    return uvec2((packed & 0xFu) | ((byte_at(s + j - 4u) >> 6) << 4), (packed >> 4) | ((byte_at(s + j) >> 6) << 4));
}
