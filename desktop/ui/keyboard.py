"""Keyboard use shared by the pages: one way to state a Tab order, multi-line boxes that Tab
leaves, and widgets that are no Tab stop (a chart, a scroll area around fields)."""

from __future__ import annotations

from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QWidget


def tab_order(*widgets: QWidget) -> None:
    """Tab visits ``widgets`` in this order (the order the page reads in, not the order the
    code happened to create them)."""
    for first, then in pairwise(widgets):
        QWidget.setTabOrder(first, then)


def tab_leaves(*boxes: QPlainTextEdit) -> None:
    """Tab moves on from these boxes instead of typing a tab character, so the keyboard is
    never stuck in a field (an owner never means a tab character in a reply or an address)."""
    for box in boxes:
        box.setTabChangesFocus(True)


def no_tab_stop(*widgets: QWidget) -> None:
    """Nothing to do on these with the keyboard: Tab goes past them."""
    for widget in widgets:
        widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
