// memkit_override_new.cpp — C++ operator new and delete on libmemkit_override
// (docs/override.md): every replaceable form of C++17 (plain, array, nothrow,
// sized, aligned). They are attributed like malloc, by the module that calls
// the operator. new throws std::bad_alloc after the new_handler loop gives
// up; the nothrow forms return nullptr.
#include "memkit_override.h"

#include <cstddef>
#include <new>

#define MKO_EXPORT __attribute__((visibility("default")))
#define MKO_CALLER() __builtin_extract_return_addr(__builtin_return_address(0))

namespace {

// The new_handler loop of [new.delete.single]: try, call the handler, try again.
__attribute__((noinline)) void *mko_new(std::size_t size, std::size_t align, const void *caller)
{
    for (;;) {
        void *p = mko_alloc(size, align, caller);
        if (p != nullptr)
            return p;
        std::new_handler handler = std::get_new_handler();
        if (handler == nullptr)
            throw std::bad_alloc();
        handler();
    }
}

void *mko_new_nothrow(std::size_t size, std::size_t align, const void *caller) noexcept
{
    try {
        return mko_new(size, align, caller);
    } catch (...) {
        return nullptr;
    }
}

} // namespace

MKO_EXPORT void *operator new(std::size_t size) { return mko_new(size, 0, MKO_CALLER()); }
MKO_EXPORT void *operator new[](std::size_t size) { return mko_new(size, 0, MKO_CALLER()); }
MKO_EXPORT void *operator new(std::size_t size, const std::nothrow_t &) noexcept
{
    return mko_new_nothrow(size, 0, MKO_CALLER());
}
MKO_EXPORT void *operator new[](std::size_t size, const std::nothrow_t &) noexcept
{
    return mko_new_nothrow(size, 0, MKO_CALLER());
}
MKO_EXPORT void *operator new(std::size_t size, std::align_val_t align)
{
    return mko_new(size, static_cast<std::size_t>(align), MKO_CALLER());
}
MKO_EXPORT void *operator new[](std::size_t size, std::align_val_t align)
{
    return mko_new(size, static_cast<std::size_t>(align), MKO_CALLER());
}
MKO_EXPORT void *operator new(std::size_t size, std::align_val_t align, const std::nothrow_t &) noexcept
{
    return mko_new_nothrow(size, static_cast<std::size_t>(align), MKO_CALLER());
}
MKO_EXPORT void *operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t &) noexcept
{
    return mko_new_nothrow(size, static_cast<std::size_t>(align), MKO_CALLER());
}

MKO_EXPORT void operator delete(void *p) noexcept { mko_free(p); }
MKO_EXPORT void operator delete[](void *p) noexcept { mko_free(p); }
MKO_EXPORT void operator delete(void *p, std::size_t) noexcept { mko_free(p); }
MKO_EXPORT void operator delete[](void *p, std::size_t) noexcept { mko_free(p); }
MKO_EXPORT void operator delete(void *p, const std::nothrow_t &) noexcept { mko_free(p); }
MKO_EXPORT void operator delete[](void *p, const std::nothrow_t &) noexcept { mko_free(p); }
MKO_EXPORT void operator delete(void *p, std::align_val_t) noexcept { mko_free(p); }
MKO_EXPORT void operator delete[](void *p, std::align_val_t) noexcept { mko_free(p); }
MKO_EXPORT void operator delete(void *p, std::size_t, std::align_val_t) noexcept { mko_free(p); }
MKO_EXPORT void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { mko_free(p); }
MKO_EXPORT void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { mko_free(p); }
MKO_EXPORT void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { mko_free(p); }
