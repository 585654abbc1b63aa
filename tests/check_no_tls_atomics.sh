#!/usr/bin/env bash
# check_no_tls_atomics.sh LIBRARY — a threads = false runtime has no
# thread-local storage sections and no atomic (lock-prefixed or xchg/cmpxchg)
# instructions. x86-64 only: elsewhere the check is skipped (exit 77).
set -euo pipefail
lib=$1
case $(uname -m) in x86_64) ;; *) echo "skipped: not x86-64"; exit 77 ;; esac
if objdump -h "$lib" | grep -Eq '\.t(bss|data)'; then
  echo "FAIL: $lib has thread-local storage sections"; exit 1
fi
if objdump -d --no-show-raw-insn "$lib" | grep -Eq '(^|\s)(lock\b|xchg|cmpxchg)'; then
  echo "FAIL: $lib has atomic instructions:"
  objdump -d --no-show-raw-insn "$lib" | grep -E '(^|\s)(lock\b|xchg|cmpxchg)' | head
  exit 1
fi
echo "ok: $lib has no TLS and no atomics"
