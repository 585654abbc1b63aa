/* bench_imgui.cpp — Dear ImGui on memkit vs glibc, mimalloc and jemalloc
 * (integrations/imgui/memkit_imgui.h; the config is
 * tests/integrations/imgui.toml's).
 *
 *   bench_imgui [ROUNDS 1..1000]      (default 7; also MK_BENCH_ROUNDS)
 *
 * The workload: create a context, build the font atlas (headless), run 300
 * frames of four windows with text, buttons and a 50-row table, Render()
 * each, destroy the context — timed as a whole. ImGui allocates mostly while
 * its context, atlas and buffers grow (tests/integrations/test_imgui.cpp
 * shows that it stops after a few frames), so the row mostly says what the
 * allocator costs a UI's start-up and steady frames together. Each run sets
 * its allocator with ImGui::SetAllocatorFunctions (user_data: the
 * mk_imgui_allocator for memkit, the peer for the others). Every allocator
 * must produce the same vertex count, and memkit's intent must be empty after
 * each run; either failing ends the bench with status 1.
 */
#include <memkit_imgui.h>

#include "bench_cpp.h"

namespace {

constexpr int frames = 300;

mk_imgui_allocator ui_allocator{MK_INTENT_UI};

void *peer_alloc(size_t size, void *user)
{
    return bench::peer_block(*static_cast<const bench::allocator *>(user), size, 16);
}
void peer_free(void *ptr, void *user)
{
    static_cast<const bench::allocator *>(user)->free(ptr);
}

/* One context's life; returns the vertices of all frames (the check that
 * every allocator ran the same UI). */
long long ui_session(void)
{
    ImGuiContext *ctx = ImGui::CreateContext();
    ImGuiIO &io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1920, 1080);
    io.DeltaTime = 1.0f / 60;
    unsigned char *pixels = nullptr;
    int width = 0, height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
    long long vertices = 0;
    for (int frame = 0; frame < frames; frame++) {
        ImGui::NewFrame();
        for (int w = 0; w < 4; w++) {
            char title[32];
            std::snprintf(title, sizeof title, "Window %d", w);
            ImGui::SetNextWindowPos(ImVec2(static_cast<float>(w) * 470 + 10, 10));
            ImGui::SetNextWindowSize(ImVec2(460, 1000));
            ImGui::Begin(title);
            ImGui::Text("frame %d", frame);
            ImGui::Button("Apply");
            ImGui::SameLine();
            ImGui::Button("Reset");
            if (ImGui::BeginTable("rows", 3, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg)) {
                for (int row = 0; row < 50; row++) {
                    ImGui::TableNextRow();
                    ImGui::TableSetColumnIndex(0);
                    ImGui::Text("entry %d", row);
                    ImGui::TableSetColumnIndex(1);
                    ImGui::Text("%d", (row * 31 + frame) % 97);
                    ImGui::TableSetColumnIndex(2);
                    ImGui::Text("%.2f", static_cast<double>(row + frame) * 0.25);
                }
                ImGui::EndTable();
            }
            ImGui::End();
        }
        ImGui::Render();
        vertices += ImGui::GetDrawData()->TotalVtxCount;
    }
    ImGui::DestroyContext(ctx);
    return vertices;
}

long long reference = -1;

uint64_t run(const bench::allocator &a)
{
    if (a.memkit)
        mk_imgui_install(&ui_allocator);
    else
        ImGui::SetAllocatorFunctions(peer_alloc, peer_free, const_cast<bench::allocator *>(&a));
    const uint64_t t0 = now_ns();
    const long long vertices = ui_session();
    const uint64_t ns = now_ns() - t0;
    if (a.memkit)
        mk_imgui_uninstall();
    if (reference < 0)
        reference = vertices;
    if (vertices != reference) {
        std::fprintf(stderr, "bench_imgui: %s drew %lld vertices, not %lld\n", a.name, vertices, reference);
        std::exit(1);
    }
    if (a.memkit)
        bench::memkit_run_done("bench_imgui", MK_INTENT_UI);
    return ns;
}

} // namespace

int main(int argc, char **argv)
{
    const int rounds = count_arg(argc, argv, "MK_BENCH_ROUNDS", 7, 1000, "bench_imgui", "ROUNDS");
    if (rounds < 0)
        return 2;
    const mk_status_t status = mk_init(&mkg_config);
    if (status != MK_OK) {
        std::fprintf(stderr, "bench_imgui: mk_init: %s\n", mk_status_str(status));
        return 1;
    }
    const std::vector<bench::allocator> all = bench::allocators("bench_imgui");
    bench::measure("imgui", "context + atlas + 300 frames", rounds, all, run);
    mk_shutdown();
    return 0;
}
