/* integrations/imgui/memkit_imgui.h — Dear ImGui (Debian libimgui-dev 1.86)
 * on a memkit intent.
 *
 *   static mk_imgui_allocator ui{MK_INTENT_UI};
 *   mk_imgui_install(&ui);                    // before ImGui::CreateContext
 *   ImGui::CreateContext(); ...
 *   for each frame:
 *       mk_begin_frame();
 *       ImGui::NewFrame(); ... ImGui::Render();
 *       copy ImGui::GetDrawData() into frame memory for the renderer
 *       mk_end_frame();
 *   ImGui::DestroyContext();
 *   mk_imgui_uninstall();                     // after the last context is gone
 *
 * What goes through it: every IM_ALLOC / IM_FREE of ImGui — the context, the
 * font atlas (glyph tables and the texture's pixels), windows, tables, the
 * string pools and the ImVector buffers of the draw lists.
 *
 * Which intent: a pool or heap intent (a pool intent with its larger
 * requests served by the heap suits it: most of ImGui's blocks are small,
 * the atlas and draw buffers are not). Never a frame intent: ImGui's
 * per-frame data — the draw lists' vertex and index buffers, the command
 * lists — live in ImVectors that ImGui clears each frame but keeps, with
 * their capacity, across frames (after a few frames ImGui allocates almost
 * nothing per frame: tests/integrations/test_imgui.cpp measures it), and
 * the allocation hook only sees a size, so it cannot tell a buffer that dies
 * with the frame from one that lives on. A block from a frame arena would be
 * reused under ImGui two frames later. What does fit memkit's frames is the
 * application's per-frame work around ImGui: the copy of the draw data a
 * renderer uploads, formatted label strings and the like go to a frame
 * intent between mk_begin_frame and mk_end_frame, and are never freed.
 *
 * Process-global: ImGui keeps one allocator (functions and user_data) for
 * all its contexts, so one mk_imgui_allocator serves them all. The
 * allocator's user_data is the mk_imgui_allocator: it must outlive every
 * context. Install before the first context and uninstall after the last:
 * a block allocated under one allocator and freed under another goes to the
 * wrong one. The hooks are thread-safe (memkit is); ImGui itself is not.
 *
 * ImGui's free hook gets no size: blocks go back with mk_free.
 *
 * Out of memory: ImGui has none of its own — it uses what the hook returns
 * without a check (ImVector::reserve memcpy's into it, IM_NEW constructs on
 * it). When memkit refuses a request (budget, tier full, after the intent's
 * on_exhausted policy) the adapter calls the failure handler instead of
 * returning NULL (integrations/memkit_cpp_adapter.h): by default a message
 * naming the intent, the size and the reason, then exit(EXIT_FAILURE). To stay
 * clear of it, compare mk_imgui_headroom() with what the UI was measured to
 * need before creating a context or opening a big window.
 */
#ifndef MEMKIT_IMGUI_H
#define MEMKIT_IMGUI_H

#include "../memkit_cpp_adapter.h"

#include <imgui.h>

/* ImGui's user_data: the intent its blocks are charged to, and what to do
 * when memkit refuses one (fn nullptr: the default message and exit). */
struct mk_imgui_allocator {
    mk_intent_t intent;
    mk_adapter_failure_fn on_failure = nullptr;
    void *failure_user = nullptr;
};

namespace memkit_adapter {
/* The allocator ImGui had before mk_imgui_install (its own malloc wrappers
 * are static in imgui.cpp: this is the only way back to them). */
struct imgui_previous {
    ImGuiMemAllocFunc alloc = nullptr;
    ImGuiMemFreeFunc free = nullptr;
    void *user = nullptr;
};
inline imgui_previous imgui_before{};
} // namespace memkit_adapter

/* ImGui's allocation hook: `size` bytes for the intent of `user` (a
 * mk_imgui_allocator), at MKG_ALIGNMENT. Never returns NULL (the failure
 * handler runs instead). O(1) as mk_alloc. Thread-safe. */
inline void *mk_imgui_alloc(size_t size, void *user)
{
    const mk_imgui_allocator *a = static_cast<const mk_imgui_allocator *>(user);
    void *p = mk_alloc(a->intent, size);
    if (MK_UNLIKELY(p == nullptr))
        memkit_adapter::fail(memkit_adapter::failure_handler{a->on_failure, a->failure_user}, "imgui", "Dear ImGui",
                             a->intent, size);
    return p;
}

/* ImGui's free hook: mk_free (ImGui passes no size). NULL is ignored. */
inline void mk_imgui_free(void *ptr, void *user)
{
    (void)user;
    mk_free(ptr);
}

/* Routes ImGui's allocations to allocator->intent (kept by address: it must
 * outlive every ImGui context). Call after mk_init, before
 * ImGui::CreateContext. Not thread-safe. */
inline void mk_imgui_install(mk_imgui_allocator *allocator)
{
    memkit_adapter::imgui_previous &before = memkit_adapter::imgui_before;
    if (before.alloc == nullptr) /* installed twice: keep the first one's "before" */
        ImGui::GetAllocatorFunctions(&before.alloc, &before.free, &before.user);
    ImGui::SetAllocatorFunctions(mk_imgui_alloc, mk_imgui_free, allocator);
}

/* Gives ImGui back the allocator it had before mk_imgui_install (by default
 * malloc). Call after the last context is destroyed. Not thread-safe. */
inline void mk_imgui_uninstall(void)
{
    memkit_adapter::imgui_previous &before = memkit_adapter::imgui_before;
    if (before.alloc != nullptr)
        ImGui::SetAllocatorFunctions(before.alloc, before.free, before.user);
    before = memkit_adapter::imgui_previous{};
}

/* mk_adapter_headroom of allocator->intent: bytes its budgets still allow.
 * Thread-safe. */
inline uint64_t mk_imgui_headroom(const mk_imgui_allocator *allocator)
{
    return mk_adapter_headroom(allocator->intent);
}

#endif /* MEMKIT_IMGUI_H */
