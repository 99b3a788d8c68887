"""Measuring elements on pages that refresh themselves.

A live board (and the team page's runs) is swapped by htmx every 3 s. Playwright's
`Locator.bounding_box` resolves the element and then measures it in a second step, so a
swap in between measures a detached element and answers None. `box` resolves and
measures in one call inside the page, so what it answers is the element on screen.
"""

_MEASURE = """element => {
  const r = element.getBoundingClientRect();
  return r.width || r.height ? {x: r.x, y: r.y, width: r.width, height: r.height} : null;
}"""


def box(locator):
    """The element's box in viewport pixels, or None when it is not rendered."""
    return locator.evaluate(_MEASURE)
