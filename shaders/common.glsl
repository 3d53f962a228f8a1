// Shared helpers of the kvscope compute shaders.
//
// Dispatches wider than maxComputeWorkGroupCount[0] are folded into y by the host, so a shader
// that needs a flat index asks for flat_group() and checks it against its own count.
uint flat_group() { return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x; }

// F16 tensors are stored as packed pairs of halves in uint words (no 16-bit storage feature
// needed): element i lives in word i / 2, low half first.
float half_at(uint packed_pair, uint i) {
    vec2 pair = unpackHalf2x16(packed_pair);
    return (i & 1u) == 0u ? pair.x : pair.y;
}

#if defined(WEIGHT_BLOCKS)
#define WEIGHT_T uint  // raw words of ggml blocks (block_layout.glsl reads them)
#elif defined(WEIGHT_F16)
#define WEIGHT_T uint
#define LOAD_WEIGHT(buf, i) half_at(buf[(i) >> 1], (i))
#else
#define WEIGHT_T float
#define LOAD_WEIGHT(buf, i) buf[i]
#endif

#ifdef KV_F16
#define KV_T uint
#define LOAD_KV(buf, i) half_at(buf[(i) >> 1], (i))
#else
#define KV_T float
#define LOAD_KV(buf, i) buf[i]
#endif
