// SPDX-License-Identifier: GPL-2.0-only
// io_uring's structs, declared once (re-exported by layout.ts; checked against
// gcc in test/unit/layout.test.ts like every other layout).
import { koffi, offsets } from './struct.js';

// io_uring (include/uapi/linux/io_uring.h). Unions are declared as the one
// member this tool uses; the names are those of Debian 12's header (linux
// 6.1), which the layout test compiles against.
export const io_sqring_offsets = koffi.struct('mzc_io_sqring_offsets', {
  head: 'uint32_t',
  tail: 'uint32_t',
  ring_mask: 'uint32_t',
  ring_entries: 'uint32_t',
  flags: 'uint32_t',
  dropped: 'uint32_t',
  array: 'uint32_t',
  resv1: 'uint32_t',
  resv2: 'uint64_t',
});

export const io_cqring_offsets = koffi.struct('mzc_io_cqring_offsets', {
  head: 'uint32_t',
  tail: 'uint32_t',
  ring_mask: 'uint32_t',
  ring_entries: 'uint32_t',
  overflow: 'uint32_t',
  cqes: 'uint32_t',
  flags: 'uint32_t',
  resv1: 'uint32_t',
  resv2: 'uint64_t',
});

export const io_uring_params = koffi.struct('mzc_io_uring_params', {
  sq_entries: 'uint32_t',
  cq_entries: 'uint32_t',
  flags: 'uint32_t',
  sq_thread_cpu: 'uint32_t',
  sq_thread_idle: 'uint32_t',
  features: 'uint32_t',
  wq_fd: 'uint32_t',
  resv: koffi.array('uint32_t', 3),
  sq_off: io_sqring_offsets,
  cq_off: io_cqring_offsets,
});

export const io_uring_sqe = koffi.struct('mzc_io_uring_sqe', {
  opcode: 'uint8_t',
  flags: 'uint8_t',
  ioprio: 'uint16_t',
  fd: 'int32_t',
  off: 'uint64_t',
  addr: 'uint64_t',
  len: 'uint32_t',
  msg_flags: 'uint32_t',
  user_data: 'uint64_t',
  buf_index: 'uint16_t',
  personality: 'uint16_t',
  file_index: 'uint32_t',
  addr3: 'uint64_t',
  __pad2: 'uint64_t',
});

export const io_uring_cqe = koffi.struct('mzc_io_uring_cqe', {
  user_data: 'uint64_t',
  res: 'int32_t',
  flags: 'uint32_t',
});

export const io_uring_probe_op = koffi.struct('mzc_io_uring_probe_op', {
  op: 'uint8_t',
  resv: 'uint8_t',
  flags: 'uint16_t',
  resv2: 'uint32_t',
});

export const io_uring_probe = koffi.struct('mzc_io_uring_probe', {
  last_op: 'uint8_t',
  ops_len: 'uint8_t',
  resv: 'uint16_t',
  resv2: koffi.array('uint32_t', 3),
});

export const io_uring_rsrc_update = koffi.struct('mzc_io_uring_rsrc_update', {
  offset: 'uint32_t',
  resv: 'uint32_t',
  data: 'uint64_t',
});

export const io_uring_getevents_arg = koffi.struct('mzc_io_uring_getevents_arg', {
  sigmask: 'uint64_t',
  sigmask_sz: 'uint32_t',
  pad: 'uint32_t',
  ts: 'uint64_t',
});

export const kernel_timespec = koffi.struct('mzc_kernel_timespec', {
  tv_sec: 'int64_t',
  tv_nsec: 'int64_t',
});

export const SQ_OFF = offsets(io_sqring_offsets, ['head', 'tail', 'ring_mask', 'ring_entries', 'flags', 'dropped', 'array'] as const);
export const CQ_OFF = offsets(io_cqring_offsets, ['head', 'tail', 'ring_mask', 'ring_entries', 'overflow', 'cqes', 'flags'] as const);
export const URING_PARAMS = offsets(io_uring_params, ['sq_entries', 'cq_entries', 'flags', 'features', 'sq_off', 'cq_off'] as const);
export const SQE = offsets(io_uring_sqe, ['opcode', 'flags', 'ioprio', 'fd', 'off', 'addr', 'len', 'msg_flags', 'user_data',
  'buf_index', 'personality', 'file_index', 'addr3'] as const);
export const CQE = offsets(io_uring_cqe, ['user_data', 'res', 'flags'] as const);
export const PROBE = offsets(io_uring_probe, ['last_op', 'ops_len'] as const);
export const PROBE_OP = offsets(io_uring_probe_op, ['op', 'flags'] as const);
export const RSRC_UPDATE = offsets(io_uring_rsrc_update, ['offset', 'data'] as const);
export const GETEVENTS_ARG = offsets(io_uring_getevents_arg, ['sigmask', 'sigmask_sz', 'ts'] as const);
export const KERNEL_TIMESPEC = offsets(kernel_timespec, ['tv_sec', 'tv_nsec'] as const);
