"""The inbox is a mail client's list: each lead a two-line card painted by ``LeadCardDelegate``
from the model's rows (name and time; service, preview and chips), unread in bold with a dot,
no sideways scrolling, and blocks of rows asked for as they come into view."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QListView, QStyle, QStyleOptionViewItem

from desktop.queries import LeadRow
from desktop.ui.lead_delegate import LeadCardDelegate
from desktop.ui.models import LeadTableModel, card_texts
from desktop.ui.theme import is_dark, tone_colours

WIDTH = 360


def lead(n: int, *, unread: bool = False, urgency: str | None = None, **extra) -> LeadRow:
    fields = {
        "id": f"lead-{n}",
        "status": "follow_up" if n % 2 else "new",
        "comm_status": "acknowledged",
        "urgency": urgency,
        "customer_name": f"Customer Number {n}",
        "service_needed": "Window cleaning" if n % 3 else None,
        "customer_email": f"c{n}@example.test",
        "created_at": "2026-01-05T10:00:00+00:00",
        "unread": unread,
        "preview": "Could you come on Tuesday to clean the windows?",
    }
    return LeadRow(**{**fields, **extra})


def paint_card(view: QListView, model: LeadTableModel, row: int, selected: bool = False) -> QImage:
    delegate = LeadCardDelegate(model)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.font = view.font()
    height = delegate.sizeHint(option, model.index(row, 0)).height()
    option.rect = QRect(0, 0, WIDTH, height)
    option.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Active
    if selected:
        option.state |= QStyle.StateFlag.State_Selected
    image = QImage(WIDTH, height, QImage.Format.Format_ARGB32)
    image.fill(view.palette().color(view.palette().ColorRole.Base))
    painter = QPainter(image)
    delegate.paint(painter, option, model.index(row, LeadTableModel.NAME))
    painter.end()
    return image


def colours(image: QImage) -> set[str]:
    return {
        image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())
    }


def test_a_card_holds_the_name_time_service_preview_and_words_for_its_codes():
    texts = card_texts(lead(1, urgency="high", unread=True))
    assert texts.name == "Customer Number 1"
    assert texts.summary == "Window cleaning — Could you come on Tuesday to clean the windows?"
    assert texts.chips == (("Follow-up", "purple"), ("High urgency", "red"))
    assert texts.spoken == "unread, Follow-up, High urgency, Acknowledged"
    assert card_texts(lead(0)).chips == (("New", "blue"),)  # normal urgency is no news
    assert card_texts(lead(0, service_needed=None, preview="")).summary == "Request"


def test_a_card_paints_its_chips_in_their_tones_and_unread_differs_from_read(qtbot):
    view = QListView()
    qtbot.addWidget(view)
    model = LeadTableModel()
    model.set_rows([lead(0), lead(0, unread=True), lead(1, urgency="high")])
    dark = is_dark(view.palette())
    painted = colours(paint_card(view, model, 2))
    assert tone_colours("purple", dark)[0].name() in painted  # the status chip
    assert tone_colours("red", dark)[0].name() in painted  # the urgency chip
    assert paint_card(view, model, 0) != paint_card(view, model, 1)  # bold and a dot


def test_a_selected_card_is_filled_with_the_highlight(qtbot):
    view = QListView()
    qtbot.addWidget(view)
    model = LeadTableModel()
    model.set_rows([lead(0)])
    highlight = view.palette().color(view.palette().ColorRole.Highlight).name()
    assert paint_card(view, model, 0, selected=True).pixelColor(1, 1).name() == highlight
    assert highlight not in colours(paint_card(view, model, 0))


def test_rows_scrolled_into_view_are_asked_for_by_painting_them(qtbot):
    view = QListView()
    qtbot.addWidget(view)
    model = LeadTableModel()
    view.setModel(model)
    view.setModelColumn(LeadTableModel.NAME)
    view.setUniformItemSizes(True)
    view.setItemDelegate(LeadCardDelegate(model, view))
    view.resize(WIDTH, 400)
    view.show()
    qtbot.waitExposed(view)
    wanted: list[int] = []
    model.window_wanted.connect(wanted.append)
    model.reset(1000, [lead(n) for n in range(LeadTableModel.BLOCK)])
    view.doItemsLayout()
    view.viewport().grab()  # painted
    assert wanted == []  # the first screen of a result asks for nothing more

    view.scrollTo(model.index(650, LeadTableModel.NAME), QListView.ScrollHint.PositionAtTop)
    view.viewport().grab()
    assert 600 in wanted  # the block on screen, once painted
    assert 800 in wanted  # and the one ahead, going down
