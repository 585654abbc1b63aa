/* The sizes and alignments of the runtime's structures, compiled for a
 * target: check_footprint.py reads them back from this object's symbols
 * (mk_probe_size_T has sizeof(T) bytes, mk_probe_align_T _Alignof(T)) and
 * compares them with memkit-gen's model (generator/memkit_gen/runtime_layout.py).
 * Nothing runs: an object file is enough, for any target's compiler. */
#include "async_internal.h"
#include "gpu_internal.h"

#define MK_PROBE(type) char mk_probe_size_##type[sizeof(type)]; char mk_probe_align_##type[_Alignof(type)];

MK_PROBE(mk__thread_t)
MK_PROBE(mk__slot_t)
MK_PROBE(mk__thread_lifecycle_t)
MK_PROBE(mk__intent_counters_t)
MK_PROBE(mk__cache_t)
MK_PROBE(mk__runtime_t)
MK_PROBE(mk__class_state_t)
MK_PROBE(mk__heap_t)
MK_PROBE(mk__pool_range_t)
MK_PROBE(mk__heap_range_t)
MK_PROBE(mk__async_counters_t)
MK_PROBE(mk__waitq_t)
MK_PROBE(mk__apool_t)
MK_PROBE(mk__channel_t)
MK_PROBE(mk__async_state_t)
MK_PROBE(mk_async_block_slot_t)
MK_PROBE(mk_msg_t)
MK_PROBE(mk_handle_slot_t)
MK_PROBE(mk__gpu_state_t)
MK_PROBE(mk__gpu_heap_t)
MK_PROBE(mk__gpu_block_t)
MK_PROBE(mk__gpu_rec_t)
MK_PROBE(mk__gpu_tlsf_node_t)
MK_PROBE(mk__gpu_tlsf_t)
MK_PROBE(mk_gpu_backend_t)
MK_PROBE(mk_gpu_device_info_t)
MK_PROBE(mk__gpu_ring_t)
