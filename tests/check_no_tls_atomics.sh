#!/usr/bin/env bash
# check_no_tls_atomics.sh LIBRARY — a threads = false runtime has no
# thread-local storage sections and no atomic (lock-prefixed or xchg/cmpxchg)
# instructions. x86-64 only: elsewhere the check is skipped (exit 77).
set -euo pipefail
lib=$1
case $(uname -m) in x86_64) ;; *) echo "skipped: not x86-64"; exit 77 ;; esac
sections=$(objdump -h "$lib") || { echo "FAIL: cannot read $lib"; exit 1; }
if echo "$sections" | grep -Eq '\.t(bss|data)'; then
  echo "FAIL: $lib has thread-local storage sections"; exit 1
fi
# `xchg %ax,%ax` is the assembler's two-byte no-op padding, not an atomic
code=$(objdump -d --no-show-raw-insn "$lib") || { echo "FAIL: cannot disassemble $lib"; exit 1; }
atomics=$(echo "$code" | grep -E '(^|\s)(lock\b|xchg|cmpxchg)' | grep -Ev 'xchg +%ax,%ax' || true)
if [ -n "$atomics" ]; then
  echo "FAIL: $lib has atomic instructions:"
  echo "$atomics" | head
  exit 1
fi
echo "ok: $lib has no TLS and no atomics"
