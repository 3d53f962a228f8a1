// Where a cached K or V row lives: the GLSL mirror of KvLayout::offset (engine/kv/kv_layout.h)
// reached through a sequence's block table, the only way shaders address the KV cache.
//
// The pass's rows (one per new token, host-written) say where each token goes:
//   x: token id, y: position (RoPE / learned positions), z: cache slot in its sequence,
//   w: where its sequence's block table starts in block_tables[].
// Slot s of a sequence is in physical block block_tables[table + s / block_size], at slot
// s % block_size of that block; inside the bound K (or V) range of a layer that row starts at
//   base + kv_head * head_stride + block * block_stride + (s % block_size) * head_dim
// (head_stride = n_blocks * block_stride, block_stride = block_size * head_dim).
#define ROW_TOKEN(r) (r).x
#define ROW_POSITION(r) (r).y
#define ROW_SLOT(r) (r).z
#define ROW_TABLE(r) (r).w

// First element of slot `slot` of KV head `kv_head`, for a table starting at `table`.
#define KV_ROW(table, slot, kv_head)                                                          \
    (p.base + block_tables[(table) + (slot) / p.block_size] * p.block_stride + (kv_head) * p.head_stride + \
     ((slot) % p.block_size) * p.head_dim)
