"""The inbox's cells are painted by ``LeadCellDelegate`` from the model's rows: the texts,
colours and weight the model gives, the selection, and the blocks asked for as rows come into
view (the view no longer asks the model's ``data`` for them)."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QTableView

from desktop.queries import LeadRow
from desktop.ui.lead_delegate import PADDING, LeadCellDelegate
from desktop.ui.models import LeadTableModel, bold, cell_texts

WIDTH, HEIGHT = 160, 26


def lead(n: int, *, unread: bool = False, comm: str = "acknowledged", urgency: str | None = None):
    return LeadRow(
        id=f"lead-{n}",
        status="follow_up" if n % 2 else "new",
        comm_status=comm,
        urgency=urgency,
        customer_name=f"Customer Number {n}",
        service_needed="Window cleaning" if n % 3 else None,
        customer_email=f"c{n}@example.test",
        created_at="2026-01-05T10:00:00+00:00",
        unread=unread,
    )


def paint_cell(view: QTableView, model: LeadTableModel, row: int, column: int, **state) -> QImage:
    """The cell as the delegate paints it, on white."""
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.rect = QRect(0, 0, WIDTH, HEIGHT)
    option.font = view.font()
    option.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Active
    if state.get("selected"):
        option.state |= QStyle.StateFlag.State_Selected
    if state.get("alternate"):
        option.features |= QStyleOptionViewItem.ViewItemFeature.Alternate
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    LeadCellDelegate(model).paint(painter, option, model.index(row, column))
    painter.end()
    return image


def text_drawn(text: str, font, colour: str) -> QImage:
    """``text`` drawn the plain way where an item's text goes: left, centred vertically."""
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor(colour))
    elided = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, WIDTH - 2 * PADDING)
    painter.drawText(
        QRect(PADDING, 0, WIDTH - 2 * PADDING, HEIGHT),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        elided,
    )
    painter.end()
    return image


def colours(image: QImage) -> set[str]:
    return {
        image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())
    }


def test_a_cell_shows_the_models_text_in_its_colour_and_weight(qtbot):
    view = QTableView()
    qtbot.addWidget(view)
    model = LeadTableModel()
    model.set_rows([lead(0), lead(1, unread=True), lead(2, comm="owner_replied")])
    text_colour = view.palette().color(view.palette().ColorRole.Text).name()

    plain = paint_cell(view, model, 0, LeadTableModel.NAME)
    assert plain == text_drawn("Customer Number 0", view.font(), text_colour)

    heavy = paint_cell(view, model, 1, LeadTableModel.NAME)
    assert heavy == text_drawn("Customer Number 1", bold(), text_colour)
    assert heavy != text_drawn("Customer Number 1", view.font(), text_colour)

    replied = paint_cell(view, model, 2, LeadTableModel.COMM)
    assert replied == text_drawn("Replied", view.font(), "#5cb85c")
    assert cell_texts(model.row_at(2))[LeadTableModel.COMM] == "Replied"


def test_a_long_text_is_cut_with_an_ellipsis_and_an_empty_cell_stays_blank(qtbot):
    view = QTableView()
    qtbot.addWidget(view)
    model = LeadTableModel()
    long = lead(0)
    model.set_rows([LeadRow(**{**long.__dict__, "customer_name": "Bartholomew " * 6}), lead(3)])
    text_colour = view.palette().color(view.palette().ColorRole.Text).name()

    cut = paint_cell(view, model, 0, LeadTableModel.NAME)
    assert cut == text_drawn("Bartholomew " * 6, view.font(), text_colour)
    assert colours(paint_cell(view, model, 1, LeadTableModel.SERVICE)) == {"#ffffff"}


def test_a_selected_cell_is_filled_with_the_highlight_and_its_text_turns_highlighted(qtbot):
    view = QTableView()
    qtbot.addWidget(view)
    model = LeadTableModel()
    model.set_rows([lead(0)])
    palette = view.palette()
    highlight = palette.color(palette.ColorGroup.Active, palette.ColorRole.Highlight).name()
    highlighted_text = palette.color(
        palette.ColorGroup.Active, palette.ColorRole.HighlightedText
    ).name()

    selected = colours(paint_cell(view, model, 0, LeadTableModel.COMM, selected=True))
    assert highlight in selected and highlighted_text in selected
    assert "#f0ad4e" not in selected  # the cell's own colour gives way to the selection's
    assert "#f0ad4e" in colours(paint_cell(view, model, 0, LeadTableModel.COMM))


def test_rows_scrolled_into_view_are_asked_for_by_painting_them(qtbot):
    view = QTableView()
    qtbot.addWidget(view)
    model = LeadTableModel()
    view.setModel(model)
    view.setItemDelegate(LeadCellDelegate(model, view))
    view.verticalHeader().setDefaultSectionSize(HEIGHT)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    wanted: list[int] = []
    model.window_wanted.connect(wanted.append)
    model.reset(1000, [lead(n) for n in range(LeadTableModel.BLOCK)])
    view.doItemsLayout()
    view.viewport().grab()  # painted
    assert wanted == []  # the first screen of a result asks for nothing more

    view.scrollTo(model.index(650, 0), QTableView.ScrollHint.PositionAtTop)
    view.viewport().grab()
    assert 600 in wanted  # the block on screen, once painted
    assert 800 in wanted  # and the one ahead, going down
    model.add_window(600, [lead(n) for n in range(600, 800)])
    image = view.viewport().grab().toImage()
    top = view.visualRect(model.index(650, LeadTableModel.NAME))
    assert model.loaded(650, 660)
    assert colours(image.copy(top)) != {view.palette().color(view.palette().ColorRole.Base).name()}


def test_alternate_rows_get_the_alternate_background(qtbot):
    view = QTableView()
    qtbot.addWidget(view)
    model = LeadTableModel()
    model.set_rows([lead(0), lead(1)])
    alternate = view.palette().color(view.palette().ColorRole.AlternateBase).name()
    assert alternate != "#ffffff"
    corner = (0, 0)  # padding: background only
    odd = paint_cell(view, model, 1, LeadTableModel.NAME, alternate=True)
    assert odd.pixelColor(*corner).name() == alternate
    assert paint_cell(view, model, 0, LeadTableModel.NAME).pixelColor(*corner).name() == "#ffffff"
