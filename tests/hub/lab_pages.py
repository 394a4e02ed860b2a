"""What a person does on the hub in Chromium: log in, the Assignment List, a notebook.

    lab = LabSession(browser, room, name)   # logs in through the hub's login page
    lab.open_assignment_list()              # Nbgrader menu -> Assignment List
    lab.click_in_list("released", "01_loss", "Fetch", then="fetched")
    lab.type_answers("01_loss/01_loss.ipynb", {"def mse": "def mse(...): ..."})
    lab.screenshot("fetched")               # test-artifacts/browser/hub/<role>-fetched.png

The selectors are nbgrader's own (src/assignment_list/assignmentlist.ts): one list per
state (``#released_assignments_list``, ``#fetched_assignments_list``,
``#submitted_assignments_list``), a ``.list_item`` per assignment with its buttons.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
from browser_harness import ARTIFACTS  # noqa: E402

SHOTS = ARTIFACTS / "hub"


class LabSession:
    def __init__(self, browser, room, name: str, role: str):
        self.room, self.name, self.role = room, name, role
        self.context = browser.new_context(viewport={"width": 1300, "height": 850})
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.page.goto(room.url("hub/login"))
        self.page.fill("#username_input", name)
        self.page.fill("#password_input", room.users[name])
        self.page.click("#login_submit")
        # The hub starts this person's JupyterLab, then sends the browser there.
        self.page.wait_for_url(re.compile(rf"/user/{name}/lab"), timeout=180_000)
        self.page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)

    def user_url(self, path: str) -> str:
        return self.room.url(f"user/{self.name}/{path.lstrip('/')}")

    def nbgrader_menu_items(self) -> list[str]:
        """The entries of JupyterLab's Nbgrader menu, as this person sees them."""
        self.open_nbgrader_menu()
        items = self.page.locator("#jp-mainmenu-nbgrader .lm-Menu-itemLabel").all_inner_texts()
        self.page.keyboard.press("Escape")
        return [item.strip() for item in items]

    def open_nbgrader_menu(self) -> None:
        # A click on a menu bar that is still active closes the menu: click until it shows.
        menu = self.page.locator("#jp-mainmenu-nbgrader")
        for _ in range(3):
            self.page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
            try:
                menu.wait_for(state="visible", timeout=3000)
                return
            except Exception:
                continue
        menu.wait_for(state="visible", timeout=3000)

    def open_assignment_list(self) -> None:
        self.open_nbgrader_menu()
        self.page.locator("#jp-mainmenu-nbgrader .lm-Menu-itemLabel", has_text="Assignment List").click()
        self.page.wait_for_selector("#released_assignments_list", state="attached")

    def refresh_assignment_list(self) -> None:
        self.page.click("#refresh_assignments_list")

    def item(self, listed: str, assignment: str):
        return self.page.locator(f"#{listed}_assignments_list .list_item", has_text=assignment).first

    def wait_for_item(self, listed: str, assignment: str, text: str | None = None, timeout: float = 60):
        item = self.item(listed, assignment) if text is None else \
            self.page.locator(f"#{listed}_assignments_list .list_item", has_text=text).first
        item.wait_for(state="visible", timeout=timeout * 1000)
        return item

    def click_in_list(self, listed: str, assignment: str, button: str, then: str, text: str | None = None) -> None:
        """Press ``button`` on the assignment's row, then wait for it in the list ``then``."""
        self.wait_for_item(listed, assignment).get_by_role("button", name=button, exact=True).click()
        self.wait_for_item(then, assignment, text)

    def type_answers(self, notebook: str, answers: dict[str, str]) -> None:
        """Open the notebook, replace each answer cell (found by its first line) and save."""
        self.page.goto(self.user_url(f"lab/tree/{notebook}"))
        self.page.wait_for_selector(".jp-Notebook .jp-Cell")
        self.page.wait_for_function(  # the editor is ready once the kernel is (see NOTES.md)
            """() => [...document.querySelectorAll('.jp-StatusBar-Widget')]
                     .some(e => /\\|\\s*Idle/.test(e.innerText) && !/No Kernel/.test(e.innerText))""")
        for starts_with, answer in answers.items():
            cell = self.page.locator(".jp-CodeCell").filter(
                has=self.page.locator(".cm-content", has_text=starts_with)).first
            cell.locator(".cm-content").click()
            self.page.keyboard.press("Control+A")
            self.page.keyboard.insert_text(answer)
        self.page.keyboard.press("Escape")
        self.page.keyboard.press("Control+S")
        self.page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=15_000)

    def screenshot(self, label: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.role}-{label}.png"
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()
