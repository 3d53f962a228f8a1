#version 450
// Greedy sampling on the device: result = index of the largest of x[offset .. offset+count),
// the lowest index among equal maxima (as std::max_element). One workgroup.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
layout(local_size_x = 256) in;

layout(push_constant) uniform Params {
    uint count;
    uint offset;
} p;

layout(binding = 0) readonly buffer X { float x[]; };
layout(binding = 1) writeonly buffer Result { uint result[]; };

shared float best_value[256];
shared uint best_index[256];

void main() {
    uint tid = gl_LocalInvocationID.x;
    float bv = -3.402823466e38;
    uint bi = 0xFFFFFFFFu;
    for (uint i = tid; i < p.count; i += 256u) {
        float v = x[p.offset + i];
        if (v > bv || bi == 0xFFFFFFFFu) { bv = v; bi = i; }
    }
    best_value[tid] = bv;
    best_index[tid] = bi;
    barrier();
    for (uint stride = 128u; stride > 0u; stride >>= 1) {
        if (tid < stride) {
            float ov = best_value[tid + stride];
            uint oi = best_index[tid + stride];
            if (oi != 0xFFFFFFFFu && (best_index[tid] == 0xFFFFFFFFu || ov > best_value[tid] ||
                                      (ov == best_value[tid] && oi < best_index[tid]))) {
                best_value[tid] = ov;
                best_index[tid] = oi;
            }
        }
        barrier();
    }
    if (tid == 0u) result[0] = best_index[0];
}
