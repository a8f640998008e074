"""End to end in a real browser: ask in the chat, see the answer, its cited article and no outside request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ui_server import ui_server  # noqa: F401  (shared session fixture)

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(os.environ.get("RAG_UI_SCREENSHOT", "/tmp/ui_screenshot.png"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium: run scripts/install_browser.sh"
    ),
]


@pytest.fixture
def page(ui_server):
    """A headless chromium page that may only talk to the local server (every attempt is logged)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright: pip install playwright")
    outside: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        tab = context.new_page()

        def guard(route) -> None:
            url = route.request.url
            if url.startswith((ui_server.url + "/", "data:", "blob:")) or url == ui_server.url:
                route.continue_()
            else:
                outside.append(url)
                route.abort()

        tab.route("**/*", guard)
        dialogs: list[str] = []
        tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        tab.outside_requests = outside
        tab.dialogs = dialogs
        yield tab
        context.close()
        browser.close()


def _ask(page, question: str, answers_before: int) -> None:
    page.fill("#rag-question textarea", question)
    page.keyboard.press("Enter")
    page.locator(".rag-answer .rag-sources, .rag-answer .rag-refusal, .rag-answer .rag-error").nth(
        answers_before
    ).wait_for(timeout=120_000)


def test_chat_answers_with_highlighted_cited_passage(page, ui_server) -> None:
    page.goto(ui_server.url + "/")
    page.wait_for_selector("#rag-question textarea", timeout=60_000)

    _ask(page, "内蒙古已建成多少个社工站？", 0)
    answer = page.locator(".rag-answer").last
    assert "850" in answer.locator(".rag-text").inner_text()
    titles = answer.locator(".rag-cite .rag-title").all_inner_texts()
    assert any(title.startswith("内蒙古自治区民政厅") for title in titles), titles
    assert answer.locator("mark.rag-span").count() >= 1

    # [n] markers link to their passages: clicking one opens it
    ref = answer.locator("a.rag-ref").first
    target_id = ref.get_attribute("href").lstrip("#")
    ref.click()
    page.wait_for_function(f"document.getElementById('{target_id}').open === true", timeout=5_000)
    page.wait_for_timeout(600)
    page.locator("#rag-chat").screenshot(path=str(SCREENSHOT))
    page.screenshot(path=str(SCREENSHOT.with_name(SCREENSHOT.stem + "_page.png")))

    # an example question is one click away; the conversation keeps both turns
    page.get_by_role("button", name="How many social work stations are there in Inner Mongolia?").click()
    page.locator(".rag-answer .rag-sources, .rag-answer .rag-refusal").nth(1).wait_for(timeout=120_000)
    second = page.locator(".rag-answer").last
    questions = page.locator("#rag-chat .rag-question").all_inner_texts()
    assert questions == ["内蒙古已建成多少个社工站？", "How many social work stations are there in Inner Mongolia?"]
    assert any(t.startswith("内蒙古自治区民政厅") for t in second.locator(".rag-cite .rag-title").all_inner_texts())

    assert page.outside_requests == [], page.outside_requests
    assert page.dialogs == []


def test_knowledge_base_tab_lists_the_indexed_articles(page, ui_server) -> None:
    page.goto(ui_server.url + "/")
    page.get_by_role("tab", name="Knowledge base · 知识库").click()
    table = page.locator("#rag-articles")
    table.get_by_text("内蒙古自治区民政厅", exact=False).first.wait_for(timeout=60_000)
    assert page.outside_requests == [], page.outside_requests
