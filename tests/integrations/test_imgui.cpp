/* test_imgui.cpp — Dear ImGui on memkit (integrations/imgui/memkit_imgui.h,
 * tests/integrations/imgui.toml).
 *
 * A context with a headless font atlas runs 60 frames of two windows (text,
 * a button that a simulated mouse clicks, a 3-column table) between
 * mk_begin_frame and mk_end_frame; each frame's draw data must hold the
 * windows' draw lists with vertices and indices, and is copied into frame
 * memory as a renderer would upload it. ImGui's own count of live blocks
 * must match memkit's, ImGui must stop allocating once its buffers have
 * grown, and everything must come back when the context is destroyed. A
 * budget too small for a context ends the program through the adapter's
 * failure handler — the OOM handler having run first — with a message and
 * exit status 1, never a segfault.
 */
#include <memkit_imgui.h>

#include "integration_check.h"

#include <imgui_internal.h> /* ImGui::GetItemID, ImDrawList::_OwnerName */

#include <cstring>

namespace {

constexpr int frames = 60;

mk_imgui_allocator ui_allocator{MK_INTENT_UI};

ImGuiContext *create_context(void)
{
    ImGuiContext *ctx = ImGui::CreateContext();
    ImGuiIO &io = ImGui::GetIO();
    io.IniFilename = nullptr; /* no imgui.ini written next to the test */
    io.LogFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 720);
    io.DeltaTime = 1.0f / 60;
    unsigned char *pixels = nullptr;
    int width = 0, height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height); /* headless: the pixels are never uploaded */
    return ctx;
}

struct ui_state {
    int clicks = 0;
    ImVec2 button_centre{-1, -1};
    ImGuiID button_id = 0;
};

/* One frame of the UI: an inventory window with a button and a table, and
 * a stats window with a line of text that changes every frame. */
void build_ui(int frame, ui_state &state)
{
    ImGui::SetNextWindowPos(ImVec2(20, 20));
    ImGui::SetNextWindowSize(ImVec2(400, 500));
    ImGui::Begin("Inventory");
    ImGui::Text("Frame %d", frame);
    if (ImGui::Button("Use"))
        state.clicks++;
    state.button_id = ImGui::GetItemID();
    state.button_centre = ImVec2((ImGui::GetItemRectMin().x + ImGui::GetItemRectMax().x) / 2,
                                 (ImGui::GetItemRectMin().y + ImGui::GetItemRectMax().y) / 2);
    if (ImGui::BeginTable("items", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) {
        ImGui::TableSetupColumn("Name");
        ImGui::TableSetupColumn("Count");
        ImGui::TableSetupColumn("Weight");
        ImGui::TableHeadersRow();
        for (int row = 0; row < 20; row++) {
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::Text("item %d", row);
            ImGui::TableSetColumnIndex(1);
            ImGui::Text("%d", (row * 7 + frame) % 13);
            ImGui::TableSetColumnIndex(2);
            ImGui::Text("%.1f kg", static_cast<double>(row) * 0.5);
        }
        ImGui::EndTable();
    }
    ImGui::End();
    ImGui::SetNextWindowPos(ImVec2(500, 20));
    ImGui::Begin("Stats");
    ImGui::Text("memkit frame %llu", static_cast<unsigned long long>(mk_frame_index()));
    ImGui::End();
}

/* The renderer's side: the frame's vertices and indices copied into frame
 * memory (what it would upload), valid until the frame leaves flight. */
size_t upload(const ImDrawData *data)
{
    size_t bytes = 0;
    for (int i = 0; i < data->CmdListsCount; i++) {
        const ImDrawList *list = data->CmdLists[i];
        const size_t vtx = static_cast<size_t>(list->VtxBuffer.Size) * sizeof(ImDrawVert);
        const size_t idx = static_cast<size_t>(list->IdxBuffer.Size) * sizeof(ImDrawIdx);
        void *v = mk_alloc(MK_INTENT_UI_UPLOAD, vtx);
        void *x = mk_alloc(MK_INTENT_UI_UPLOAD, idx);
        CHECK(v != nullptr && x != nullptr);
        if (v == nullptr || x == nullptr)
            continue;
        std::memcpy(v, list->VtxBuffer.Data, vtx);
        std::memcpy(x, list->IdxBuffer.Data, idx);
        CHECK(std::memcmp(v, list->VtxBuffer.Data, vtx) == 0);
        bytes += vtx + idx;
    }
    return bytes;
}

/* A draw list of the frame owned by window `name`. */
const ImDrawList *list_of(const ImDrawData *data, const char *name)
{
    for (int i = 0; i < data->CmdListsCount; i++)
        if (data->CmdLists[i]->_OwnerName != nullptr && std::strcmp(data->CmdLists[i]->_OwnerName, name) == 0)
            return data->CmdLists[i];
    return nullptr;
}

void test_frames_draw_and_balance(void)
{
    mk_imgui_install(&ui_allocator);
    ImGuiContext *ctx = create_context();
    unsigned char *pixels = nullptr;
    int width = 0, height = 0;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &width, &height); /* built already: the same pixels */
    CHECK(pixels != nullptr && width > 0 && height > 0);
    /* the atlas's pixels are a memkit block of the intent */
    CHECK(mk_owns(pixels) && mk_usable_size(pixels) >= static_cast<size_t>(width) * static_cast<size_t>(height) * 4);

    ui_state state;
    uint64_t allocs_after_warmup = 0, live_after_warmup = 0;
    size_t uploaded = 0;
    for (int frame = 0; frame < frames; frame++) {
        /* the mouse presses the button in frame 10 and lets go in frame 11: one click */
        ImGuiIO &io = ImGui::GetIO();
        io.MousePos = state.button_centre;
        io.MouseDown[0] = frame == 10;
        mk_begin_frame();
        ImGui::NewFrame();
        build_ui(frame, state);
        ImGui::Render();
        const ImDrawData *data = ImGui::GetDrawData();
        CHECK(data != nullptr && data->Valid);
        if (data == nullptr)
            break;
        CHECK(data->TotalVtxCount > 0 && data->TotalIdxCount > 0);
        const ImDrawList *inventory = list_of(data, "Inventory");
        CHECK(inventory != nullptr && inventory->VtxBuffer.Size > 0 && inventory->CmdBuffer.Size > 0);
        /* an auto-sized window is measured in its first frame and drawn from the second */
        CHECK_EQ(data->CmdListsCount, frame == 0 ? 1 : 2);
        CHECK(frame == 0 || list_of(data, "Stats") != nullptr);
        uploaded += upload(data);
        mk_end_frame();
        if (frame == frames / 2 - 1) {
            const mk_intent_stats_t ui = check_intent_stats(MK_INTENT_UI);
            allocs_after_warmup = ui.allocations;
            live_after_warmup = ui.current;
        }
    }
    /* the widget ImGui reports is the one the window's ID stack names "Use" */
    ImGui::NewFrame();
    ImGui::Begin("Inventory");
    CHECK_EQ(state.button_id, ImGui::GetID("Use"));
    ImGui::End();
    ImGui::EndFrame();
    CHECK_EQ(state.clicks, 1);

    const mk_intent_stats_t ui = check_intent_stats(MK_INTENT_UI);
    /* ImGui counts its live blocks itself, but only with a current context:
     * memkit's count has the two it allocates before it has one (the context
     * and its font atlas) */
    CHECK_EQ(ui.allocations - ui.frees, static_cast<uint64_t>(ImGui::GetIO().MetricsActiveAllocations) + 2);
    CHECK(ui.current > 100 * 1024); /* the atlas alone is 128 KiB */
    CHECK_EQ(ui.failures, 0);
    /* the second half of the frames reuses ImGui's buffers: no growth, few allocations */
    std::printf("ImGui: %llu allocations in the first %d frames, %llu in the last %d; %llu bytes live\n",
                static_cast<unsigned long long>(allocs_after_warmup), frames / 2,
                static_cast<unsigned long long>(ui.allocations - allocs_after_warmup), frames / 2,
                static_cast<unsigned long long>(ui.current));
    CHECK(ui.allocations - allocs_after_warmup < allocs_after_warmup / 10);
    CHECK(ui.current <= live_after_warmup + live_after_warmup / 10);

    /* the renderer's copies went to the frame intent, never freed one by one */
    const mk_intent_stats_t up = check_intent_stats(MK_INTENT_UI_UPLOAD);
    CHECK(uploaded > 0);
    CHECK(up.allocations >= 2 * frames);
    CHECK_EQ(up.frees, 0);
    CHECK_EQ(up.failures, 0);

    ImGui::DestroyContext(ctx);
    const mk_intent_stats_t after = check_intent_stats(MK_INTENT_UI);
    CHECK_EQ(after.current, 0);
    CHECK(after.allocations > 0);
    CHECK_EQ(after.allocations, after.frees);
    CHECK_EQ(check_intent_stats(MK_INTENT_UI_TIGHT).allocations, 0); /* nothing strayed */
    mk_imgui_uninstall();
}

/* Uninstalling gives ImGui its own malloc back: a context then leaves the
 * intent untouched. */
void test_uninstall_restores_imgui_allocator(void)
{
    mk_imgui_install(&ui_allocator);
    mk_imgui_uninstall();
    ImGuiContext *ctx = create_context();
    ImGui::NewFrame();
    ImGui::Text("hello");
    ImGui::Render();
    ImGui::DestroyContext(ctx);
    CHECK_EQ(check_intent_stats(MK_INTENT_UI).allocations, 0);
}

void test_headroom(void)
{
    mk_imgui_allocator tight{MK_INTENT_UI_TIGHT};
    const uint64_t budget = check_intent_stats(MK_INTENT_UI_TIGHT).budget;
    CHECK_EQ(mk_imgui_headroom(&tight), budget);
    mk_imgui_install(&tight);
    void *p = IM_ALLOC(1000);
    const mk_intent_stats_t held = check_intent_stats(MK_INTENT_UI_TIGHT);
    CHECK(held.current >= 1000);
    CHECK_EQ(mk_imgui_headroom(&tight), budget - held.current - held.leased);
    IM_FREE(p);
    CHECK_EQ(check_intent_stats(MK_INTENT_UI_TIGHT).current, 0);
    mk_imgui_uninstall();
}

/* A context and its atlas on the tight intent, in a child: memkit's OOM
 * handler runs, then the adapter ends the child with a message. */
[[noreturn]] void build_on_tight_budget(void)
{
    static mk_imgui_allocator tight{MK_INTENT_UI_TIGHT};
    mk_set_oom_handler(check_oom_says_once, nullptr);
    mk_imgui_install(&tight);
    create_context();
    std::fprintf(stderr, "the atlas was built: the budget did not bind\n");
    std::_Exit(0);
}

void test_budget_ends_the_program_not_in_a_segfault(void)
{
    check_adapter_exits(build_on_tight_budget, "memkit-imgui", "Dear ImGui", "ui_tight", "the atlas was built");
}

} // namespace

int main(void)
{
    RUN(test_frames_draw_and_balance);
    RUN(test_uninstall_restores_imgui_allocator);
    RUN(test_headroom);
    RUN(test_budget_ends_the_program_not_in_a_segfault);
    return check_finish("test_imgui");
}
